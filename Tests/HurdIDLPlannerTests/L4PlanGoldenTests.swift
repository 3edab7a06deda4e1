import Foundation
import HurdIDLPlanner
import Testing

/// `dump plan --wire l4` goldens for the GNU MIG experiments (Fixtures/semantics, copied from
/// mig-experiments/semantics: those GNU MIG accepts, except `mi`/`mi2` whose missing include is
/// an error here) and for Fixtures/own/l4kinds.defs (every argument kind). Regenerate with
///
///     HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLPlannerTests
@Suite("L4 plan goldens")
struct L4PlanGoldenTests {
  static let fixtures: [String] =
    PlannerTestPaths.defsFiles(in: "semantics").map { "semantics/" + $0.lastPathComponent }
    + PlannerTestPaths.defsFiles(in: "own").map { "own/" + $0.lastPathComponent }

  @Test("fixtures are present")
  func fixturesPresent() {
    #expect(Self.fixtures.count == 30)
    #expect(Self.fixtures.contains("own/l4kinds.defs"))
    // No stale goldens: every golden belongs to a fixture.
    for folder in ["semantics", "own"] {
      let directory = PlannerTestPaths.goldens.appendingPathComponent("l4/" + folder)
      let goldens = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
      for golden in goldens {
        #expect(
          Self.fixtures.contains(folder + "/" + golden.replacingOccurrences(of: ".json", with: ".defs")),
          "stale golden \(golden)")
      }
    }
  }

  @Test("golden plan", arguments: fixtures)
  func golden(fixture: String) throws {
    let url = PlannerTestPaths.fixtures.appendingPathComponent(fixture)
    let text = try String(contentsOf: url, encoding: .utf8)
    let checked = check(text: text, path: "/fixtures/" + fixture)
    guard let interface = checked.interface else {
      Issue.record("front end or sema rejected \(fixture):\n\(checked.renderedErrors)")
      return
    }
    let plan = L4Planner.plan(interface)
    #expect(plan.problems.isEmpty)
    for (routine, routinePlan) in zip(interface.routines, plan.routines) {
      let violations = planViolations(routinePlan, for: routine, problems: plan.problems)
      #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }
    let golden = "l4/" + fixture.replacingOccurrences(of: ".defs", with: ".json")
    let failure = Goldens.compare(try planJSON(plan), golden: golden)
    #expect(failure == nil, "\(failure ?? "")")
  }

  @Test("JSON round trip: decoding the dump gives the same plan")
  func roundTrip() throws {
    let url = PlannerTestPaths.fixtures.appendingPathComponent("own/l4kinds.defs")
    let checked = check(text: try String(contentsOf: url, encoding: .utf8))
    let interface = try #require(checked.interface)
    let plan = L4Planner.plan(interface)
    let decoded = try JSONDecoder().decode(L4InterfacePlan.self, from: Data(try planJSON(plan).utf8))
    #expect(decoded == plan)
  }
}
