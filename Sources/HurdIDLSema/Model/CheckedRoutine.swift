public import HurdIDLSource

/// `routine` (request + reply) or `simpleroutine` (request only). Raw values as in `.defs`.
public enum RoutineKind: String, Hashable, Sendable, Codable {
  case routine
  case simpleRoutine = "simpleroutine"
}

/// What an argument is, after request-port inference and companion expansion (GNU's `akIdent`
/// plus direction).
public enum ArgumentKind: String, Hashable, Sendable, Codable {
  /// The request port: `requestport x`, or the first argument written without a direction.
  case requestPort
  /// `replyport`: the reply port on both sides.
  case replyPort
  /// `ureplyport`: user side only — or the implicit default reply port of the user stub.
  case userReplyPort
  /// `sreplyport`: server side only — or the implicit default reply port of the server stub.
  case serverReplyPort
  case `in`
  case out
  case `inout`
  /// `waittime w: …`, or the implicit argument carrying the `waittime` statement's value.
  case waitTime
  /// `msgoption o: …`, or the implicit argument carrying the `msgoption` statement's value
  /// (`MACH_MSG_OPTION_NONE` by default).
  case msgOption
  /// `msgseqno s: …` (server only, from `msgh_seqno`).
  case msgSeqNo
  /// The implicit return code: first item of every reply.
  case retCode
  /// Companion `<arg>Poly`: the run-time `msgt_name` of a polymorphic argument.
  case poly
  /// Companion `<arg>Cnt`: the element count of a variable array (no C parameter for c_strings).
  case count
  /// Companion `<arg>Cnt` of a `countinout` out array: a separate INTEGER item in the request.
  case countInOut
  /// Companion `<arg>Dealloc` of a `dealloc[]` argument (sending side).
  case dealloc
  /// Companion `<arg>SCopy` of a `servercopy` argument (server side).
  case serverCopy
}

/// How an argument came to be in the list.
public enum ArgumentOrigin: String, Hashable, Sendable, Codable {
  /// Written in the `.defs` file.
  case written
  /// A companion GNU adds right after its parent (Poly, CountInOut, Count, Dealloc, SCopy).
  case companion
  /// Added by GNU MIG: RetCode, default reply ports, the `msgoption`/`waittime` statement values.
  case implicit
}

/// GNU MIG's argument-kind bits (`akb…` in its routine.h), which decide where a value travels and
/// who sees it. Encodes as an array of the names below in a fixed order.
///
/// Naming: *request*/*reply* = the argument has a descriptor + data item in that message;
/// *send…* bits concern the request, *return…* bits the reply; *Snd* = the side that sends packs
/// it (user for the request, server for the reply), *Rcv* = the receiving side unpacks it.
public struct ArgumentTraits: OptionSet, Hashable, Sendable, Codable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// `akbRequest`: has a type descriptor and data in the request message.
  public static let request = ArgumentTraits(rawValue: 1 << 0)
  /// `akbReply`: has a type descriptor and data in the reply message.
  public static let reply = ArgumentTraits(rawValue: 1 << 1)
  /// `akbUserArg`: a parameter of the user stub.
  public static let userArgument = ArgumentTraits(rawValue: 1 << 2)
  /// `akbServerArg`: a parameter of the server work function.
  public static let serverArgument = ArgumentTraits(rawValue: 1 << 3)
  /// `akbSend`: the value is carried in the request (body or header).
  public static let send = ArgumentTraits(rawValue: 1 << 4)
  /// `akbSendBody`: … in the request body.
  public static let sendBody = ArgumentTraits(rawValue: 1 << 5)
  /// `akbSendSnd`: the user stub stores it into the request.
  public static let sendSnd = ArgumentTraits(rawValue: 1 << 6)
  /// `akbSendRcv`: the server stub takes it out of the request.
  public static let sendRcv = ArgumentTraits(rawValue: 1 << 7)
  /// `akbReturn`: the value is carried in the reply.
  public static let `return` = ArgumentTraits(rawValue: 1 << 8)
  /// `akbReturnBody`: … in the reply body.
  public static let returnBody = ArgumentTraits(rawValue: 1 << 9)
  /// `akbReturnSnd`: the server stub stores it into the reply.
  public static let returnSnd = ArgumentTraits(rawValue: 1 << 10)
  /// `akbReturnRcv`: the user stub takes it out of the reply.
  public static let returnRcv = ArgumentTraits(rawValue: 1 << 11)
  /// `akbReplyInit`: the server stub initialises the reply descriptor.
  public static let replyInit = ArgumentTraits(rawValue: 1 << 12)
  /// `akbRequestQC`: the request descriptor can be checked with one word compare.
  public static let requestQuickCheck = ArgumentTraits(rawValue: 1 << 13)
  /// `akbReplyQC`: the reply descriptor can be checked with one word compare.
  public static let replyQuickCheck = ArgumentTraits(rawValue: 1 << 14)
  /// `akbReplyCopy`: an `inout` value copied from the request into the reply after the call.
  public static let replyCopy = ArgumentTraits(rawValue: 1 << 15)
  /// `akbVarNeeded`: the server stub needs a local variable.
  public static let varNeeded = ArgumentTraits(rawValue: 1 << 16)
  /// `akbDestroy`: the server stub calls the destructor (or deallocates OOL `array[]` data).
  public static let destroy = ArgumentTraits(rawValue: 1 << 17)
  /// `akbVariable`: variable-sized inline data.
  public static let variable = ArgumentTraits(rawValue: 1 << 18)
  /// `akbIndefinite`: variable-sized, inline or out of line at run time.
  public static let indefinite = ArgumentTraits(rawValue: 1 << 19)
  /// `akbPointer`: the server function gets a pointer to the real buffer (returned `array[]`).
  public static let pointer = ArgumentTraits(rawValue: 1 << 20)

  public static let names: [(ArgumentTraits, String)] = [
    (.request, "request"), (.reply, "reply"), (.userArgument, "userArgument"),
    (.serverArgument, "serverArgument"), (.send, "send"), (.sendBody, "sendBody"), (.sendSnd, "sendSnd"),
    (.sendRcv, "sendRcv"), (.return, "return"), (.returnBody, "returnBody"), (.returnSnd, "returnSnd"),
    (.returnRcv, "returnRcv"), (.replyInit, "replyInit"), (.requestQuickCheck, "requestQuickCheck"),
    (.replyQuickCheck, "replyQuickCheck"), (.replyCopy, "replyCopy"), (.varNeeded, "varNeeded"),
    (.destroy, "destroy"), (.variable, "variable"), (.indefinite, "indefinite"), (.pointer, "pointer"),
  ]

  public static let sendBits: ArgumentTraits = [.send, .sendBody, .sendSnd, .sendRcv]
  public static let returnBits: ArgumentTraits = [.return, .returnBody, .returnSnd, .returnRcv]

  public init(from decoder: any Decoder) throws {
    let names = try [String](from: decoder)
    var traits = ArgumentTraits()
    for name in names {
      guard let entry = Self.names.first(where: { $0.1 == name }) else {
        throw DecodingError.dataCorrupted(
          DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "unknown trait \(name)"))
      }
      traits.insert(entry.0)
    }
    self = traits
  }
  public func encode(to encoder: any Encoder) throws {
    try Self.names.filter { contains($0.0) }.map(\.1).encode(to: encoder)
  }
}

/// The indices (into ``CheckedRoutine/arguments``) of an argument's implicit companions.
public struct Companions: Hashable, Sendable, Codable {
  public var poly: Int?
  public var count: Int?
  public var countInOut: Int?
  public var dealloc: Int?
  public var serverCopy: Int?
  public init(poly: Int? = nil, count: Int? = nil, countInOut: Int? = nil, dealloc: Int? = nil, serverCopy: Int? = nil) {
    self.poly = poly
    self.count = count
    self.countInOut = countInOut
    self.dealloc = dealloc
    self.serverCopy = serverCopy
  }
}

/// One argument of a routine, written or implicit, in GNU MIG's order (reference §4.3).
public struct CheckedArgument: Hashable, Sendable, Codable {
  /// The name as written; companions are `<parent>Poly`, `<parent>Cnt`, `<parent>Dealloc`,
  /// `<parent>SCopy`; implicit ones are `RetCode`, `dummy ReplyPort arg`, `dummy MsgOption arg`,
  /// `dummy WaitTime arg` (GNU's internal names).
  public var name: String
  public var kind: ArgumentKind
  public var origin: ArgumentOrigin
  /// The written argument (`nil` for companions and implicit arguments).
  public var range: SourceRange?
  /// The argument's type (for companions and implicit arguments, GNU's implicit types:
  /// `mach_msg_type_number_t`, `mach_msg_type_name_t`, `boolean_t`, `kern_return_t`,
  /// `mach_port_t`, `mach_msg_timeout_t`, `mach_msg_option_t`).
  public var type: ResolvedType
  /// GNU's argument-kind bits.
  public var traits: ArgumentTraits
  /// The argument's flags after GNU's `itCheckFlags`.
  public var flags: IPCFlagSet
  /// The sender's `msgt_deallocate` for this argument (`argDeallocate`: type default overridden by
  /// flags).
  public var deallocate: Deallocate
  /// The descriptor form for this argument (`argLongForm`).
  public var isLongForm: Bool
  /// `servercopy` honoured (only on `in` indefinite arrays).
  public var isServerCopy: Bool
  /// `countinout` honoured (only on `out` inline variable arrays).
  public var isCountInOut: Bool
  /// For companions: the index of the argument they belong to.
  public var parent: Int?
  public var companions: Companions
  /// For `count` companions: `msgt_number = count × multiplier` (GNU's `argMultiplier` =
  /// the parent type's `element.number`); 1 otherwise.
  public var multiplier: UInt32
  /// For the implicit `msgOption`/`waitTime` arguments (and the default reply ports): the C text
  /// used (`MACH_MSG_OPTION_NONE`, `500`, …).
  public var value: String?
  /// GNU's `argRequestPos`/`argReplyPos`: how many variable inline items precede this one in the
  /// request/reply (`nil` = GNU's −1, not in that message).
  public var requestPosition: Int?
  public var replyPosition: Int?
  /// `argByReferenceUser`/`argByReferenceServer`: passed as a pointer on that side.
  public var isByReferenceUser: Bool
  public var isByReferenceServer: Bool

  public init(
    name: String, kind: ArgumentKind, origin: ArgumentOrigin, range: SourceRange?, type: ResolvedType,
    traits: ArgumentTraits, flags: IPCFlagSet, deallocate: Deallocate, isLongForm: Bool, isServerCopy: Bool,
    isCountInOut: Bool, parent: Int?, companions: Companions, multiplier: UInt32, value: String?,
    requestPosition: Int?, replyPosition: Int?, isByReferenceUser: Bool, isByReferenceServer: Bool
  ) {
    self.name = name
    self.kind = kind
    self.origin = origin
    self.range = range
    self.type = type
    self.traits = traits
    self.flags = flags
    self.deallocate = deallocate
    self.isLongForm = isLongForm
    self.isServerCopy = isServerCopy
    self.isCountInOut = isCountInOut
    self.parent = parent
    self.companions = companions
    self.multiplier = multiplier
    self.value = value
    self.requestPosition = requestPosition
    self.replyPosition = replyPosition
    self.isByReferenceUser = isByReferenceUser
    self.isByReferenceServer = isByReferenceServer
  }

  /// Has a descriptor + data item in the request (`akbRequest`).
  public var isInRequest: Bool { traits.contains(.request) }
  /// Has a descriptor + data item in the reply (`akbReply`; RetCode included).
  public var isInReply: Bool { traits.contains(.reply) }
  /// A parameter of the user stub.
  public var isUserParameter: Bool { traits.contains(.userArgument) }
  /// A parameter of the server work function.
  public var isServerParameter: Bool { traits.contains(.serverArgument) }
}

/// One `routine`/`simpleroutine` with everything GNU MIG derives for it.
public struct CheckedRoutine: Hashable, Sendable, Codable {
  public var kind: RoutineKind
  public var name: String
  public var range: SourceRange
  /// The running index (routine counter at this routine, after `skip`s).
  public var index: UInt32
  /// `msgh_id` of the request: subsystem base + index (unsigned 32-bit, wrapping as GNU does;
  /// sema reports the wrap).
  public var requestID: UInt32
  /// `requestID + 100`; `nil` for simpleroutines.
  public var replyID: UInt32?
  /// The `userprefix` / `serverprefix` in effect when the routine was parsed ("" if none).
  public var userPrefix: String
  public var serverPrefix: String
  /// `userPrefix + name` and `serverPrefix + name` (a `-prefix` option is the generator's business).
  public var userName: String
  public var serverName: String
  /// The `waittime` statement in effect (`nil` after `nowaittime` or if none).
  public var waitTime: String?
  /// The `msgoption` statement in effect (`nil` if none).
  public var msgOption: String?
  /// All arguments in GNU MIG's order, including RetCode, companions, default reply ports and the
  /// implicit `msgoption`/`waittime` arguments. Message items are the arguments with
  /// `isInRequest`/`isInReply`, in this order.
  public var arguments: [CheckedArgument]
  /// Indices into `arguments` of the distinguished arguments (GNU's `rtRequestPort`, …).
  public var requestPort: Int
  public var userReplyPort: Int
  public var serverReplyPort: Int
  public var retCode: Int
  public var msgOptionArgument: Int
  public var waitTimeArgument: Int?
  public var msgSeqNoArgument: Int?
  /// GNU's `rtNoReplyArgs`: no reply item beyond RetCode (the reply stays the 40-byte header).
  public var hasNoReplyArguments: Bool

  public init(
    kind: RoutineKind, name: String, range: SourceRange, index: UInt32, requestID: UInt32, replyID: UInt32?,
    userPrefix: String, serverPrefix: String, userName: String, serverName: String, waitTime: String?,
    msgOption: String?, arguments: [CheckedArgument], requestPort: Int, userReplyPort: Int, serverReplyPort: Int,
    retCode: Int, msgOptionArgument: Int, waitTimeArgument: Int?, msgSeqNoArgument: Int?, hasNoReplyArguments: Bool
  ) {
    self.kind = kind
    self.name = name
    self.range = range
    self.index = index
    self.requestID = requestID
    self.replyID = replyID
    self.userPrefix = userPrefix
    self.serverPrefix = serverPrefix
    self.userName = userName
    self.serverName = serverName
    self.waitTime = waitTime
    self.msgOption = msgOption
    self.arguments = arguments
    self.requestPort = requestPort
    self.userReplyPort = userReplyPort
    self.serverReplyPort = serverReplyPort
    self.retCode = retCode
    self.msgOptionArgument = msgOptionArgument
    self.waitTimeArgument = waitTimeArgument
    self.msgSeqNoArgument = msgSeqNoArgument
    self.hasNoReplyArguments = hasNoReplyArguments
  }

  public var isOneWay: Bool { kind == .simpleRoutine }
  /// The request items in wire order (after the header).
  public var requestItems: [CheckedArgument] { arguments.filter(\.isInRequest) }
  /// The reply items in wire order (RetCode first); empty for simpleroutines.
  public var replyItems: [CheckedArgument] { isOneWay ? [] : arguments.filter(\.isInReply) }
}
