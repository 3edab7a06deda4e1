import HurdIDLSource
import HurdIDLSyntax

/// An argument while GNU's routine algorithm runs. Arguments are inserted into the middle of
/// the list (companions, default ports), so links use stable ids, mapped to indices at the end.
struct WorkArgument {
  var id: Int
  var name: String
  var kind: ArgumentKind?
  var origin: ArgumentOrigin
  var range: SourceRange?
  var type: TypeInfo?
  var traits: ArgumentTraits = []
  var flags: IPCFlagSet = []
  var deallocate: Deallocate = .no
  var isLongForm = false
  var isServerCopy = false
  var isCountInOut = false
  var parent: Int?
  var poly: Int?
  var count: Int?
  var countInOut: Int?
  var dealloc: Int?
  var serverCopy: Int?
  var multiplier: UInt32 = 1
  var value: String?
  var requestPosition: Int?
  var replyPosition: Int?
  var isByReferenceUser = false
  var isByReferenceServer = false
}

extension ArgumentKind {
  /// GNU's `ak…` feature bits for the written kinds.
  var baseTraits: ArgumentTraits {
    switch self {
    case .in: [.userArgument, .serverArgument, .request, .send, .sendBody, .sendSnd, .sendRcv]
    case .out: [.userArgument, .serverArgument, .reply, .return, .returnBody, .returnSnd, .returnRcv, .replyInit]
    case .inout:
      [
        .userArgument, .serverArgument, .request, .reply, .send, .sendBody, .sendSnd, .sendRcv, .return, .returnBody,
        .returnSnd, .returnRcv, .replyInit, .replyCopy,
      ]
    case .requestPort, .replyPort: [.userArgument, .serverArgument, .send, .sendSnd, .sendRcv]
    case .userReplyPort: [.userArgument, .send, .sendSnd, .sendRcv]
    case .serverReplyPort: [.serverArgument, .send, .sendSnd, .sendRcv]
    case .waitTime, .msgOption: [.userArgument]
    case .msgSeqNo: [.serverArgument, .send, .sendRcv]
    case .retCode: [.reply]
    case .countInOut: [.request, .send, .sendBody, .sendSnd, .sendRcv]
    case .serverCopy: [.serverArgument, .sendRcv]
    case .poly, .count, .dealloc: []
    }
  }

  init(_ direction: Direction) {
    switch direction {
    case .in: self = .in
    case .out: self = .out
    case .inout: self = .inout
    case .requestPort: self = .requestPort
    case .replyPort: self = .replyPort
    case .serverReplyPort: self = .serverReplyPort
    case .userReplyPort: self = .userReplyPort
    case .waitTime: self = .waitTime
    case .msgOption: self = .msgOption
    case .msgSeqNo: self = .msgSeqNo
    }
  }
}

/// GNU's distinguished arguments of a routine (ids of `WorkArgument`s).
struct Distinguished {
  var requestPort: Int?
  var userReplyPort: Int?
  var serverReplyPort: Int?
  var waitTime: Int?
  var msgOption: Int?
  var msgSeqNo: Int?
}

extension Checker {
  mutating func checkRoutine(_ decl: RoutineDecl) {
    let name = decl.name.name
    let kind: RoutineKind = decl.kind == .routine ? .routine : .simpleRoutine
    let kindWord = kind == .routine ? "routine" : "simpleroutine"

    if let previous = routineDeclarations[name] {
      diagnostics.error(
        .duplicateRoutine, "a routine named '\(name)' is already declared (GNU MIG would generate two C functions '\(name)')",
        at: decl.name.range.start, notes: [.init("the first declaration is here", at: previous.start)])
    } else {
      routineDeclarations[name] = decl.name.range
    }

    // Message ids: base + running index (both unsigned 32-bit in GNU MIG).
    let index = UInt32(truncatingIfNeeded: counter)
    let requestID64 = UInt64(base) + UInt64(index)
    let requestID = UInt32(truncatingIfNeeded: requestID64)
    let replyID: UInt32? = kind == .routine ? requestID &+ 100 : nil
    if requestID64 > UInt64(UInt32.max) || (kind == .routine && UInt64(requestID) + 100 > UInt64(UInt32.max)) {
      diagnostics.error(
        .messageIDOverflow,
        "\(kindWord) '\(name)' would get message id \(requestID64)\(kind == .routine ? " (reply \(requestID64 + 100))" : ""), "
          + "beyond 4294967295 (subsystem base \(base) + index \(index)); GNU MIG wraps it silently",
        at: decl.name.range.start)
    } else if let owner = requestIDOwners[requestID] {
      diagnostics.error(
        .messageIDCollision,
        "\(kindWord) '\(name)' gets message id \(requestID), already used by '\(owner.name)' "
          + "(the routine counter wrapped)",
        at: decl.name.range.start, notes: [.init("'\(owner.name)' is declared here", at: owner.range.start)])
    }
    if requestIDOwners[requestID] == nil { requestIDOwners[requestID] = (name, decl.name.range) }
    counter = (counter + 1) & UInt64(UInt32.max)

    var builder = RoutineBuilder(checker: self, name: name, kind: kind, declaration: decl.name.range)
    builder.build(decl)
    self = builder.checker
    guard let arguments = builder.finalArguments(), let d = builder.finalDistinguished() else { return }
    routines.append(
      CheckedRoutine(
        kind: kind, name: name, range: decl.range, index: index, requestID: requestID, replyID: replyID,
        userPrefix: userPrefix, serverPrefix: serverPrefix, userName: userPrefix + name,
        serverName: serverPrefix + name, waitTime: waitTime, msgOption: msgOption, arguments: arguments,
        requestPort: d.requestPort, userReplyPort: d.userReplyPort, serverReplyPort: d.serverReplyPort,
        retCode: d.retCode, msgOptionArgument: d.msgOption, waitTimeArgument: d.waitTime,
        msgSeqNoArgument: d.msgSeqNo, hasNoReplyArguments: !arguments.contains { $0.traits.contains(.returnSnd) }))
  }
}

