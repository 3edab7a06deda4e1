public import HurdIDLSema

/// Turns a checked interface into native L4 message plans (docs/plans.md, "Native L4 layout").
///
/// Deterministic: the plan depends only on the checked interface, so planning twice gives equal
/// plans (and byte-identical JSON with sorted keys).
public enum L4Planner {
  public static func plan(_ interface: CheckedInterface) -> L4InterfacePlan {
    var routines: [L4RoutinePlan] = []
    var problems: [L4PlanProblem] = []
    for routine in interface.routines {
      let (plan, routineProblems) = self.plan(routine)
      routines.append(plan)
      problems += routineProblems
    }
    let subsystem = interface.subsystem.map { PlanSubsystem(name: $0.name, base: $0.base) }
    return L4InterfacePlan(subsystem: subsystem, routines: routines, problems: problems)
  }

  /// The plan of one routine, and the problems if a message cannot fit into 63 registers.
  public static func plan(_ routine: CheckedRoutine) -> (L4RoutinePlan, [L4PlanProblem]) {
    let arguments = routine.arguments
    let hasReply = routine.kind == .routine
    // Every routine is invoked on its request port, a capability: word 0 of the request is its id
    // (docs/capabilities.md), so requests have one register less for arguments.
    var request = L4MessageBuilder(
      label: routine.requestID, hasReturnCode: false, reservedWords: L4Wire.requestReservedWords)
    var reply = L4MessageBuilder(label: routine.replyID ?? routine.requestID &+ 100, hasReturnCode: true)
    var shapes: [Int: L4Shape] = [:]

    for (index, argument) in arguments.enumerated() {
      switch argument.kind {
      case .in, .out, .inout:
        let shape = L4ShapeClassifier.shape(of: argument.type, multiplier: countMultiplier(argument, in: arguments))
        shapes[index] = shape
        if argument.kind != .out { add(argument.name, shape, argument.deallocate, to: &request) }
        if argument.kind != .in && hasReply { add(argument.name, shape, argument.deallocate, to: &reply) }
      case .countInOut:
        request.addField(
          name: argument.name, role: .countInOut, parent: parentName(argument, in: arguments),
          facts: L4MessageBuilder.countFacts)
      default:
        break
      }
    }

    let requestResult = request.build()
    let replyResult = hasReply ? reply.build() : nil
    var plans: [L4ArgumentPlan] = []
    for (index, argument) in arguments.enumerated() {
      plans.append(
        placement(
          of: argument, at: index, in: arguments, shapes: shapes, request: requestResult, reply: replyResult,
          hasReply: hasReply))
    }

    var problems: [L4PlanProblem] = []
    for (message, result) in [("request", requestResult), ("reply", replyResult)] {
      guard let result, let words = result.unplaceableWords else { continue }
      problems.append(
        L4PlanProblem(
          routine: routine.name, message: message, requiredWords: words,
          explanation:
            "the \(message) of \(routine.name) needs \(words) message registers even with all fixed data in "
            + "the overflow string and one element per port array; L4 has 63"
            + (message == "request" ? ", one of which carries the capability id the call is invoked on" : "")
            + " (capabilities cannot be packed)"
        ))
    }

    let plan = L4RoutinePlan(
      name: routine.name, kind: routine.kind.rawValue, requestID: routine.requestID,
      replyID: hasReply ? routine.replyID : nil, arguments: plans, request: requestResult.plan,
      reply: replyResult?.plan)
    return (plan, problems)
  }

  // MARK: - Entries

  private static func add(
    _ name: String, _ shape: L4Shape, _ deallocate: Deallocate, to message: inout L4MessageBuilder
  ) {
    switch shape {
    case .data(let facts):
      message.addField(name: name, role: .value, facts: facts)
    case .capability(let facts):
      var item = L4ItemPlan(name: name, kind: .capability, wordsEach: L4Wire.capabilityItemWords)
      item.disposition = facts.disposition
      item.receivedRight = facts.receivedRight
      message.addItem(item)
    case .capabilityRun(let facts, let perElement, let fixedCount, let declaredMaximum):
      var item = L4ItemPlan(name: name, kind: .capabilityRun, wordsEach: L4Wire.capabilityItemWords * perElement)
      item.disposition = facts.disposition
      item.receivedRight = facts.receivedRight
      if let fixedCount {
        item.runCount = fixedCount
        item.runIsVariable = false
        item.elementCount = fixedCount
        message.addItem(item)
      } else {
        item.runIsVariable = true
        let countName = name + "Cnt"
        message.addField(name: countName, role: .runCount, parent: name, facts: L4MessageBuilder.countFacts)
        message.addItem(item, declaredMaximum: declaredMaximum, countFieldName: countName)
      }
    case .string(let facts, let maximumElements, let isVariable, let isText):
      var item = dataItem(name, .string, facts)
      item.isVariable = isVariable
      item.maximumElements = maximumElements
      item.maximumBytes = facts.byteSize(countElements: maximumElements)
      if isText { item.isText = true }
      message.addItem(item)
    case .stringOrRegion(let facts):
      var item = dataItem(name, .stringOrRegion, facts)
      item.transfer = transfer(deallocate)
      item.isVariable = true
      item.stringLimitBytes = L4Wire.indefiniteStringLimitBytes
      message.addItem(item)
    case .region(let facts, let isVariable):
      var item = dataItem(name, .region, facts)
      item.transfer = transfer(deallocate)
      item.isVariable = isVariable
      message.addItem(item)
    }
  }

  private static func dataItem(_ name: String, _ kind: L4ItemKind, _ facts: L4DataFacts) -> L4ItemPlan {
    var item = L4ItemPlan(name: name, kind: kind, wordsEach: L4Wire.stringItemWords)
    item.elementType = facts.elementType
    item.elementBits = facts.elementBits
    item.elementBytes = facts.elementBytes
    item.encoding = facts.encoding
    if facts.countMultiplier != 1 { item.countMultiplier = facts.countMultiplier }
    return item
  }

  /// `dealloc` moves the memory (grant), its absence shares it (map), `dealloc[]` decides per call.
  private static func transfer(_ deallocate: Deallocate) -> L4RegionTransfer {
    switch deallocate {
    case .no: .map
    case .yes: .grant
    case .maybe: .runtime
    }
  }

  private static func countMultiplier(_ argument: CheckedArgument, in arguments: [CheckedArgument]) -> Int {
    guard let count = argument.companions.count, arguments.indices.contains(count) else { return 1 }
    return max(1, Int(arguments[count].multiplier))
  }

  private static func parentName(_ argument: CheckedArgument, in arguments: [CheckedArgument]) -> String? {
    guard let parent = argument.parent, arguments.indices.contains(parent) else { return nil }
    return arguments[parent].name
  }

  // MARK: - Placement of every argument

  private static func placement(
    of argument: CheckedArgument, at index: Int, in arguments: [CheckedArgument], shapes: [Int: L4Shape],
    request: L4MessageBuilder.Result, reply: L4MessageBuilder.Result?, hasReply: Bool
  ) -> L4ArgumentPlan {
    let parent = argument.parent.flatMap { arguments.indices.contains($0) ? arguments[$0] : nil }
    var plan = L4ArgumentPlan(name: argument.name, role: role(of: argument.kind), parent: parent?.name)

    /// Where the argument `name` itself is in a message.
    func location(of name: String, in result: L4MessageBuilder.Result?) -> L4Location? {
      guard let result else { return nil }
      if let field = result.fieldIndex[L4MessageBuilder.key(name, .value)] { return L4Location(.field, field) }
      if let item = result.itemIndex[name] { return L4Location(.item, item) }
      return nil
    }
    /// The parent's messages: `in` → request, `out` → reply, `inout` → both.
    func parentMessages(_ parent: CheckedArgument) -> (request: Bool, reply: Bool) {
      switch parent.kind {
      case .in: (true, false)
      case .out: (false, hasReply)
      case .inout: (true, hasReply)
      default: (false, false)
      }
    }
    func attribute(_ kind: L4Location.Kind, of parent: CheckedArgument, in result: L4MessageBuilder.Result?)
      -> L4Location?
    {
      guard let result, let item = result.itemIndex[parent.name] else { return nil }
      return L4Location(kind, item)
    }

    switch argument.kind {
    case .requestPort:
      plan.outOfBand = .target
    case .replyPort, .userReplyPort, .serverReplyPort:
      plan.outOfBand = .replyChannel
    case .waitTime:
      plan.outOfBand = .callTimeout
    case .msgOption:
      plan.outOfBand = .callOptions
    case .msgSeqNo:
      plan.outOfBand = .serverContext
    case .serverCopy:
      plan.outOfBand = .serverHint
    case .retCode:
      if hasReply { plan.reply = L4Location(.field, 0) } else { plan.outOfBand = .sendResult }
    case .in:
      plan.request = location(of: argument.name, in: request)
    case .out:
      plan.reply = location(of: argument.name, in: reply)
    case .inout:
      plan.request = location(of: argument.name, in: request)
      plan.reply = location(of: argument.name, in: reply)
    case .countInOut:
      plan.request = request.fieldIndex[L4MessageBuilder.key(argument.name, .countInOut)].map { L4Location(.field, $0) }
    case .count, .poly, .dealloc:
      guard let parent else { break }
      switch parent.kind {
      case .requestPort:
        plan.outOfBand = .target
        return plan
      case .replyPort, .userReplyPort, .serverReplyPort:
        plan.outOfBand = .replyChannel
        return plan
      default: break
      }
      let messages = parentMessages(parent)
      func companionLocation(_ result: L4MessageBuilder.Result?) -> L4Location? {
        switch argument.kind {
        case .count:
          // A variable capability run's count is a word; every other count is the item's length.
          if case .capabilityRun = shapes[argument.parent ?? -1],
            let field = result?.fieldIndex[L4MessageBuilder.key(parent.name + "Cnt", .runCount)]
          {
            return L4Location(.field, field)
          }
          return attribute(.itemCount, of: parent, in: result)
        case .poly:
          return attribute(.itemDisposition, of: parent, in: result)
        default:
          guard let result, let item = result.itemIndex[parent.name],
            [.region, .stringOrRegion].contains(result.plan.items[item].kind)
          else { return nil }
          return L4Location(.itemTransfer, item)
        }
      }
      if messages.request { plan.request = companionLocation(request) }
      if messages.reply { plan.reply = companionLocation(reply) }
      if plan.request == nil && plan.reply == nil { plan.outOfBand = .unused }
    }
    return plan
  }

  private static func role(of kind: ArgumentKind) -> L4ArgumentRole {
    switch kind {
    case .requestPort: .requestPort
    case .replyPort: .replyPort
    case .userReplyPort: .userReplyPort
    case .serverReplyPort: .serverReplyPort
    case .in: .in
    case .out: .out
    case .inout: .inout
    case .waitTime: .waitTime
    case .msgOption: .messageOption
    case .msgSeqNo: .sequenceNumber
    case .retCode: .returnCode
    case .poly: .poly
    case .count: .count
    case .countInOut: .countInOut
    case .dealloc: .dealloc
    case .serverCopy: .serverCopy
    }
  }
}
