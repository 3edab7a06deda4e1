public import HurdIDLSource

/// A `msgt_name` value together with its spelling in generated C (GNU's `itInNameStr` /
/// `itOutNameStr`): `MACH_MSG_TYPE_COPY_SEND`, a number such as `300`, or
/// `MACH_MSG_TYPE_POLYMORPHIC` (value `UInt32.max`, GNU's `(unsigned) -1`).
public struct MessageTypeName: Hashable, Sendable, Codable {
  public var value: UInt32
  public var spelling: String

  public init(value: UInt32, spelling: String) {
    self.value = value
    self.spelling = spelling
  }

  /// The polymorphic name: chosen at run time through a `Poly` companion argument.
  public static let polymorphic = MessageTypeName(value: .max, spelling: "MACH_MSG_TYPE_POLYMORPHIC")

  public var isPolymorphic: Bool { value == .max }
  /// GNU's `MACH_MSG_TYPE_PORT_ANY`: a port right (16 … 21). `PORT_NAME` (15) is not one.
  public var isPortRight: Bool { (16...21).contains(value) }
  /// What the name transfers, if it is a port (`nil` for data and for polymorphic names).
  public var portRight: PortRight? {
    switch value {
    case 15: .name
    case 16: .receive
    case 17, 19, 20: .send
    case 18, 21: .sendOnce
    default: nil
    }
  }
}

/// The kind of port a message type name carries.
public enum PortRight: String, Hashable, Sendable, Codable {
  /// `MACH_MSG_TYPE_PORT_NAME`: a plain name, no right (not a "port" for the complex bit).
  case name
  case receive
  case send
  case sendOnce
}

/// GNU's `dealloc_t`: whether the sender's `msgt_deallocate` bit is set.
public enum Deallocate: String, Hashable, Sendable, Codable {
  /// `d_NO` — never.
  case no
  /// `d_YES` — always (`dealloc`).
  case yes
  /// `d_MAYBE` — chosen at run time through a `Dealloc` companion (`dealloc[]`).
  case maybe
}

/// How GNU copies the data in C (`itStruct` / `itString`; neither means an array).
public enum CopySemantics: String, Hashable, Sendable, Codable {
  /// `itStruct`: assignable with `=` (scalars, ports, `struct[N] of`, `struct {…}`, OOL pointers).
  case assignment
  /// Neither flag: an array copied with `memcpy` (fixed `array[N]`, inline variable arrays).
  case array
  /// `itString`: a NUL-terminated string copied with `mig_strncpy` (`c_string`, `MACH_MSG_TYPE_STRING_C`).
  case string
}

/// GNU's `itUseLong`: how much a type needs the long descriptor form (`mach_msg_type_long_t`).
/// The default form is long exactly for `shouldBeLong` and above; `islong`/`isnotlong` override it
/// (with the warnings of reference §3.4).
public enum LongFormUse: String, Hashable, Sendable, Codable, Comparable {
  case notLong
  /// Polymorphic or variable: long allowed without a "doesn't need IsLong" warning.
  case canBeLong
  /// Indefinite (`array[]`) or out-of-line variable: long by default.
  case shouldBeLong
  /// A non-poly name ≥ 256, size ≥ 256 bits or number ≥ 4096.
  case mustBeLong
  /// A non-poly name or size ≥ 65536 (warned).
  case tooLong

  public static func < (lhs: LongFormUse, rhs: LongFormUse) -> Bool { lhs.rank < rhs.rank }
  private var rank: Int {
    switch self {
    case .notLong: 0
    case .canBeLong: 1
    case .shouldBeLong: 2
    case .mustBeLong: 3
    case .tooLong: 4
    }
  }
}

/// Where a resolved type came from.
public enum TypeOrigin: String, Hashable, Sendable, Codable {
  /// `char short int intptr_t uintptr_t`, predeclared by GNU MIG.
  case builtin
  /// A `type name = …;` statement.
  case declaration
  /// `arg: name = spec` inside an argument list (local to that argument).
  case argumentDeclaration
  /// An unnamed part of a type spec (the element of `array[…] of …`, a `struct {…}` member's base …).
  case anonymous
  /// A type GNU MIG makes up: RetCode, counts, poly names, dealloc/servercopy flags, the default
  /// request and reply ports, timeouts and options.
  case implicit
}

/// A value stored behind a reference so that value types can nest (a type's element type).
/// Encodes as the wrapped value.
public final class Indirect<Value: Hashable & Sendable & Codable>: Hashable, Sendable, Codable {
  public let value: Value
  public init(_ value: Value) { self.value = value }

  public static func == (lhs: Indirect, rhs: Indirect) -> Bool { lhs.value == rhs.value }
  public func hash(into hasher: inout Hasher) { hasher.combine(value) }

  public convenience init(from decoder: any Decoder) throws {
    self.init(try Value(from: decoder))
  }
  public func encode(to encoder: any Encoder) throws {
    try value.encode(to: encoder)
  }
}

/// The IPC flags written on a long-form type or an argument, after GNU's `itCheckFlags`
/// (cancelling pairs removed). `maybeDealloc` is `dealloc[]`. Encodes as an array of the `.defs`
/// spellings in a fixed order.
public struct IPCFlagSet: OptionSet, Hashable, Sendable, Codable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  public static let isLong = IPCFlagSet(rawValue: 1 << 0)
  public static let isNotLong = IPCFlagSet(rawValue: 1 << 1)
  public static let dealloc = IPCFlagSet(rawValue: 1 << 2)
  public static let notDealloc = IPCFlagSet(rawValue: 1 << 3)
  public static let maybeDealloc = IPCFlagSet(rawValue: 1 << 4)
  public static let serverCopy = IPCFlagSet(rawValue: 1 << 5)
  public static let countInOut = IPCFlagSet(rawValue: 1 << 6)

  /// Every flag with its spelling, in encoding order.
  public static let spellings: [(IPCFlagSet, String)] = [
    (.isLong, "islong"), (.isNotLong, "isnotlong"), (.dealloc, "dealloc"), (.notDealloc, "notdealloc"),
    (.maybeDealloc, "dealloc[]"), (.serverCopy, "servercopy"), (.countInOut, "countinout"),
  ]

  public var names: [String] { Self.spellings.filter { contains($0.0) }.map(\.1) }

  public init(from decoder: any Decoder) throws {
    let names = try [String](from: decoder)
    var set = IPCFlagSet()
    for name in names {
      guard let entry = Self.spellings.first(where: { $0.1 == name }) else {
        throw DecodingError.dataCorrupted(
          DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "unknown IPC flag \(name)"))
      }
      set.insert(entry.0)
    }
    self = set
  }
  public func encode(to encoder: any Encoder) throws {
    try names.encode(to: encoder)
  }
}

/// One member of a GNU `struct { T f; … }` type, as laid out by GNU MIG.
public struct StructLayoutMember: Hashable, Sendable, Codable {
  public var name: String
  /// The member's (previously declared, inline) type name.
  public var typeName: String
  public var offsetInBytes: UInt32
  public var sizeInBytes: UInt32
  /// GNU's alignment: `min(4, bytes)` for types built from `MACH_MSG_TYPE_*` names, the C size
  /// for the builtins `char short int intptr_t uintptr_t` (and copies of them).
  public var alignmentInBytes: UInt32
  /// What a C compiler on x86_64 would use (natural alignment of the element, at most 8).
  public var cAlignmentInBytes: UInt32
  public var range: SourceRange

  public init(
    name: String, typeName: String, offsetInBytes: UInt32, sizeInBytes: UInt32, alignmentInBytes: UInt32,
    cAlignmentInBytes: UInt32, range: SourceRange
  ) {
    self.name = name
    self.typeName = typeName
    self.offsetInBytes = offsetInBytes
    self.sizeInBytes = sizeInBytes
    self.alignmentInBytes = alignmentInBytes
    self.cAlignmentInBytes = cAlignmentInBytes
    self.range = range
  }
}

/// The result of laying out `struct { … }` GNU's way: the type becomes `struct[count] of E`
/// where E is `short` (alignment 2), `int` (alignment 4) or bytes (alignment 1 or 8).
public struct StructLayout: Hashable, Sendable, Codable {
  public var members: [StructLayoutMember]
  /// Total size, rounded up to `alignmentInBytes` (GNU's arithmetic).
  public var sizeInBytes: UInt32
  public var alignmentInBytes: UInt32
  /// The size a C compiler on x86_64 computes for the same members.
  public var cSizeInBytes: UInt32
  /// True when GNU's layout disagrees with C's (its generated `_Static_assert` then fails —
  /// reference Appendix A.6). Sema warns (`struct-layout-differs-from-c`).
  public var differsFromC: Bool

  public init(
    members: [StructLayoutMember], sizeInBytes: UInt32, alignmentInBytes: UInt32, cSizeInBytes: UInt32, differsFromC: Bool
  ) {
    self.members = members
    self.sizeInBytes = sizeInBytes
    self.alignmentInBytes = alignmentInBytes
    self.cSizeInBytes = cSizeInBytes
    self.differsFromC = differsFromC
  }
}

/// Everything GNU MIG computes for one type (its `ipc_type_t`, reference §3.3), plus where it was
/// declared. Field names follow GNU's (`it…`) with units spelled out.
///
/// The descriptor facts (`inName`, `outName`, `sizeInBits`, `number`, `isInline`, `isLongForm`,
/// `deallocate`) are the type's defaults; an argument may override long form and deallocation
/// (see ``CheckedArgument``).
public struct ResolvedType: Hashable, Sendable, Codable {
  /// The MIG name (`itName`); `nil` for anonymous parts of a type spec.
  public var name: String?
  public var origin: TypeOrigin
  /// The declaration (`type …;` statement, argument, or the spec for anonymous types); `nil` for
  /// builtin and implicit types.
  public var range: SourceRange?

  /// `msgt_name` when sending (`itInName`).
  public var inName: MessageTypeName
  /// `msgt_name` expected when receiving (`itOutName`).
  public var outName: MessageTypeName
  /// `msgt_size`: the element size in bits (`itSize`).
  public var sizeInBits: UInt32
  /// `msgt_number` (`itNumber`): the element count; the maximum for inline variable arrays
  /// (⌊2048 / bytes⌋ × elements for `array[]`), **0** for out-of-line types (GNU quirk: `^T` and
  /// `^array[N] of T` send `msgt_number = 0`).
  public var number: UInt32
  /// `msgt_inline` (`itInLine`); false for `^…` types. `array[]` is inline here and may go out of
  /// line at run time (`isIndefinite`).
  public var isInline: Bool
  /// The default descriptor form (`itLongForm`), after the type's own `islong`/`isnotlong` flags.
  public var isLongForm: Bool
  /// How much the type needs the long form (`itUseLong`), for argument-level overrides.
  public var longFormUse: LongFormUse
  /// The default `msgt_deallocate` (`itDeallocate`).
  public var deallocate: Deallocate
  /// The flags of a long-form declaration `(NAME, size, flags…)` (`itFlags`).
  public var flags: IPCFlagSet
  /// `itStruct` / `itString`.
  public var copySemantics: CopySemantics
  /// `itVarArray`: a variable-sized array (`array[*:N]`, `array[]`, `^array[]`, `c_string[*:N]`).
  public var isVariable: Bool
  /// `itIndefinite`: `array[]` (inline up to 2048 bytes, out of line above, chosen at run time).
  public var isIndefinite: Bool

  /// `itTypeSize`: bytes of the data field (the pointer size when out of line).
  public var typeSizeInBytes: UInt32
  /// `itPadSize`: padding after inline data up to the 4-byte word.
  public var padSizeInBytes: UInt32
  /// `itMinTypeSize`: the minimum size of the data field including padding (0 for inline variable
  /// arrays, the pointer size when out of line).
  public var minimumTypeSizeInBytes: UInt32

  /// `itElement`: the type this one was built from (the old type of `type new = old`, the base of
  /// `array[…] of T`). For variable arrays `element.number` is GNU's count multiplier.
  public var element: Indirect<ResolvedType>?

  /// `itUserType`: the C type on the user side (defaults to the MIG name; `ipc_port_t` for ports
  /// under KernelUser).
  public var cUserType: String?
  /// `itServerType`: the C type in server messages (`ipc_port_t` for ports under KernelServer).
  public var cServerType: String?
  /// `itTransType`: the C type the server function receives (defaults to the server type).
  public var cTransType: String?
  /// `itInTrans`: server-side conversion server type → trans type.
  public var inTran: String?
  /// `itInTransPayload`: conversion from a protected payload (request ports only).
  public var inTranPayload: String?
  /// `itOutTrans`: server-side conversion trans type → server type.
  public var outTran: String?
  /// `itDestructor`: called on `in` values after the server function.
  public var destructor: String?

  /// For `struct { … }` types: GNU's layout of the members.
  public var structLayout: StructLayout?

  public init(
    name: String?, origin: TypeOrigin, range: SourceRange?, inName: MessageTypeName, outName: MessageTypeName,
    sizeInBits: UInt32, number: UInt32, isInline: Bool, isLongForm: Bool, longFormUse: LongFormUse,
    deallocate: Deallocate, flags: IPCFlagSet, copySemantics: CopySemantics, isVariable: Bool, isIndefinite: Bool,
    typeSizeInBytes: UInt32, padSizeInBytes: UInt32, minimumTypeSizeInBytes: UInt32,
    element: Indirect<ResolvedType>?, cUserType: String?, cServerType: String?, cTransType: String?,
    inTran: String?, inTranPayload: String?, outTran: String?, destructor: String?, structLayout: StructLayout?
  ) {
    self.name = name
    self.origin = origin
    self.range = range
    self.inName = inName
    self.outName = outName
    self.sizeInBits = sizeInBits
    self.number = number
    self.isInline = isInline
    self.isLongForm = isLongForm
    self.longFormUse = longFormUse
    self.deallocate = deallocate
    self.flags = flags
    self.copySemantics = copySemantics
    self.isVariable = isVariable
    self.isIndefinite = isIndefinite
    self.typeSizeInBytes = typeSizeInBytes
    self.padSizeInBytes = padSizeInBytes
    self.minimumTypeSizeInBytes = minimumTypeSizeInBytes
    self.element = element
    self.cUserType = cUserType
    self.cServerType = cServerType
    self.cTransType = cTransType
    self.inTran = inTran
    self.inTranPayload = inTranPayload
    self.outTran = outTran
    self.destructor = destructor
    self.structLayout = structLayout
  }

  /// The element type (`itElement`), if any.
  public var elementType: ResolvedType? { element?.value }
  /// True if either name is polymorphic (the argument then gets a `Poly` companion).
  public var isPolymorphic: Bool { inName.isPolymorphic || outName.isPolymorphic }
  /// The port right the receiver sees (out-name), or `nil` for data.
  public var portRight: PortRight? { outName.portRight ?? inName.portRight }
  /// A `c_string` (or `STRING_C` element array): variable ones have no Count argument.
  public var isString: Bool { copySemantics == .string }
  /// Inline data whose size varies (`array[*:N]`, `array[]` while inline, `c_string[*:N]`).
  public var isInlineVariable: Bool { isVariable && isInline }
}
