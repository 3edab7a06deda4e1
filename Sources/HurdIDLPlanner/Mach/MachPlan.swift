import HurdIDLSema

// The Mach wire plan: per routine, the request and the reply exactly as GNU MIG 1.8 (x86_64) lays
// them out. Encoding these types gives the JSON of `hurdidl dump plan --wire mach`
// (docs/mach-oracle.md defines the required keys; docs/plans.md the rest).

/// `true`, `false`, or `"runtime"` when the sender decides the value while sending.
public enum MachRuntimeBool: Codable, Sendable, Hashable, CustomStringConvertible {
  case value(Bool)
  case runtime

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let flag = try? container.decode(Bool.self) {
      self = .value(flag)
    } else if try container.decode(String.self) == "runtime" {
      self = .runtime
    } else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "expected true, false or \"runtime\"")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .value(let flag): try container.encode(flag)
    case .runtime: try container.encode("runtime")
    }
  }

  public var description: String {
    switch self {
    case .value(let flag): "\(flag)"
    case .runtime: "runtime"
    }
  }
}

/// A header disposition (`MACH_MSG_TYPE_*` number), or `"runtime"` when a Poly argument supplies it.
public enum MachDisposition: Codable, Sendable, Hashable {
  case value(Int)
  case runtime

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let number = try? container.decode(Int.self) {
      self = .value(number)
    } else if try container.decode(String.self) == "runtime" {
      self = .runtime
    } else {
      throw DecodingError.dataCorruptedError(
        in: container, debugDescription: "expected a number or \"runtime\"")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .value(let number): try container.encode(number)
    case .runtime: try container.encode("runtime")
    }
  }
}

/// The sender's `MACH_MSGH_BITS_COMPLEX`: fixed on or off, or decided while sending (`msgh_simple`).
public enum MachComplexity: String, Codable, Sendable, Hashable {
  case always, never, runtime
}

/// `mach_msg_type_t` (4 bytes) or `mach_msg_type_long_t` (12 bytes).
public enum MachDescriptorForm: String, Codable, Sendable, Hashable {
  case short, long

  public var byteCount: Int {
    Int(self == .short ? MachTarget.shortDescriptorSizeInBytes : MachTarget.longDescriptorSizeInBytes)
  }
}

/// Why an item is in the message.
public enum MachItemRole: String, Codable, Sendable, Hashable {
  /// An `in`, `out` or `inout` argument.
  case argument
  /// The reply's return code (always the reply's first item).
  case returnCode
  /// The request's copy of a CountInOut count (`<arg>Cnt`): the capacity the caller offers.
  case countInOut
}

/// One data item: its type descriptor and its data, at their offsets from the start of the message
/// with every earlier variable array at its maximum.
public struct MachItemPlan: Codable, Sendable, Hashable {
  /// The argument name; `RetCode`; `<arg>Cnt` for a CountInOut count.
  public var name: String
  public var descriptorOffset: Int
  public var descriptorForm: MachDescriptorForm
  public var dataOffset: Int
  /// Bytes of data, unpadded: variable arrays at their maximum, out-of-line data as a pointer (8).
  public var dataSize: Int
  /// The sender's descriptor template (`msgtl_*` for the long form). Fields listed in `runtime`
  /// are overwritten while sending; the number here is the template's.
  public var msgtName: Int
  public var msgtSize: Int
  public var msgtNumber: Int
  public var inline: MachRuntimeBool
  public var deallocate: MachRuntimeBool
  /// `dataSize` rounded up to the 4-byte word: what the item occupies at its maximum.
  public var paddedDataSize: Int
  /// Which of `msgtName`, `msgtSize`, `msgtNumber` the sender sets while sending.
  public var runtime: [String]
  public var role: MachItemRole
  /// An inline variable array: the count travels in the descriptor and the items after it move up
  /// by (maximum − actual) bytes, rounded to the word.
  public var variable: Bool
  /// Variable arrays (inline or not): `msgt_number` = the C-level count × this; `nil` otherwise.
  public var countMultiplier: Int?
  /// A `c_string`: a variable one sends `strlen + 1` (at most its maximum) and has no Count argument.
  public var string: Bool
  /// The receiver's expectations for this item's descriptor.
  public var receiverCheck: MachItemCheck
}

/// What a receiving stub compares in one item's descriptor: `quick` compares the whole descriptor
/// word with `expect`; `fields` compares only the fields listed in `expect`.
public struct MachItemCheck: Codable, Sendable, Hashable {
  public enum Method: String, Codable, Sendable, Hashable {
    case quick, fields
  }

  public var method: Method
  /// Field (`msgtName`, `msgtSize`, `msgtNumber`, `inline`, `longform`, `deallocate`) → expected
  /// value (booleans as 0/1).
  public var expect: [String: Int]
}

/// One message (request or reply) as its sender builds it.
public struct MachMessagePlan: Codable, Sendable, Hashable {
  /// The `msgh_size` the receiver checks: exact for fixed messages, the minimum for variable ones.
  public var size: Int
  /// The receiver checks `msgh_size < size` rather than `!=`.
  public var sizeIsMinimum: Bool
  public var complex: MachComplexity
  /// Data items in wire order after the 32-byte header.
  public var items: [MachItemPlan]
  /// The size with every variable array at its maximum (the buffer a receiver needs).
  public var maximumSize: Int
  /// Requests only: the `MACH_MSGH_BITS(remote, local)` dispositions the user stub sends.
  public var remoteDisposition: MachDisposition?
  public var localDisposition: MachDisposition?
  /// What the receiver expects of the complex bit (it checks with out-names).
  public var receiverComplex: MachComplexity
}

public enum MachRoutineKind: String, Codable, Sendable, Hashable {
  case routine, simpleroutine
}

public struct MachRoutinePlan: Codable, Sendable, Hashable {
  public var name: String
  public var kind: MachRoutineKind
  public var requestID: Int
  /// `nil` (written as `null`) for simpleroutines.
  public var replyID: Int?
  public var request: MachMessagePlan
  /// `nil` (written as `null`) for simpleroutines.
  public var reply: MachMessagePlan?
  /// Position in the subsystem: `requestID − base` (modulo 2³²).
  public var index: Int

  private enum CodingKeys: String, CodingKey {
    case name, kind, requestID, replyID, request, reply, index
  }

  public init(
    name: String, kind: MachRoutineKind, requestID: Int, replyID: Int?, request: MachMessagePlan,
    reply: MachMessagePlan?, index: Int
  ) {
    self.name = name
    self.kind = kind
    self.requestID = requestID
    self.replyID = replyID
    self.request = request
    self.reply = reply
    self.index = index
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    name = try container.decode(String.self, forKey: .name)
    kind = try container.decode(MachRoutineKind.self, forKey: .kind)
    requestID = try container.decode(Int.self, forKey: .requestID)
    replyID = try container.decode(Int?.self, forKey: .replyID)
    request = try container.decode(MachMessagePlan.self, forKey: .request)
    reply = try container.decode(MachMessagePlan?.self, forKey: .reply)
    index = try container.decode(Int.self, forKey: .index)
  }

  // `replyID` and `reply` are written as `null` for simpleroutines, never left out.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(name, forKey: .name)
    try container.encode(kind, forKey: .kind)
    try container.encode(requestID, forKey: .requestID)
    try container.encode(replyID, forKey: .replyID)
    try container.encode(request, forKey: .request)
    try container.encode(reply, forKey: .reply)
    try container.encode(index, forKey: .index)
  }
}

/// Every routine of one interface, in declaration order.
public struct MachInterfacePlan: Codable, Sendable, Hashable {
  public var subsystem: PlanSubsystem
  public var routines: [MachRoutinePlan]
  /// `KernelUser`/`KernelServer`: ports are 64 bits wide and KernelServer replies carry out-names.
  public var kernelUser: Bool
  public var kernelServer: Bool
}
