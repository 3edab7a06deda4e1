import Foundation
import Testing

/// The comparison the planner's conformance test will use, exercised on the oracle's own snapshots.
@Suite struct MachPlanComparisonTests {
  private func snapshot(_ name: String) throws -> Data {
    try Data(contentsOf: OracleCases.snapshotDirectory.appendingPathComponent(name))
  }

  @Test func everySnapshotDecodesAsANormativePlanEqualToTheOracle() async throws {
    for name in OracleCases.experiments {
      let result = try await OracleCases.cache.result(defs: OracleCases.experimentPath(name), flags: [])
      let decoded = try JSONDecoder().decode(
        NormativeMachPlan.self, from: try snapshot(OracleCases.snapshotName(experiment: name)))
      #expect(MachPlanComparison.differences(expected: result.plan.normative, actual: decoded) == [], "\(name)")
    }
  }

  @Test func reportsEachDifferingValue() async throws {
    let plan = try await OracleCases.cache.result(defs: OracleCases.experimentPath("t4"), flags: []).plan
    var changed = plan.normative
    changed.routines[0].request.items[2].dataOffset = 96
    changed.routines[1].reply?.complex = .runtime
    changed.routines[2].replyID = nil
    #expect(
      MachPlanComparison.differences(expected: plan.normative, actual: changed) == [
        "routine va: request item z: dataOffset: expected 92, got 96",
        "routine vo: reply: complex: expected never, got runtime",
        "routine vc: replyID: expected 4102, got null",
      ])
  }

  @Test func aMissingReplyKeyIsRejected() throws {
    let json = #"""
      {"subsystem": {"name": "s", "base": 1}, "routines": [{"name": "r", "kind": "simpleroutine",
       "requestID": 1, "request": {"size": 32, "sizeIsMinimum": false, "complex": "never", "items": []}}]}
      """#
    #expect(throws: DecodingError.self) {
      _ = try JSONDecoder().decode(NormativeMachPlan.self, from: Data(json.utf8))
    }
  }
}
