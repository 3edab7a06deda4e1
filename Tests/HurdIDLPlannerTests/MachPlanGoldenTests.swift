import Foundation
import HurdIDLCompiler
import HurdIDLPlanner
import HurdIDLPreprocessor
import HurdIDLSema
import Testing

/// The whole Mach plan JSON (required keys and extras) of each rule fixture in `Inputs/mach`, as
/// `hurdidl dump plan --wire mach` prints it, for review by eye. The conformance tests check the
/// same plans against GNU MIG; these goldens pin the extras (receiver checks, multipliers, roles).
/// Regenerate with `HURDIDL_UPDATE_GOLDENS=1 swift test --filter MachPlanGoldenTests`.
@Suite struct MachPlanGoldenTests {
  static let goldens = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Goldens/mach")

  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var define: String?
    var testDescription: String { define.map { "\(name) -D\($0)" } ?? name }
    var goldenName: String { name + (define.map { "." + $0.lowercased() } ?? "") + ".json" }
  }

  static let cases: [Case] = {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: MachPlannerTests.inputs.path)) ?? [])
      .filter { $0.hasSuffix(".defs") }.map { String($0.dropLast(5)) }.sorted()
    return names.flatMap { name in
      name == "kernel"
        ? [Case(name: name), Case(name: name, define: "KERNEL_SERVER"), Case(name: name, define: "KERNEL_USER")]
        : [Case(name: name)]
    }
  }()

  @Test func everyFixtureHasACase() {
    #expect(Self.cases.count == 11)
  }

  @Test(arguments: cases)
  func golden(_ testCase: Case) throws {
    let path = MachPlannerTests.inputs.appendingPathComponent("\(testCase.name).defs").path
    let options = PreprocessorOptions(
      includePaths: [MachPlannerTests.gnuMachIncludes], defines: testCase.define.map { [$0] } ?? [])
    let front = FrontEnd.run(mainFile: path, options: options, resolver: DiskResolver())
    let syntax = try #require(front.syntax)
    let interface = try #require(Sema.check(syntax).interface)
    let plan = try #require(MachPlanner.plan(interface))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    // Foundation prints an empty array as "[", a blank line and "]"; keep it on one line.
    let json = String(decoding: try encoder.encode(plan), as: UTF8.self).replacing(/\[\n\s*\n\s*\]/, with: "[]") + "\n"

    let url = Self.goldens.appendingPathComponent(testCase.goldenName)
    if ProcessInfo.processInfo.environment["HURDIDL_UPDATE_GOLDENS"] == "1" {
      try FileManager.default.createDirectory(at: Self.goldens, withIntermediateDirectories: true)
      try json.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    let committed = try? String(contentsOf: url, encoding: .utf8)
    #expect(
      committed == json,
      "\(testCase.goldenName) differs; review and regenerate with HURDIDL_UPDATE_GOLDENS=1 swift test --filter MachPlanGoldenTests"
    )
  }
}
