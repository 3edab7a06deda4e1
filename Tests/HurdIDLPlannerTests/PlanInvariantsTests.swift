import HurdIDLPlanner
import HurdIDLSema
import Testing

/// The invariant checker the property tests rely on must catch broken plans (otherwise the
/// properties could not fail).
@Suite("L4 plan invariant checker")
struct PlanInvariantsTests {
  func sample() throws -> (CheckedRoutine, L4RoutinePlan) {
    let checked = check(
      text: """
        subsystem r 100;
        #include <mach/std_types.defs>
        type l = array[*:8] of int;
        routine r(p: mach_port_t; a: int; b: l; c: mach_port_t; out d: int64_t; inout e: short);
        """)
    let interface = try #require(checked.interface)
    let plan = L4Planner.plan(interface)
    return (interface.routines[0], plan.routines[0])
  }

  @Test("a sound plan has no violations")
  func sound() throws {
    let (routine, plan) = try sample()
    #expect(planViolations(plan, for: routine, problems: []).isEmpty)
  }

  @Test("a lost argument is caught")
  func lostArgument() throws {
    let (routine, plan) = try sample()
    var broken = plan
    let index = try #require(broken.arguments.firstIndex { $0.name == "a" })
    broken.arguments[index].request = nil
    broken.arguments[index].outOfBand = nil
    #expect(!planViolations(broken, for: routine, problems: []).isEmpty)
  }

  @Test("a duplicated placement is caught")
  func duplicated() throws {
    let (routine, plan) = try sample()
    var broken = plan
    let a = try #require(broken.arguments.firstIndex { $0.name == "a" })
    let e = try #require(broken.arguments.firstIndex { $0.name == "e" })
    broken.arguments[e].request = broken.arguments[a].request
    #expect(!planViolations(broken, for: routine, problems: []).isEmpty)
  }

  @Test("wrong u or t is caught")
  func wrongCounts() throws {
    let (routine, plan) = try sample()
    var wrongU = plan
    wrongU.request.untypedWords += 1
    #expect(!planViolations(wrongU, for: routine, problems: []).isEmpty)
    var wrongT = plan
    wrongT.request.typedWordsMaximum += 2
    #expect(!planViolations(wrongT, for: routine, problems: []).isEmpty)
  }

  @Test("a request that does not leave word 0 to the capability id is caught")
  func capabilityWordNotReserved() throws {
    let (routine, plan) = try sample()
    var broken = plan
    broken.request.reservedWords = nil
    #expect(!planViolations(broken, for: routine, problems: []).isEmpty)
  }

  @Test("overlapping or misaligned fields are caught")
  func overlap() throws {
    let (routine, plan) = try sample()
    var broken = plan
    let last = broken.request.fields.count - 1
    broken.request.fields[last].byteOffset = 1
    #expect(!planViolations(broken, for: routine, problems: []).isEmpty)
  }

  @Test("more than 63 registers is caught unless listed as a problem")
  func tooBig() throws {
    let (routine, plan) = try sample()
    var broken = plan
    var filler = L4ItemPlan(name: "c", kind: .capabilityRun, wordsEach: 2)
    filler.runCount = 40
    filler.runIsVariable = false
    filler.disposition = .copySend
    filler.receivedRight = .send
    let index = try #require(broken.request.items.firstIndex { $0.name == "c" })
    broken.request.items[index] = filler
    broken.request.typedWordsMinimum = broken.request.items.reduce(0) { $0 + $1.minimumWords }
    broken.request.typedWordsMaximum = broken.request.items.reduce(0) { $0 + $1.maximumWords }
    #expect(planViolations(broken, for: routine, problems: []).contains { $0.contains("registers") })
    let listed = [L4PlanProblem(routine: "r", message: "request", requiredWords: 83, explanation: "")]
    #expect(!planViolations(broken, for: routine, problems: listed).contains { $0.contains("registers") })
  }

  @Test("an inout missing from the reply is caught")
  func inoutHalf() throws {
    let (routine, plan) = try sample()
    var broken = plan
    let e = try #require(broken.arguments.firstIndex { $0.name == "e" })
    broken.arguments[e].reply = nil
    #expect(!planViolations(broken, for: routine, problems: []).isEmpty)
  }
}
