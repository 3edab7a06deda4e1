// The Mach-plan JSON shape (docs/mach-oracle.md) as GNU MIG's generated C defines it. The keys the
// issue requires come first in each type; the rest are oracle-only extras (checks, provenance).

/// `true`, `false`, or the string `"runtime"` when the sender decides the value while sending.
enum RuntimeBool: Codable, Sendable, Equatable {
  case value(Bool)
  case runtime

  init(from decoder: any Decoder) throws {
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

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .value(let flag): try container.encode(flag)
    case .runtime: try container.encode("runtime")
    }
  }
}

/// A header disposition: a number, or `"runtime"` when a Poly argument supplies it.
enum RuntimeNumber: Codable, Sendable, Equatable {
  case value(Int)
  case runtime

  init(from decoder: any Decoder) throws {
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

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .value(let number): try container.encode(number)
    case .runtime: try container.encode("runtime")
    }
  }
}

/// `"always"`, `"never"`, `"runtime"`; receivers may also leave the bit `"unchecked"`.
enum ComplexBit: String, Codable, Sendable, Equatable {
  case always, never, runtime, unchecked
}

struct OraclePlan: Codable, Sendable, Equatable {
  struct Subsystem: Codable, Sendable, Equatable {
    var name: String
    var base: Int
  }

  var subsystem: Subsystem
  var routines: [OracleRoutine]
  /// Extra: how GNU MIG was run (flags after the always-added `-D__x86_64__ -D__LP64__`).
  var migFlags: [String]
  /// Extra: `KernelUser`/`KernelServer` seen in the generated code.
  var kernelUser: Bool
  var kernelServer: Bool
  /// Extra: C type names no header defined; the layout probe declared them itself (see the docs).
  var synthesizedCTypes: [String]
}

struct OracleRoutine: Codable, Sendable, Equatable {
  var name: String
  var kind: String
  var requestID: Int
  var replyID: Int?
  var request: OracleMessage
  var reply: OracleMessage?
  /// Extra: the routine's index in the subsystem (`-list`), `requestID - base`.
  var index: Int
  /// Extra: where the C compiler's layout of GNU MIG's structs disagrees with GNU MIG's own size
  /// arithmetic (a GNU MIG bug). Empty when both agree. The plan always follows the arithmetic.
  var cLayoutMismatches: [String]

  private enum CodingKeys: String, CodingKey {
    case name, kind, requestID, replyID, request, reply, index, cLayoutMismatches
  }

  // `replyID` and `reply` are written as `null` for simpleroutines, not left out.
  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(name, forKey: .name)
    try container.encode(kind, forKey: .kind)
    try container.encode(requestID, forKey: .requestID)
    try container.encode(replyID, forKey: .replyID)
    try container.encode(request, forKey: .request)
    try container.encode(reply, forKey: .reply)
    try container.encode(index, forKey: .index)
    try container.encode(cLayoutMismatches, forKey: .cLayoutMismatches)
  }
}

struct OracleMessage: Codable, Sendable, Equatable {
  var size: Int
  var sizeIsMinimum: Bool
  var complex: ComplexBit
  var items: [OracleItem]
  /// Extra: the size with every variable array at its maximum (what `sizeof(Request)` should be).
  var maximumSize: Int
  /// Extra (requests only): the header dispositions the user stub puts in `msgh_bits`.
  var remoteDisposition: RuntimeNumber?
  var localDisposition: RuntimeNumber?
  /// Extra: what the receiving stub checks.
  var receiverCheck: ReceiverCheck
}

struct OracleItem: Codable, Sendable, Equatable {
  var name: String
  var descriptorOffset: Int
  var descriptorForm: String
  var dataOffset: Int
  var dataSize: Int
  var msgtName: Int
  var msgtSize: Int
  var msgtNumber: Int
  var inline: RuntimeBool
  var deallocate: RuntimeBool
  /// Extra: `dataSize` rounded up to the 4-byte word, i.e. what the item occupies at its maximum.
  var paddedDataSize: Int
  /// Extra: the descriptor fields (`msgtName`, `msgtSize`, `msgtNumber`) the sender overwrites at
  /// run time; the numbers above are then the static template values GNU MIG writes.
  var runtime: [String]
}

struct ReceiverCheck: Codable, Sendable, Equatable {
  var size: Int
  var sizeIsMinimum: Bool
  var complex: ComplexBit
  var items: [CheckedItem]
}

/// How the receiver checks one item's descriptor: `"quick"` compares the whole 32-bit descriptor word
/// with a template; `"fields"` compares the listed fields; `"none"` checks nothing.
struct CheckedItem: Codable, Sendable, Equatable {
  var name: String
  var method: String
  /// Field → expected value (`msgtName`, `msgtSize`, `msgtNumber`, `inline`, `longform`,
  /// `deallocate`; booleans as 0/1).
  var expect: [String: Int]
}
