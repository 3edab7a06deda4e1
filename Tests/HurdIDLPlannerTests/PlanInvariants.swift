import HurdIDLPlanner
import HurdIDLSema

/// Checks a routine plan against its checked routine, independently of how the planner works.
/// Returns one message per violated rule (empty when the plan is sound).
func planViolations(_ plan: L4RoutinePlan, for routine: CheckedRoutine, problems: [L4PlanProblem]) -> [String] {
  var violations: [String] = []
  func fail(_ message: String) { violations.append("\(routine.name): \(message)") }

  // Every checked argument exactly once, in order.
  if plan.arguments.map(\.name) != routine.arguments.map(\.name) {
    fail("arguments \(plan.arguments.map(\.name)) are not the checked ones \(routine.arguments.map(\.name))")
    return violations
  }
  let hasReply = routine.kind == .routine
  if hasReply != (plan.reply != nil) { fail("reply presence does not match the routine kind") }
  if plan.requestID != routine.requestID || plan.replyID != (hasReply ? routine.replyID : nil) {
    fail("ids differ from the checked routine")
  }

  for (name, message) in [("request", Optional(plan.request)), ("reply", plan.reply)] {
    guard let message else { continue }
    let listed = problems.contains { $0.routine == routine.name && $0.message == name }
    violations += messageViolations(
      message, named: "\(routine.name) \(name)", isReply: name == "reply", isListedProblem: listed)
  }

  // Each message value owned by exactly one argument; attributes point at the parent's item.
  for (messageName, message) in [("request", Optional(plan.request)), ("reply", plan.reply)] {
    guard let message else { continue }
    var owners: [L4Location: String] = [:]
    for (index, argument) in plan.arguments.enumerated() {
      let location = messageName == "request" ? argument.request : argument.reply
      guard let location else { continue }
      if let previous = owners[location] {
        fail("\(messageName) \(location.kind)#\(location.index) placed twice: \(previous) and \(argument.name)")
      }
      owners[location] = argument.name
      switch location.kind {
      case .field:
        guard message.fields.indices.contains(location.index) else {
          fail("\(argument.name) points at missing field \(location.index)")
          continue
        }
        let field = message.fields[location.index]
        let expected = field.role == .value || field.role == .returnCode ? argument.name : field.name
        if field.name != expected || (field.role == .returnCode) != (routine.arguments[index].kind == .retCode) {
          fail("\(argument.name) points at field \(field.name)")
        }
      case .item, .itemCount, .itemDisposition, .itemTransfer:
        guard message.items.indices.contains(location.index) else {
          fail("\(argument.name) points at missing item \(location.index)")
          continue
        }
        let owner = location.kind == .item ? argument.name : (argument.parent ?? "")
        if message.items[location.index].name != owner {
          fail("\(argument.name) points at item \(message.items[location.index].name)")
        }
      }
    }
    for (index, field) in message.fields.enumerated() where owners[L4Location(.field, index)] == nil {
      // A CountInOut or run count is owned by its companion; the RetCode by the RetCode argument.
      fail("\(messageName) field \(field.name) belongs to no argument")
    }
    for (index, item) in message.items.enumerated() where item.kind != .overflow {
      if owners[L4Location(.item, index)] == nil { fail("\(messageName) item \(item.name) belongs to no argument") }
    }
  }

  // Directions: every argument goes to its messages, or out of band, never both or neither.
  for (index, argument) in plan.arguments.enumerated() {
    let checked = routine.arguments[index]
    let inMessage = argument.request != nil || argument.reply != nil
    if inMessage == (argument.outOfBand != nil) {
      fail("\(argument.name) must be either in a message or out of band")
    }
    switch checked.kind {
    case .in:
      if argument.request == nil || argument.reply != nil { fail("in argument \(argument.name) misplaced") }
    case .out:
      if hasReply && (argument.reply == nil || argument.request != nil) {
        fail("out argument \(argument.name) misplaced")
      }
    case .inout:
      if argument.request == nil || (hasReply && argument.reply == nil) {
        fail("inout argument \(argument.name) misplaced")
      }
    case .requestPort, .replyPort, .userReplyPort, .serverReplyPort, .waitTime, .msgOption, .msgSeqNo, .serverCopy:
      if inMessage { fail("\(argument.name) (\(checked.kind)) must not travel as data") }
    case .retCode:
      if hasReply && argument.reply != L4Location(.field, 0) { fail("RetCode must be reply field 0") }
    case .countInOut:
      if argument.request == nil { fail("CountInOut \(argument.name) not in the request") }
    case .count, .poly, .dealloc:
      break
    }
  }
  return violations
}

/// Rules of one message on its own.
func messageViolations(_ message: L4MessagePlan, named name: String, isReply: Bool, isListedProblem: Bool) -> [String] {
  var violations: [String] = []
  func fail(_ text: String) { violations.append("\(name): \(text)") }

  if !message.fits && !isListedProblem { fail("needs \(message.untypedWords)+\(message.typedWordsMaximum) registers") }
  // Requests leave word 0 to the capability id; replies use every register.
  if message.reservedWords != (isReply ? nil : L4Wire.requestReservedWords) {
    fail("reserves \(message.reservedWords ?? 0) words")
  }
  if message.typedWordsMinimum != message.items.reduce(0, { $0 + $1.minimumWords })
    || message.typedWordsMaximum != message.items.reduce(0, { $0 + $1.maximumWords })
  {
    fail("t does not add up over the items")
  }
  if message.typedWordsMinimum > message.typedWordsMaximum { fail("t minimum above maximum") }

  // Fields: aligned, inside their area, no overlap; u covers the word area exactly.
  var wordEnd = isReply ? 4 : 0
  var overflowEnd = 0
  for area in [L4FieldArea.words, .overflow] {
    let fields = message.fields.filter { $0.area == area }.sorted { $0.byteOffset < $1.byteOffset }
    var end = 0
    for field in fields {
      if field.byteOffset % max(1, field.alignment) != 0 { fail("\(field.name) misaligned") }
      if field.byteOffset < end { fail("\(field.name) overlaps the field before it") }
      end = field.byteOffset + field.byteSize
    }
    if area == .words { wordEnd = max(wordEnd, end) } else { overflowEnd = end }
  }
  let expectedWords = (wordEnd + 7) / 8
  if message.untypedWords != expectedWords { fail("u = \(message.untypedWords), fields need \(expectedWords)") }
  if isReply {
    guard let first = message.fields.first, first.role == .returnCode, first.byteOffset == 0, first.area == .words
    else {
      fail("the reply does not start with RetCode")
      return violations
    }
    if message.fields.dropFirst().contains(where: { $0.area == .words && $0.byteOffset < 8 }) {
      fail("a field shares word 0 with RetCode")
    }
  }
  let hasOverflowFields = message.fields.contains { $0.area == .overflow }
  let overflowItems = message.items.enumerated().filter { $0.element.kind == .overflow }
  if hasOverflowFields {
    if overflowItems.map(\.offset) != [0] { fail("overflow fields without the overflow string as item 0") }
    if message.overflowBytes != overflowEnd { fail("overflow size \(message.overflowBytes ?? -1) ≠ \(overflowEnd)") }
  } else if !overflowItems.isEmpty || message.overflowBytes != nil {
    fail("an overflow string with no fields in it")
  }

  // Variable items carry their maximum (or say they have none and how they stay bounded).
  for item in message.items {
    switch item.kind {
    case .string:
      if item.maximumBytes == nil || item.maximumElements == nil { fail("string \(item.name) without a maximum") }
    case .stringOrRegion:
      if item.stringLimitBytes == nil || item.transfer == nil {
        fail("\(item.name) without its string limit or transfer")
      }
    case .region:
      if item.transfer == nil { fail("region \(item.name) without map/grant") }
    case .capability:
      if item.disposition == nil || item.receivedRight == nil { fail("capability \(item.name) without disposition") }
    case .capabilityRun:
      if item.runCount == nil || item.disposition == nil { fail("run \(item.name) without count or disposition") }
      if item.runIsVariable == true {
        guard let field = item.countField, message.fields.indices.contains(field),
          message.fields[field].role == .runCount, message.fields[field].parent == item.name
        else {
          fail("variable run \(item.name) without its count word")
          continue
        }
      }
    case .overflow:
      break
    }
  }
  return violations
}
