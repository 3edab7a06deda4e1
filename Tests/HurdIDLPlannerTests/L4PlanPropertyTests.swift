import HurdIDLPlanner
import HurdIDLSema
import Testing

/// Properties of the L4 planner over random interfaces built from the grammar (RandomDefs.swift):
/// every message fits in 63 registers (or the routine is listed as a problem, and only when its
/// capabilities alone cannot fit), every argument is placed exactly once, the u/t counts agree
/// with the fields and items, and planning is deterministic.
@Suite("L4 plan properties")
struct L4PlanPropertyTests {
  static let seeds: [UInt64] = Array(1...40)
  static let filesPerSeed = 10

  @Test("random interfaces: fit, placement, counts, determinism", arguments: seeds)
  func randomInterfaces(seed: UInt64) throws {
    try checkProperties(generator: RandomDefsGenerator(seed: seed), seed: seed)
  }

  /// Routines of up to 60 arguments: the overflow string, shared runs and (rarely) unplaceable
  /// messages are exercised.
  @Test("crowded random interfaces: the same properties", arguments: Array(1001...1010) as [UInt64])
  func crowdedInterfaces(seed: UInt64) throws {
    // Longer argument lists hold an invalid combination more often.
    try checkProperties(
      generator: RandomDefsGenerator(seed: seed, maximumArguments: 60), seed: seed, minimumAcceptedPercent: 25)
  }

  func checkProperties(generator: RandomDefsGenerator, seed: UInt64, minimumAcceptedPercent: Int = 50) throws {
    var generator = generator
    var accepted = 0
    var routinesPlanned = 0
    for index in 0..<Self.filesPerSeed {
      let text = generator.file()
      let checked = check(text: text, path: "/random/\(seed)_\(index).defs")
      guard let interface = checked.interface else { continue }
      accepted += 1
      let plan = L4Planner.plan(interface)
      #expect(plan.routines.count == interface.routines.count)
      for (routine, routinePlan) in zip(interface.routines, plan.routines) {
        routinesPlanned += 1
        let violations = planViolations(routinePlan, for: routine, problems: plan.problems)
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))\n--- input:\n\(text)")
      }
      for problem in plan.problems {
        let routinePlan = try #require(plan.routines.first { $0.name == problem.routine })
        let message = try #require(problem.message == "request" ? routinePlan.request : routinePlan.reply)
        #expect(
          smallestPossibleRegisters(message) > L4Wire.payloadRegisters,
          "\(problem.routine) listed as a problem although it could fit\n--- input:\n\(text)")
      }
      // Deterministic: the same interface, and the same text through the whole pipeline again.
      #expect(L4Planner.plan(interface) == plan)
      let again = try #require(check(text: text, path: "/random/\(seed)_\(index).defs").interface)
      #expect(try planJSON(L4Planner.plan(again)) == planJSON(plan))
    }
    // Most generated files must be valid, or the properties would be tested on too little.
    #expect(
      accepted * 100 >= Self.filesPerSeed * minimumAcceptedPercent,
      "only \(accepted) of \(Self.filesPerSeed) accepted for seed \(seed)")
    #expect(routinesPlanned > 0)
  }

  @Test("the generator covers every construct it promises")
  func generatorCoverage() {
    var generator = RandomDefsGenerator(seed: 7)
    let text = (0..<60).map { _ in generator.file() }.joined()
    for construct in [
      "array[*:", "array[] of", "struct[", "struct {", "^", "c_string[*:", "c_string[", "|", "IsLong", "dealloc[]",
      "inout ", "out ", "requestport", "waittime", "msgseqno", "simpleroutine", "skip", "polymorphic",
    ] {
      #expect(text.contains(construct), "no \(construct) in 60 random files")
    }
  }

  /// Registers a message needs with every fixed datum moved into the overflow string and every
  /// variable run at one element: the planner's floor, recomputed from the plan.
  func smallestPossibleRegisters(_ message: L4MessagePlan) -> Int {
    let hasReturnCode = message.fields.first?.role == .returnCode
    let hasData = message.fields.contains { $0.role != .returnCode }
    var total = (message.reservedWords ?? 0) + (hasReturnCode ? 1 : 0) + (hasData ? L4Wire.stringItemWords : 0)
    for item in message.items where item.kind != .overflow {
      total += item.runIsVariable == true ? item.wordsEach : item.maximumWords
    }
    return total
  }
}

@Suite("L4 plan properties: coverage of the random corpus")
struct L4RandomCorpusTests {
  /// Over the whole corpus: most files are accepted, and the plans exercise every placement
  /// (otherwise the properties above would hold vacuously).
  @Test("most random interfaces are accepted and every placement kind occurs")
  func corpus() {
    var accepted = 0
    var total = 0
    var rejections: [String: Int] = [:]
    var itemKinds = Set<L4ItemKind>()
    var outOfBand = Set<L4OutOfBand>()
    var sawOverflow = false
    var sawReturnCodeOnly = false
    for seed in L4PlanPropertyTests.seeds {
      var generator = RandomDefsGenerator(seed: seed)
      for _ in 0..<L4PlanPropertyTests.filesPerSeed {
        total += 1
        let checked = check(text: generator.file())
        guard let interface = checked.interface else {
          for error in checked.errors { rejections[error.code.rawValue, default: 0] += 1 }
          continue
        }
        accepted += 1
        for routine in L4Planner.plan(interface).routines {
          for message in [routine.request] + (routine.reply.map { [$0] } ?? []) {
            itemKinds.formUnion(message.items.map(\.kind))
            sawOverflow = sawOverflow || message.overflowBytes != nil
          }
          outOfBand.formUnion(routine.arguments.compactMap(\.outOfBand))
          sawReturnCodeOnly = sawReturnCodeOnly || routine.reply?.fields.count == 1
        }
      }
    }
    #expect(accepted * 10 >= total * 7, "only \(accepted) of \(total) accepted; rejections: \(rejections)")
    #expect(itemKinds == [.string, .stringOrRegion, .region, .capability, .capabilityRun, .overflow])
    #expect(
      outOfBand.isSuperset(of: [.target, .replyChannel, .callTimeout, .callOptions, .serverContext, .sendResult]))
    #expect(sawOverflow && sawReturnCodeOnly)
  }
}
@Suite("L4 plan properties: the crowded corpus")
struct L4CrowdedCorpusTests {
  /// The crowded seeds really reach the overflow string and unplaceable messages.
  @Test("crowded random interfaces reach the overflow string and the 63-register limit")
  func crowdedCoverage() {
    var problems = 0
    var overflows = 0
    for seed in 1001...1010 as ClosedRange<UInt64> {
      var generator = RandomDefsGenerator(seed: seed, maximumArguments: 60)
      for _ in 0..<L4PlanPropertyTests.filesPerSeed {
        guard let interface = check(text: generator.file()).interface else { continue }
        let plan = L4Planner.plan(interface)
        problems += plan.problems.count
        overflows += plan.routines.filter { $0.request.overflowBytes != nil || $0.reply?.overflowBytes != nil }.count
      }
    }
    #expect(overflows > 0)
    #expect(problems > 0)
  }
}
