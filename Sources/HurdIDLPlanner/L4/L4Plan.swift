// The native L4 message plan: plain Codable data that generated code (and `hurdidl dump plan
// --wire l4`) reads. The placement rules that produce it are in L4Planner.swift and docs/plans.md.

/// The native L4 layout of one interface: one plan per routine, in declaration order.
public struct L4InterfacePlan: Codable, Hashable, Sendable {
  /// Always `"l4"`, so a reader can tell this plan from a Mach one.
  public var wire: String
  /// Nil only for a type fragment (no `subsystem`, no routines).
  public var subsystem: PlanSubsystem?
  public var routines: [L4RoutinePlan]
  /// Routines that cannot be laid out in 63 registers (their plans are still listed, with the
  /// message marked as not fitting). Empty for every realistic interface.
  public var problems: [L4PlanProblem]

  public init(subsystem: PlanSubsystem?, routines: [L4RoutinePlan], problems: [L4PlanProblem]) {
    self.wire = "l4"
    self.subsystem = subsystem
    self.routines = routines
    self.problems = problems
  }
}

/// A routine whose messages need more than 63 registers even after every fixed datum moved into
/// the overflow string: only capability items (which cannot be packed into a string) are left.
public struct L4PlanProblem: Codable, Hashable, Sendable {
  public var routine: String
  /// `"request"` or `"reply"`.
  public var message: String
  /// Registers the message needs at its smallest.
  public var requiredWords: Int
  public var explanation: String

  public init(routine: String, message: String, requiredWords: Int, explanation: String) {
    self.routine = routine
    self.message = message
    self.requiredWords = requiredWords
    self.explanation = explanation
  }
}

/// One routine: its ids, where every argument goes, and its request and reply messages.
public struct L4RoutinePlan: Codable, Hashable, Sendable {
  public var name: String
  /// `"routine"` or `"simpleroutine"`.
  public var kind: String
  /// MR0 label of the request.
  public var requestID: UInt32
  /// MR0 label of the reply (`requestID + 100`); nil for simpleroutines.
  public var replyID: UInt32?
  /// Every argument of the checked routine (implicit companions included), in the checked
  /// routine's order, each with the one place it goes.
  public var arguments: [L4ArgumentPlan]
  public var request: L4MessagePlan
  /// Nil for simpleroutines: they have no reply.
  public var reply: L4MessagePlan?

  private enum CodingKeys: String, CodingKey {
    case name, kind, requestID, replyID, arguments, request, reply
  }

  /// `replyID` and `reply` are written as `null` for simpleroutines (as in the Mach plan), not
  /// left out.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(name, forKey: .name)
    try container.encode(kind, forKey: .kind)
    try container.encode(requestID, forKey: .requestID)
    try container.encode(replyID, forKey: .replyID)
    try container.encode(arguments, forKey: .arguments)
    try container.encode(request, forKey: .request)
    try container.encode(reply, forKey: .reply)
  }

  public init(
    name: String, kind: String, requestID: UInt32, replyID: UInt32?, arguments: [L4ArgumentPlan],
    request: L4MessagePlan, reply: L4MessagePlan?
  ) {
    self.name = name
    self.kind = kind
    self.requestID = requestID
    self.replyID = replyID
    self.arguments = arguments
    self.request = request
    self.reply = reply
  }
}

/// What an argument is, as far as the wire is concerned.
public enum L4ArgumentRole: String, Codable, Hashable, Sendable, CaseIterable {
  case `in`, out, `inout`
  case requestPort, replyPort, userReplyPort, serverReplyPort
  case waitTime, messageOption, sequenceNumber
  /// The implicit return code.
  case returnCode
  /// Implicit companions of a parent argument.
  case count, countInOut, poly, dealloc, serverCopy
}

/// Where an argument goes: into a message (a field or an item, or an attribute of its parent's
/// item), or somewhere outside both messages.
public struct L4ArgumentPlan: Codable, Hashable, Sendable {
  public var name: String
  public var role: L4ArgumentRole
  /// For companions: the argument they describe.
  public var parent: String?
  /// Where the value travels in the request (nil: not in the request).
  public var request: L4Location?
  /// Where the value travels in the reply (nil: not in the reply).
  public var reply: L4Location?
  /// Where the value goes instead of a message (nil when it travels in a message).
  public var outOfBand: L4OutOfBand?

  public init(
    name: String, role: L4ArgumentRole, parent: String? = nil, request: L4Location? = nil,
    reply: L4Location? = nil, outOfBand: L4OutOfBand? = nil
  ) {
    self.name = name
    self.role = role
    self.parent = parent
    self.request = request
    self.reply = reply
    self.outOfBand = outOfBand
  }
}

/// A place in one message.
public struct L4Location: Codable, Hashable, Sendable {
  public enum Kind: String, Codable, Hashable, Sendable {
    /// The value is field `index` of ``L4MessagePlan/fields`` (untyped words or overflow string).
    case field
    /// The value is item `index` of ``L4MessagePlan/items``.
    case item
    /// A Count companion: the element count of item `index` (its length in bytes divided by the
    /// element size, or the number of capabilities in a run).
    case itemCount
    /// A Poly companion: the disposition of capability item `index`.
    case itemDisposition
    /// A Dealloc companion: whether region item `index` is granted (true) or mapped (false).
    case itemTransfer
  }
  public var kind: Kind
  public var index: Int

  public init(_ kind: Kind, _ index: Int) {
    self.kind = kind
    self.index = index
  }
}

/// Where arguments that are not message data go.
public enum L4OutOfBand: String, Codable, Hashable, Sendable {
  /// The request port: the capability the client invokes (the IPC destination); the server sees
  /// it as the object the request arrived on.
  case target
  /// A reply port: the reply goes back on the L4 call's receive phase to the calling thread; an
  /// explicit reply-port argument is handed to the transport with the call, never as data.
  case replyChannel
  /// `waittime`: the client's `CallOptions.timeout` (receive phase included, like
  /// `MACH_RCV_TIMEOUT`).
  case callTimeout
  /// `msgoption`: transport options of the client's call (`CallOptions`); nothing on the wire.
  case callOptions
  /// `msgseqno`: supplied by the server's receive loop (`CallContext`), never sent.
  case serverContext
  /// `servercopy`: a server-side hint only; on L4 data that arrived in a string item is already
  /// a copy, and a region arrives mapped or granted.
  case serverHint
  /// A simpleroutine's return code: the result of the send itself (there is no reply).
  case sendResult
  /// A Dealloc companion of data that does not travel as a region: nothing to decide on L4.
  case unused
}

/// One message (request or reply): MR0 and the registers after it.
public struct L4MessagePlan: Codable, Hashable, Sendable {
  /// MR0 label: the request id, or the reply id for replies.
  public var label: UInt32
  /// `u`: untyped words. The same for every message of this routine and direction.
  public var untypedWords: Int
  /// `t` when every variable capability run is empty (equals ``typedWordsMaximum`` without runs).
  public var typedWordsMinimum: Int
  /// `t` when every variable capability run is full; `reservedWords + untypedWords +
  /// typedWordsMaximum ≤ 63` unless the routine is listed in ``L4InterfacePlan/problems``.
  public var typedWordsMaximum: Int
  /// Registers the transport puts in front of the plan's words, which the plan leaves free:
  /// 1 in every request (the capability id a `CapabilityTransport` prepends and a bucket strips,
  /// docs/capabilities.md), absent (0) in replies. Field offsets do not count it: a demux reads the
  /// request without it.
  public var reservedWords: Int?
  /// Data placed by value: in the untyped words (area `words`) or in the overflow string (area
  /// `overflow`), in argument order within each area.
  public var fields: [L4FieldPlan]
  /// Bytes in the overflow string (item 0) when some fixed data did not fit into words.
  public var overflowBytes: Int?
  /// Typed items in wire order: the overflow string first (if any), then one entry per item
  /// argument in argument order, then variable capability runs in argument order.
  public var items: [L4ItemPlan]

  public init(
    label: UInt32, untypedWords: Int, typedWordsMinimum: Int, typedWordsMaximum: Int,
    fields: [L4FieldPlan], overflowBytes: Int?, items: [L4ItemPlan], reservedWords: Int? = nil
  ) {
    self.label = label
    self.reservedWords = reservedWords
    self.untypedWords = untypedWords
    self.typedWordsMinimum = typedWordsMinimum
    self.typedWordsMaximum = typedWordsMaximum
    self.fields = fields
    self.overflowBytes = overflowBytes
    self.items = items
  }

  /// Whether the message fits into the 63 payload registers at its largest, with its reserved
  /// words.
  public var fits: Bool { (reservedWords ?? 0) + untypedWords + typedWordsMaximum <= L4Wire.payloadRegisters }
}

/// How a fixed datum's bytes are read.
public enum L4Encoding: String, Codable, Hashable, Sendable {
  /// Little-endian two's-complement integers of `elementBytes` each.
  case integer
  /// One byte per element, 0 or 1 (the receiver rejects anything else).
  case boolean
  /// `MACH_MSG_TYPE_BIT` elements: bit `i` of the data is element `i` (LSB first).
  case bits
  /// Opaque bytes (element sizes other than 1, 2, 4, 8 bytes): copied as they are.
  case bytes
  /// A GNU `struct {…}`: the bytes of its GNU layout (members at the offsets of the checked
  /// type's `structLayout`, each little-endian).
  case structure
}

/// Where a field is.
public enum L4FieldArea: String, Codable, Hashable, Sendable {
  /// The untyped words MR1…MRu, read as one little-endian byte string (byte `k` is bits
  /// `8·(k mod 8)…` of word `k / 8`).
  case words
  /// The overflow string item (item 0), laid out by the same rules.
  case overflow
}

/// A datum placed by value.
public struct L4FieldPlan: Codable, Hashable, Sendable {
  public enum Role: String, Codable, Hashable, Sendable {
    /// An argument's value.
    case value
    /// The reply's return code (always word 0, alone in it).
    case returnCode
    /// A CountInOut count: the caller's buffer capacity for an `out` array, in elements.
    case countInOut
    /// The number of capabilities in a variable capability run.
    case runCount
  }
  /// The argument (or `RetCode`, or `<arg>Cnt` for counts).
  public var name: String
  public var role: Role
  /// For counts: the argument counted.
  public var parent: String?
  public var area: L4FieldArea
  /// Offset in bytes from the start of the area; a multiple of ``alignment``.
  public var byteOffset: Int
  public var byteSize: Int
  public var alignment: Int
  /// The element's IPC type name as written (`MACH_MSG_TYPE_INTEGER_32`, …).
  public var elementType: String
  /// The element size the `.defs` declares.
  public var elementBits: Int
  /// The element size on this wire (booleans: 1 byte; bits: 0, packed LSB first).
  public var elementBytes: Int
  public var elementCount: Int
  public var encoding: L4Encoding

  public init(
    name: String, role: Role, parent: String? = nil, area: L4FieldArea, byteOffset: Int, byteSize: Int,
    alignment: Int, elementType: String, elementBits: Int, elementBytes: Int, elementCount: Int,
    encoding: L4Encoding
  ) {
    self.name = name
    self.role = role
    self.parent = parent
    self.area = area
    self.byteOffset = byteOffset
    self.byteSize = byteSize
    self.alignment = alignment
    self.elementType = elementType
    self.elementBits = elementBits
    self.elementBytes = elementBytes
    self.elementCount = elementCount
    self.encoding = encoding
  }

  /// First untyped word (0 = MR1) holding part of this field (area `words` only).
  public var firstWord: Int { byteOffset / L4Wire.wordBytes }
  /// Words the field touches.
  public var wordSpan: Int {
    byteSize == 0 ? 0 : (byteOffset + byteSize - 1) / L4Wire.wordBytes - firstWord + 1
  }
}

/// The kinds of typed item a plan uses (each maps to one `HurdRPC.TypedItem` case).
public enum L4ItemKind: String, Codable, Hashable, Sendable {
  /// A string item (copy into the receiver's string buffer).
  case string
  /// A memory-region item: map (share) or grant (move), see ``L4ItemPlan/transfer``.
  case region
  /// `array[]`: a string item up to ``L4ItemPlan/stringLimitBytes`` bytes, a region item above
  /// (the sender decides per call, like MIG's inline/out-of-line choice).
  case stringOrRegion
  /// One capability item.
  case capability
  /// Consecutive capability items, one per element of a port array.
  case capabilityRun
  /// The overflow string: fixed data that did not fit into the untyped words.
  case overflow
}

/// Map or grant for region items.
public enum L4RegionTransfer: String, Codable, Hashable, Sendable {
  /// Share: the sender keeps the memory (`dealloc` not given).
  case map
  /// Move: the sender loses the memory (`dealloc`).
  case grant
  /// Chosen per call by the Dealloc companion (`dealloc[]`).
  case runtime
}

/// A capability disposition, or `runtime` when a Poly companion chooses it per call.
public enum L4Disposition: String, Codable, Hashable, Sendable {
  case moveReceive = "move-receive"
  case moveSend = "move-send"
  case moveSendOnce = "move-send-once"
  case copySend = "copy-send"
  case makeSend = "make-send"
  case makeSendOnce = "make-send-once"
  case runtime
}

/// The right a receiver accepts for a capability item.
public enum L4ReceivedRight: String, Codable, Hashable, Sendable {
  case send
  case sendOnce = "send-once"
  case receive
  /// Polymorphic on both sides: any right.
  case any
}

/// One typed item (or run of capability items) of a message.
public struct L4ItemPlan: Codable, Hashable, Sendable {
  /// The argument carried, or `overflow`.
  public var name: String
  public var kind: L4ItemKind
  /// Registers the item takes (per capability for runs).
  public var wordsEach: Int

  // Data items (string, region, stringOrRegion, overflow).
  /// The element's IPC type name and sizes (per MIG element, as for fields).
  public var elementType: String?
  public var elementBits: Int?
  public var elementBytes: Int?
  public var encoding: L4Encoding?
  /// MIG elements per Count element when not 1 (`array[*:10] of quad`, `quad = array[4] of
  /// char`: 4); the Count companion and the maxima are in Count elements.
  public var countMultiplier: Int?
  /// Whether the element count varies per call (it is the item's length / element size).
  public var isVariable: Bool?
  /// Fixed element count of fixed data carried as a string.
  public var elementCount: Int?
  /// The declared maximum, in Count elements and in bytes; nil when the `.defs` declares none
  /// (`array[]`, `^…`). The sender refuses more before sending; the receiver sizes its string
  /// buffer from ``maximumBytes``.
  public var maximumElements: Int?
  public var maximumBytes: Int?
  /// `stringOrRegion`: data up to this many bytes travels as a string, larger as a region.
  public var stringLimitBytes: Int?
  /// Regions: map or grant.
  public var transfer: L4RegionTransfer?
  /// `c_string`: the text without its NUL; a NUL inside is refused by both sides.
  public var isText: Bool?

  // Capabilities.
  public var disposition: L4Disposition?
  public var receivedRight: L4ReceivedRight?
  /// Runs: fixed count, or the maximum when variable (declared maximum, limited to what fits).
  public var runCount: Int?
  public var runIsVariable: Bool?
  /// Variable runs: the field holding the count.
  public var countField: Int?

  public init(name: String, kind: L4ItemKind, wordsEach: Int) {
    self.name = name
    self.kind = kind
    self.wordsEach = wordsEach
  }

  /// Registers the item takes at its smallest and largest.
  public var minimumWords: Int {
    kind == .capabilityRun ? wordsEach * ((runIsVariable ?? false) ? 0 : (runCount ?? 0)) : wordsEach
  }
  public var maximumWords: Int {
    kind == .capabilityRun ? wordsEach * (runCount ?? 0) : wordsEach
  }
}

/// Constants of the L4 X.2 message layout (64-bit).
public enum L4Wire {
  /// MR1…MR63: `u + t ≤ 63`.
  public static let payloadRegisters = 63
  /// Registers every request leaves for the transport: word 0 carries the capability id the call
  /// is invoked on (every routine is invoked on its request port, a capability).
  public static let requestReservedWords = 1
  public static let wordBytes = 8
  /// String item: header + one substring pointer. Region (map/grant): send base + fpage.
  /// Capability: header + name (HurdRPC's `TypedItem.wordCount`).
  public static let stringItemWords = 2
  public static let regionItemWords = 2
  public static let capabilityItemWords = 2
  /// `array[]` data up to this size travels as a string; MIG's inline limit for indefinite arrays.
  public static let indefiniteStringLimitBytes = 2048
}
