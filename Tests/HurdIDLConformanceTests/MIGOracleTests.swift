import Foundation
import Testing

/// Runs the conformance oracle (the real GNU MIG + gcc) over every gnumach-dev interface and every
/// accepted experiment. Set HURDIDL_UPDATE_GOLDENS=1 to rewrite OracleSnapshots/ instead of
/// comparing with it.
@Suite struct MIGOracleTests {
  struct InterfaceCase: CustomTestStringConvertible, Sendable {
    var path: String
    var flagSet: String
    var flags: [String]
    var testDescription: String { "\(path) [\(flagSet)]" }
  }

  static let interfaceCases: [InterfaceCase] = OracleCases.interfaces.flatMap { interface in
    OracleCases.flagSets.map { InterfaceCase(path: interface.path, flagSet: $0.name, flags: $0.flags) }
  }

  @Test(arguments: interfaceCases)
  func gnumachInterface(_ testCase: InterfaceCase) async throws {
    let result = try await oracle(OracleCases.interfacePath(testCase.path), testCase.flags)
    try checkSoundAndSnapshot(
      result, snapshot: OracleCases.snapshotName(interface: testCase.path, flagSet: testCase.flagSet))
  }

  @Test(arguments: OracleCases.experiments)
  func experiment(_ name: String) async throws {
    let result = try await oracle(OracleCases.experimentPath(name), [])
    try checkSoundAndSnapshot(result, snapshot: OracleCases.snapshotName(experiment: name))
  }

  struct FixtureCase: CustomTestStringConvertible, Sendable {
    var name: String
    var flagSet: String
    var flags: [String]
    var testDescription: String { "\(name).defs [\(flagSet)]" }
  }

  static let fixtureCases = OracleCases.ownFixtures.map {
    FixtureCase(name: $0.name, flagSet: $0.flagSet, flags: $0.flags)
  }

  @Test(arguments: fixtureCases)
  func ownFixture(_ testCase: FixtureCase) async throws {
    let result = try await oracle(OracleCases.ownFixturePath(testCase.name), testCase.flags)
    try checkSoundAndSnapshot(
      result, snapshot: OracleCases.snapshotName(ownFixture: testCase.name, flagSet: testCase.flagSet))
  }

  // MARK: - Helpers

  private func oracle(_ path: String, _ flags: [String]) async throws -> MIGOracle.Result {
    do {
      return try await OracleCases.cache.result(defs: path, flags: flags)
    } catch {
      Issue.record("oracle failed on \(path) \(flags): \(error)")
      throw error
    }
  }

  private func checkSoundAndSnapshot(_ result: MIGOracle.Result, snapshot: String) throws {
    #expect(result.problems == [], "the oracle's arithmetic disagrees with GNU MIG's own sizes")
    let url = OracleCases.snapshotDirectory.appendingPathComponent(snapshot)
    let json = try OracleCases.encode(result.plan)
    if ProcessInfo.processInfo.environment["HURDIDL_UPDATE_GOLDENS"] == "1" {
      try json.write(to: url, atomically: true, encoding: .utf8)
      return
    }
    let committed = try? String(contentsOf: url, encoding: .utf8)
    #expect(
      committed == json,
      "\(snapshot) differs from what GNU MIG generates now; regenerate with HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLConformanceTests"
    )
  }
}
