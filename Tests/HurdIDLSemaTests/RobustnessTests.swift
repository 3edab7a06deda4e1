import Foundation
import HurdIDLSema
import HurdIDLSource
import Testing

/// Bad input never crashes, hangs or cascades: hostile shapes and random mutations of real files.
@Suite struct RobustnessTests {
  @Test func longCopyChainsStayShallow() throws {
    var text = "subsystem deep 1;\ntype port = MACH_MSG_TYPE_COPY_SEND;\ntype t0 = array[2] of int;\n"
    for index in 1...3000 { text += "type t\(index) = t\(index - 1);\n" }
    text += "type v = array[*:4] of t3000;\nroutine r(p: port; in x: v);\n"
    let checked = checkText(text, defines: [])
    let interface = try #require(checked.interface, "\(checked.rendered)")
    var depth = 0
    var element = interface.type(named: "t3000")?.element?.value
    while let current = element {
      depth += 1
      element = current.element?.value
    }
    #expect(depth == TypeInfoDepth.maximum)
    // GNU's multiplier comes from the first link, which is kept.
    #expect(interface.routines.first?.arguments.first { $0.name == "xCnt" }?.multiplier == 2)
    _ = try modelJSON(interface)

    // One broken link: one error, nothing from the 3000 copies.
    let broken = checkText(text.replacingOccurrences(of: "routine r(p: port;", with: "routine r(p: t0;"), defines: [])
    #expect(broken.codes == [.improperRequestPort])
  }

  @Test func manyRoutinesAndIdWraps() throws {
    var text = "subsystem many 4294967000;\ntype port = MACH_MSG_TYPE_COPY_SEND;\n"
    for index in 0..<600 { text += "simpleroutine r\(index)(p: port);\nskip 4294967295;\n" }
    let checked = checkText(text, defines: [])
    #expect(checked.errors.count <= 200 + 1)  // the error limit holds
    #expect(checked.codes.contains(.messageIDOverflow))
  }

  /// Deterministic mutations (line deletion, duplication, swaps) of every experiment: sema never
  /// traps and reports no error that lacks a location.
  @Test func mutatedExperimentsNeverCrash() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    var generator = SplitMix(seed: 0x5EED)
    for name in Paths.defsFiles(in: "semantics") {
      let url = Paths.fixtures.appendingPathComponent("semantics/" + name)
      let lines = (try String(contentsOf: url, encoding: .utf8)).split(separator: "\n", omittingEmptySubsequences: false)
      for _ in 0..<20 {
        var mutated = lines.map(String.init)
        for _ in 0..<3 {
          guard !mutated.isEmpty else { break }
          let index = Int(generator.next() % UInt64(mutated.count))
          switch generator.next() % 4 {
          case 0: mutated.remove(at: index)
          case 1: mutated.insert(mutated[index], at: index)
          case 2:
            let other = Int(generator.next() % UInt64(mutated.count))
            mutated.swapAt(index, other)
          default:
            let line = mutated[index]
            if !line.isEmpty {
              let cut = Int(generator.next() % UInt64(line.count))
              mutated[index] = String(line.prefix(cut))
            }
          }
        }
        let checked = checkText(mutated.joined(separator: "\n"))
        for diagnostic in checked.sema?.diagnostics ?? [] where diagnostic.severity == .error {
          #expect(diagnostic.location != nil, "\(name): \(diagnostic.message)")
        }
      }
    }
  }
}

/// The element-chain cap of the model (docs/model.md).
enum TypeInfoDepth {
  static let maximum = 8
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
