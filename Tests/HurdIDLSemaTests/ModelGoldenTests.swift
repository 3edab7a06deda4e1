import Foundation
import HurdIDLSema
import HurdIDLSource
import Testing

/// `dump model` goldens: the checked interface as stable JSON (sorted keys, pretty printed) for
/// every MIG experiment (`Fixtures/semantics`) and the hand-written interfaces
/// (`Fixtures/interfaces`), plus their rendered diagnostics when there are any.
///
/// Regenerate with `HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLSemaTests`.
@Suite struct ModelGoldenTests {
  static let cases: [String] =
    Paths.defsFiles(in: "semantics").map { "semantics/" + $0 } + Paths.defsFiles(in: "interfaces").map { "interfaces/" + $0 }

  @Test(arguments: cases)
  func modelMatchesGolden(_ path: String) throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let checked = checkFixture(path)
    let base = "model/" + path.replacingOccurrences(of: ".defs", with: "")
    expectGolden(try checked.interface.map(modelJSON), base + ".json")
    expectGolden(checked.diagnostics.isEmpty ? nil : checked.rendered, base + ".txt")
    if let interface = checked.interface {
      let data = try JSONEncoder().encode(interface)
      #expect(try JSONDecoder().decode(CheckedInterface.self, from: data) == interface)
      // Stable: a second run encodes to the same bytes.
      #expect(try modelJSON(checkFixture(path).interface!) == modelJSON(interface))
    }
  }

  @Test func everyKindIsCovered() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let interface = try #require(checkFixture("interfaces/every_kind.defs").interface)
    let kinds = Set(interface.routines.flatMap { $0.arguments.map(\.kind) })
    let all: Set<ArgumentKind> = [
      .requestPort, .replyPort, .userReplyPort, .serverReplyPort, .in, .out, .inout, .waitTime, .msgOption, .msgSeqNo,
      .retCode, .poly, .count, .countInOut, .dealloc, .serverCopy,
    ]
    #expect(kinds == all)
    let origins = Set(interface.routines.flatMap { $0.arguments.map(\.origin) })
    #expect(origins == [.written, .companion, .implicit])
  }
}
