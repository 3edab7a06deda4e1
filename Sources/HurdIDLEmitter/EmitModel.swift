import HurdIDLPlanner
import HurdIDLSema
import HurdIDLSource

// The bridge between the checked interface + native L4 plan and the Swift text: for each routine,
// the Swift values a caller passes and gets back, and for each value where the plan puts it in the
// request and the reply. Everything about the wire comes from the plan; the checked interface
// only contributes names, directions, locations and `waittime`.

/// A Swift scalar type and how its bits travel.
struct ScalarType: Hashable, Sendable {
  enum Kind: Hashable, Sendable { case integer, boolean, float }
  var swiftName: String
  var kind: Kind
  /// Bytes on the wire (booleans: 1).
  var bytes: Int

  /// The scalar for a plan element, nil when this emitter does not handle it yet.
  static func forElement(type: String, encoding: L4Encoding, bytes: Int) -> ScalarType? {
    switch encoding {
    case .boolean:
      return ScalarType(swiftName: "Swift.Bool", kind: .boolean, bytes: 1)
    case .integer:
      let named: String? =
        switch type {
        case "MACH_MSG_TYPE_INTEGER_8": "Swift.Int8"
        case "MACH_MSG_TYPE_INTEGER_16": "Swift.Int16"
        case "MACH_MSG_TYPE_INTEGER_32": "Swift.Int32"
        case "MACH_MSG_TYPE_INTEGER_64": "Swift.Int64"
        case "MACH_MSG_TYPE_REAL" where bytes == 4: "Swift.Float"
        case "MACH_MSG_TYPE_REAL" where bytes == 8: "Swift.Double"
        default: nil
        }
      if let named {
        let kind: Kind = named.hasSuffix("Float") || named.hasSuffix("Double") ? .float : .integer
        return ScalarType(swiftName: named, kind: kind, bytes: bytes)
      }
      // CHAR, BYTE, PORT_NAME, REAL of another size and any other name: unsigned of that size.
      switch bytes {
      case 1: return ScalarType(swiftName: "Swift.UInt8", kind: .integer, bytes: 1)
      case 2: return ScalarType(swiftName: "Swift.UInt16", kind: .integer, bytes: 2)
      case 4: return ScalarType(swiftName: "Swift.UInt32", kind: .integer, bytes: 4)
      case 8: return ScalarType(swiftName: "Swift.UInt64", kind: .integer, bytes: 8)
      default: return nil
      }
    case .structure:
      // A GNU struct travels as its elements (`struct[N] of E`): Swift sees `[E]`.
      return forElement(type: type, encoding: .integer, bytes: bytes)
    case .bits, .bytes:
      return nil
    }
  }
}

/// The Swift shape of one value.
enum ValueShape: Hashable, Sendable {
  /// A scalar in the untyped words.
  case scalar(ScalarType)
  /// `array[N]` in the untyped words (or the overflow bytes): `InlineArray<N, T>`.
  case fixedArray(ScalarType, count: Int)
  /// Data in a string item (or string-or-region): `[T]`, with an exact count or a maximum.
  case array(ScalarType, exactCount: Int?, maximumCount: Int?)
  /// `c_string`: `String` of at most `maximumBytes` UTF-8 bytes, no NUL.
  case text(maximumBytes: Int?)
  /// Out-of-line data: a `MemoryRegion` moved by reference.
  case region(elementBytes: Int, exactBytes: Int?, maximumBytes: Int?)
  /// One capability: with a fixed disposition a `CapabilityName`; polymorphic (`disposition`
  /// nil, chosen per call by the Poly companion) a `CapabilityItem` carrying its disposition.
  case capability(disposition: String?, right: String?)
  /// A port array: consecutive capability items, `[CapabilityName]` (fixed disposition) or
  /// `[CapabilityItem]` (polymorphic); a variable run's length travels in the `countField`.
  case capabilityArray(disposition: String?, right: String?, exactCount: Int?, maximumCount: Int, countField: L4FieldPlan?)
  /// A `dealloc[]` companion: whether its parent's region is granted (true) or mapped.
  case transferFlag
  /// Fixed data whose C type is a struct, as a Swift struct packed field by field (CStructMapping.swift).
  case cStruct(CStructMapping)

  var swiftType: String {
    switch self {
    case .scalar(let scalar): scalar.swiftName
    // A fixed array in the words is inline (its length is the type's; no heap), a variable one an Array.
    case .fixedArray(let scalar, let count): "Swift.InlineArray<\(count), \(scalar.swiftName)>"
    case .array(let scalar, _, _): "[\(scalar.swiftName)]"
    case .text: "Swift.String"
    case .region: "HurdRPC.MemoryRegion"
    case .capability(let disposition, _): disposition == nil ? "HurdRPC.CapabilityItem" : "HurdRPC.CapabilityName"
    case .capabilityArray(let disposition, _, _, _, _):
      disposition == nil ? "[HurdRPC.CapabilityItem]" : "[HurdRPC.CapabilityName]"
    case .transferFlag: "Swift.Bool"
    case .cStruct(let mapping): mapping.qualifiedName
    }
  }
}

/// Where a value is in one message.
enum ValuePlacement: Hashable, Sendable {
  case field(L4FieldPlan)
  case item(index: Int, L4ItemPlan)
}

/// One Swift-visible value of a routine (an `in`, `out` or `inout` argument).
struct EmitValue: Hashable, Sendable {
  var defsName: String
  /// The `.defs` type as written (nil for an inline type specification).
  var defsTypeName: String?
  var swiftName: String
  var direction: ArgumentKind
  var shape: ValueShape
  var request: ValuePlacement?
  var reply: ValuePlacement?
  /// The Swift name of the `dealloc[]` companion that chooses grant (true) or map for this
  /// value's region, when chosen per call.
  var grantFlag: String?
  /// The server-side translation of this value (`intran`/`outtran`/`destructor`), when its type
  /// declares one that applies to its direction.
  var translation: Translation?

  /// The type the server's handler receives for this parameter.
  var serverParameterType: String {
    translation?.inTran != nil ? "Self.\(translation!.serverType)" : shape.swiftType
  }

  /// The type the server's handler returns for this result.
  var serverResultType: String {
    translation?.outTran != nil ? "Self.\(translation!.serverType)" : shape.swiftType
  }
}

/// How the server converts a value between its wire type and its own type: hooks named after the
/// `.defs` functions, requirements of the server protocol (docs/swift-mapping.md, Translations).
struct Translation: Hashable, Sendable {
  /// The associated type of the server protocol (from the `.defs` trans type, `protid_t` → `ProtidT`).
  var serverType: String
  /// The `.defs` trans type as written.
  var defsServerType: String
  /// Wire → server type (`intran`), applied to `in`/`inout` values.
  var inTran: String?
  var defsInTran: String?
  /// Server type → wire (`outtran`), applied to `out`/`inout` values.
  var outTran: String?
  var defsOutTran: String?
  /// Called on an `in` value after the handler, whatever it returned (`destructor`).
  var destructor: String?
  var defsDestructor: String?
}

/// A value that does not travel in the messages (docs/plans.md): a caller's `waittime` or
/// `msgoption` argument, or the server's `msgseqno`.
struct OutOfBandValue: Hashable, Sendable {
  var defsName: String
  var defsTypeName: String?
  var swiftName: String
  var scalar: ScalarType

  /// `waittime timeout: natural_t`, as the `.defs` declares it.
  var declaration: String { "\(defsName)" + (defsTypeName.map { ": \($0)" } ?? "") }
}

/// An `sreplyport` argument: the handler's means to answer later (`HurdRPC.ServerReplyPort`).
struct ServerReplyPortValue: Hashable, Sendable {
  var defsName: String
  var defsTypeName: String?
  var swiftName: String

  /// `sreplyport reply: reply_port_t`, as the `.defs` declares it.
  var declaration: String { "sreplyport \(defsName)" + (defsTypeName.map { ": \($0)" } ?? "") }
}

/// The request port as the server sees it: the target object, translated when its type declares
/// an `intran` (GNU MIG's `begin_using_…_port`).
struct EmitTarget: Hashable, Sendable {
  var defsName: String
  var translation: Translation?

  /// The type the handler receives.
  var serverParameterType: String {
    translation?.inTran != nil ? "Self.\(translation!.serverType)" : "Self.Target"
  }
}

/// A routine ready to print, or the reason it cannot be generated yet.
struct EmitRoutine: Hashable, Sendable {
  var routine: CheckedRoutine
  var plan: L4RoutinePlan
  var swiftName: String
  var typeName: String
  /// Parameters (in, inout) in argument order.
  var parameters: [EmitValue]
  /// Results (out, inout) in argument order.
  var results: [EmitValue]
  /// The `.defs` `waittime` in milliseconds, when it is a plain number.
  var waitTimeMilliseconds: Int?
  var unsupported: String?
  /// Translations declared on this routine's arguments that the generated code cannot apply (each
  /// becomes an `emit-unsupported` warning; the routine is still generated).
  var ignoredTranslations: [String] = []
  /// Client-side options the generated code cannot apply (warnings with the client).
  var ignoredClientOptions: [String] = []
  /// The request port: the handler's first parameter.
  var target = EmitTarget(defsName: "server", translation: nil)
  /// Client parameters after the message values: a `waittime` argument (milliseconds, the call's
  /// timeout) and a `msgoption` argument (Mach option bits, docs/swift-mapping.md).
  var waitTimeArgument: OutOfBandValue?
  var msgOptionArgument: OutOfBandValue?
  /// The `msgoption` statement in effect, as Mach option bits (nil: none or `MACH_MSG_OPTION_NONE`).
  var msgOptionBits: UInt32?
  /// The server's `msgseqno` parameter.
  var sequenceNumber: OutOfBandValue?
  /// The server's `sreplyport` parameter (routines only: a one-way request has no reply).
  var serverReplyPort: ServerReplyPortValue?

  var slot: UInt32 { routine.index }
  var isOneWay: Bool { routine.isOneWay }
}

/// Something the emitter could not generate.
struct Unsupported: Error {
  var reason: String
}

enum EmitModelBuilder {
  /// Names the generated code itself uses for parameters and locals.
  static let reservedNames: Set<String> = [
    "options", "context", "request", "reply", "rpc", "server", "message", "results", "position", "element", "slot", "routine",
    "overflow", "self", "Self", "super", "target", "sequenceNumber", "deferral",
  ]

  /// Mach message options (`mach/message.h`) a `msgoption` statement may name.
  static let machOptionNames: [String: UInt32] = [
    "MACH_MSG_OPTION_NONE": 0, "MACH_SEND_MSG": 0x1, "MACH_RCV_MSG": 0x2, "MACH_SEND_TIMEOUT": 0x10,
    "MACH_SEND_NOTIFY": 0x20, "MACH_SEND_INTERRUPT": 0x40, "MACH_SEND_CANCEL": 0x80, "MACH_RCV_TIMEOUT": 0x100,
    "MACH_RCV_NOTIFY": 0x200, "MACH_RCV_INTERRUPT": 0x400, "MACH_RCV_LARGE": 0x800,
  ]

  static let reservedRoutineNames: Set<String> = ["rpc", "server", "dispatch", "routine", "target"]

  static func build(routine: CheckedRoutine, plan: L4RoutinePlan, naming: SwiftNaming) -> EmitRoutine {
    var swiftName = naming.member(routine.name)
    // Members the generated client and demux already have.
    if reservedRoutineNames.contains(swiftName) { swiftName += "Routine" }
    var emitted = EmitRoutine(
      routine: routine, plan: plan, swiftName: swiftName, typeName: naming.type(routine.name).trimmingBackticks,
      parameters: [], results: [], waitTimeMilliseconds: routine.waitTime.flatMap { Int($0) }, unsupported: nil)
    if let waitTime = routine.waitTime, emitted.waitTimeMilliseconds == nil {
      emitted.ignoredClientOptions.append(
        "waittime '\(waitTime)' is not a number of milliseconds: the calls have no default timeout")
    }
    if let statement = routine.msgOption {
      if let bits = machOptionNames[statement] ?? UInt32(statement) ?? hexadecimal(statement) {
        emitted.msgOptionBits = bits == 0 ? nil : bits
      } else {
        emitted.ignoredClientOptions.append(
          "msgoption '\(statement)' is not a Mach option name or number: the calls use no message options")
      }
    }
    do throws(Unsupported) {
      try check(plan: plan)
      var used = Set<String>()
      /// A Swift name for a parameter, unique in the routine.
      func parameterName(_ defsName: String) -> String {
        var name = naming.member(defsName)
        if reservedNames.contains(name.trimmingBackticks) { name = name.trimmingBackticks + "Value" }
        while used.contains(name) { name = name.trimmingBackticks + "_" }
        used.insert(name)
        return name
      }
      /// A word-size integer that does not travel in the messages.
      func outOfBand(_ argument: CheckedArgument) throws(Unsupported) -> OutOfBandValue {
        let bytes = Int(argument.type.sizeInBits / 8)
        guard argument.type.sizeInBits % 8 == 0,
          let scalar = ScalarType.forElement(type: argument.type.inName.spelling, encoding: .integer, bytes: bytes),
          scalar.kind == .integer
        else { throw Unsupported(reason: "argument \(argument.name) is not an integer of 1, 2, 4 or 8 bytes") }
        return OutOfBandValue(
          defsName: argument.name, defsTypeName: argument.type.name, swiftName: parameterName(argument.name),
          scalar: scalar)
      }
      for (index, argument) in routine.arguments.enumerated() {
        guard index < plan.arguments.count else { throw Unsupported(reason: "the plan lacks argument \(argument.name)") }
        let placement = plan.arguments[index]
        switch argument.kind {
        case .in, .out, .inout:
          let name = parameterName(argument.name)
          var value = try makeValue(argument, name: name, placement: placement, plan: plan)
          value.translation = translation(of: argument, naming: naming)
          if argument.type.inTranPayload != nil, argument.kind != .out {
            emitted.ignoredTranslations.append(
              "intranpayload '\(argument.type.inTranPayload!)' of argument '\(argument.name)' is not used: L4 messages carry no protected payloads (its intran is applied instead)")
          }
          if argument.kind != .out { emitted.parameters.append(value) }
          if argument.kind != .in && !routine.isOneWay { emitted.results.append(value) }
        case .countInOut:
          // The caller's capacity for an `out` array, in elements: a parameter the server sees.
          var name = naming.member(argument.name)
          while used.contains(name) { name = name.trimmingBackticks + "_" }
          used.insert(name)
          emitted.parameters.append(try makeValue(argument, name: name, placement: placement, plan: plan))
        case .poly:
          // The disposition of the parent's capability item: carried by its `CapabilityItem`.
          for location in [placement.request, placement.reply].compactMap(\.self) where location.kind != .itemDisposition {
            let parent = argument.parent.flatMap { routine.arguments.indices.contains($0) ? routine.arguments[$0].name : nil }
            throw Unsupported(reason: "polymorphic argument \(parent ?? argument.name)")
          }
        case .dealloc:
          guard placement.request != nil || placement.reply != nil, let parentIndex = argument.parent,
            routine.arguments.indices.contains(parentIndex)
          else { break }
          // `dealloc[]`: a Bool beside its parent, true = grant (move), false = map (share).
          let parent = routine.arguments[parentIndex]
          var name = naming.member(argument.name)
          while used.contains(name) { name = name.trimmingBackticks + "_" }
          used.insert(name)
          let value = try makeValue(argument, name: name, placement: placement, plan: plan)
          for index in emitted.parameters.indices where emitted.parameters[index].defsName == parent.name {
            emitted.parameters[index].grantFlag = name
          }
          for index in emitted.results.indices where emitted.results[index].defsName == parent.name {
            emitted.results[index].grantFlag = name
          }
          if parent.kind != .out { emitted.parameters.append(value) }
          if parent.kind != .in && !routine.isOneWay { emitted.results.append(value) }
        case .requestPort:
          // The request port is the transport's destination; the server sees it as the target
          // object (`target(for:)`), translated by the port type's intran/destructor.
          emitted.target = EmitTarget(defsName: argument.name, translation: translation(of: argument, naming: naming))
          if let payload = argument.type.inTranPayload {
            emitted.ignoredTranslations.append(
              "intranpayload '\(payload)' of request port '\(argument.name)' is not used: L4 messages carry no protected payloads (its intran is applied instead)")
          }
        case .waitTime where argument.origin == .written:
          emitted.waitTimeArgument = try outOfBand(argument)
        case .msgOption where argument.origin == .written:
          emitted.msgOptionArgument = try outOfBand(argument)
        case .msgSeqNo:
          emitted.sequenceNumber = try outOfBand(argument)
        case .replyPort where argument.origin == .written && routine.isOneWay,
          .userReplyPort where argument.origin == .written && routine.isOneWay:
          // The reply to a one-way request would go to this port (device_request.defs): on L4 the
          // reply channel is the calling thread's, which a one-way send does not wait on.
          emitted.ignoredClientOptions.append(
            "reply port '\(argument.name)' of a one-way request does not travel on L4: a reply the server sends to it is dropped")
        case .serverReplyPort where argument.origin == .written && !routine.isOneWay:
          // The handler gets the means to answer later; `reply` (the Hurd's name) is taken by the
          // demux's reply message, so it becomes `replyPort`.
          var name = naming.member(argument.name)
          if reservedNames.contains(name.trimmingBackticks) { name = name.trimmingBackticks + "Port" }
          while used.contains(name) { name = name.trimmingBackticks + "_" }
          used.insert(name)
          emitted.serverReplyPort = ServerReplyPortValue(
            defsName: argument.name, defsTypeName: argument.type.name, swiftName: name)
        case .serverReplyPort where argument.origin == .written:
          emitted.ignoredTranslations.append(
            "sreplyport '\(argument.name)' of a one-way request is not passed to the handler: on L4 nobody waits for a reply to it")
        case .count, .replyPort, .userReplyPort, .serverReplyPort, .waitTime, .msgOption, .retCode, .serverCopy:
          // Counts are the length of their item; the rest are out of band on L4 (docs/swift-mapping.md).
          break
        }
      }
    } catch {
      emitted.parameters = []
      emitted.results = []
      emitted.unsupported = error.reason
    }
    return emitted
  }

  /// `0x40` → 64.
  static func hexadecimal(_ text: String) -> UInt32? {
    guard text.hasPrefix("0x") || text.hasPrefix("0X") else { return nil }
    return UInt32(text.dropFirst(2), radix: 16)
  }

  /// The translation hooks that apply to `argument` in its direction (GNU MIG: `intran` on what
  /// the server receives, `outtran` on what it sends, `destructor` on `in` values only).
  static func translation(of argument: CheckedArgument, naming: SwiftNaming) -> Translation? {
    let type = argument.type
    // The request port is received like an `in` value.
    let isIn = argument.kind == .in || argument.kind == .requestPort
    let inTran = argument.kind == .out ? nil : type.inTran
    let outTran = isIn ? nil : type.outTran
    let destructor = isIn ? type.destructor : nil
    guard inTran != nil || outTran != nil || destructor != nil else { return nil }
    let defsServerType = type.cTransType ?? type.cServerType ?? type.name ?? argument.name
    return Translation(
      serverType: naming.type(defsServerType), defsServerType: defsServerType,
      inTran: inTran.map { naming.member($0) }, defsInTran: inTran,
      outTran: outTran.map { naming.member($0) }, defsOutTran: outTran,
      destructor: destructor.map { naming.member($0) }, defsDestructor: destructor)
  }

  private static func check(plan: L4RoutinePlan) throws(Unsupported) {
    for (name, message) in [("request", plan.request), ("reply", plan.reply)] {
      guard let message else { continue }
      if message.overflowBytes != nil, !message.items.contains(where: { $0.kind == .overflow }) {
        throw Unsupported(reason: "an overflow string without its item")
      }
      if !message.fits {
        let reserved = message.reservedWords ?? 0
        let needed = reserved + message.untypedWords + message.typedWordsMaximum
        let capabilityWord = reserved > 0 ? ", one of which carries the capability id the call is invoked on" : ""
        throw Unsupported(
          reason: "its \(name) needs \(needed) message registers (capabilities cannot be packed into a string); "
            + "L4 has \(L4Wire.payloadRegisters)\(capabilityWord)")
      }
      if message.items.contains(where: { $0.kind == .capabilityRun && $0.wordsEach != L4Wire.capabilityItemWords }) {
        throw Unsupported(reason: "arrays of capabilities counted in groups (a Count multiplier above 1)")
      }
    }
  }

  private static func makeValue(
    _ argument: CheckedArgument, name: String, placement: L4ArgumentPlan, plan: L4RoutinePlan
  ) throws(Unsupported) -> EmitValue {
    func resolve(_ location: L4Location?, in message: L4MessagePlan?) throws(Unsupported) -> ValuePlacement? {
      guard let location, let message else { return nil }
      switch location.kind {
      case .field where message.fields.indices.contains(location.index):
        return .field(message.fields[location.index])
      case .item where message.items.indices.contains(location.index),
        .itemTransfer where message.items.indices.contains(location.index):
        return .item(index: location.index, message.items[location.index])
      default:
        throw Unsupported(reason: "argument \(argument.name) has no place in the plan")
      }
    }
    let request = try resolve(placement.request, in: plan.request)
    let reply = try resolve(placement.reply, in: plan.reply)
    guard let any = request ?? reply else {
      throw Unsupported(reason: "argument \(argument.name) travels in neither message")
    }
    var shape = argument.kind == .dealloc ? .transferFlag : try shape(of: any, argument.name)
    if case .capabilityArray(let disposition, let right, let exact, _, _) = shape {
      // Request and reply may bound a variable run differently (the registers left over).
      let requestItem = request.flatMap { if case .item(_, let item) = $0 { item } else { nil } }
      let replyItem = reply.flatMap { if case .item(_, let item) = $0 { item } else { nil } }
      let maximum = [requestItem, replyItem].compactMap { $0?.runCount }.min() ?? 0
      shape = .capabilityArray(disposition: disposition, right: right, exactCount: exact, maximumCount: maximum, countField: nil)
    }
    return EmitValue(
      defsName: argument.name, defsTypeName: argument.type.name, swiftName: name, direction: argument.kind, shape: shape,
      request: request, reply: reply)
  }

  private static func shape(of placement: ValuePlacement, _ name: String) throws(Unsupported) -> ValueShape {
    switch placement {
    case .field(let field):
      guard
        let scalar = ScalarType.forElement(
          type: field.elementType, encoding: field.encoding, bytes: field.elementBytes)
      else {
        throw Unsupported(reason: "argument \(name): \(field.encoding.rawValue) data of \(field.elementBits) bits")
      }
      return field.elementCount == 1 && field.encoding != .structure
        ? .scalar(scalar) : .fixedArray(scalar, count: field.elementCount)
    case .item(_, let item):
      switch item.kind {
      case .string, .stringOrRegion:
        if item.isText == true { return .text(maximumBytes: item.maximumElements) }
        guard let type = item.elementType, let encoding = item.encoding, let bytes = item.elementBytes,
          let scalar = ScalarType.forElement(type: type, encoding: encoding, bytes: bytes), scalar.kind != .float
        else {
          throw Unsupported(reason: "argument \(name): array of \(item.encoding?.rawValue ?? "unknown") elements")
        }
        return .array(scalar, exactCount: item.isVariable == true ? nil : item.elementCount, maximumCount: item.maximumElements)
      case .region:
        guard let bytes = item.elementBytes, bytes > 0 else {
          throw Unsupported(reason: "argument \(name): out-of-line data of this element type")
        }
        return .region(
          elementBytes: bytes, exactBytes: item.isVariable == true ? nil : item.elementCount.map { $0 * bytes },
          maximumBytes: item.maximumBytes)
      case .capability:
        let disposition = item.disposition.flatMap { $0 == .runtime ? nil : $0.swiftName }
        return .capability(disposition: disposition, right: item.receivedRight?.swiftName)
      case .capabilityRun:
        let disposition = item.disposition.flatMap { $0 == .runtime ? nil : $0.swiftName }
        let variable = item.runIsVariable ?? false
        return .capabilityArray(
          disposition: disposition, right: item.receivedRight?.swiftName, exactCount: variable ? nil : item.runCount,
          maximumCount: item.runCount ?? 0, countField: nil)
      case .overflow:
        throw Unsupported(reason: "argument \(name): \(item.kind.rawValue)")
      }
    }
  }
}

extension L4Disposition {
  /// The `HurdRPC.CapabilityDisposition` member.
  var swiftName: String {
    switch self {
    case .moveReceive: "moveReceive"
    case .moveSend: "moveSend"
    case .moveSendOnce: "moveSendOnce"
    case .copySend: "copySend"
    case .makeSend: "makeSend"
    case .makeSendOnce: "makeSendOnce"
    case .runtime: "runtime"
    }
  }
}

extension L4ReceivedRight {
  /// The `HurdRPC.CapabilityDisposition.Right` member; nil accepts any right.
  var swiftName: String? {
    switch self {
    case .send: "send"
    case .sendOnce: "sendOnce"
    case .receive: "receive"
    case .any: nil
    }
  }
}

extension EmitValue {
  /// `in a: int`, as the `.defs` declares it.
  var declaration: String {
    "\(direction.rawValue) \(defsName)" + (defsTypeName.map { ": \($0)" } ?? "")
  }
}

extension String {
  var trimmingBackticks: String { filter { $0 != "`" } }

  /// The name as an argument label at a call site: keywords need no backticks there, except
  /// `inout` (Swift 6.3 warns about escaped `var` and `let` labels).
  var argumentLabel: String {
    let bare = trimmingBackticks
    return bare == "inout" ? self : bare
  }
}
