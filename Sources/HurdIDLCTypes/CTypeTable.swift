/// A place in a C header, as libclang reports it (`#line` directives honoured).
public struct CSourcePosition: Hashable, Sendable, Codable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String { "\(file):\(line):\(column)" }
}

/// One C type with its layout on the chosen target. Types refer to each other by canonical
/// spelling (the key in ``CTypeTable/types``), so the table stays a flat value.
public struct CType: Hashable, Sendable, Codable {
  public enum Kind: String, Hashable, Sendable, Codable {
    case integer, bool, floatingPoint, enumeration, pointer, structure, union, array, other
  }

  /// The canonical spelling (`struct time_value`, `int`, `long[4]`, `unsigned int *`).
  public var spelling: String
  public var kind: Kind
  /// Integers and enumerations: whether the (underlying) type is signed.
  public var isSigned: Bool
  /// In bytes; `nil` when the type has no size (incomplete, function).
  public var size: Int?
  public var alignment: Int?
  /// Structures and unions: the fields in declaration order.
  public var fields: [CField]
  /// Arrays: the element type; pointers: the pointee (canonical spellings).
  public var element: String?
  /// Constant arrays: the number of elements.
  public var count: Int?
  /// Where the structure, union or enumeration is declared; `nil` for built-in types.
  public var declaration: CSourcePosition?

  public init(
    spelling: String, kind: Kind, isSigned: Bool = false, size: Int?, alignment: Int?, fields: [CField] = [],
    element: String? = nil, count: Int? = nil, declaration: CSourcePosition? = nil
  ) {
    self.spelling = spelling
    self.kind = kind
    self.isSigned = isSigned
    self.size = size
    self.alignment = alignment
    self.fields = fields
    self.element = element
    self.count = count
    self.declaration = declaration
  }

  /// Plain scalar data: integers, booleans, enumerations, floating point.
  public var isScalar: Bool {
    switch kind {
    case .integer, .bool, .enumeration, .floatingPoint: true
    case .pointer, .structure, .union, .array, .other: false
    }
  }
}

/// A field of a C structure or union.
public struct CField: Hashable, Sendable, Codable {
  public var name: String
  /// Canonical spelling of the field's type (a key in ``CTypeTable/types``).
  public var type: String
  public var offsetInBits: Int
  /// Bit-fields: the width in bits.
  public var bitWidth: Int?

  public init(name: String, type: String, offsetInBits: Int, bitWidth: Int? = nil) {
    self.name = name
    self.type = type
    self.offsetInBits = offsetInBits
    self.bitWidth = bitWidth
  }

  public var offset: Int { offsetInBits / 8 }
}

/// A C type name as written (`time_value_t`, `unsigned`, `struct foo`) and what it names.
public struct CNamedType: Hashable, Sendable, Codable {
  public var name: String
  /// Canonical spelling of the type it names (a key in ``CTypeTable/types``).
  public var canonical: String
  /// Where the name is declared (the typedef, or the tag); `nil` for built-in type names.
  public var declaration: CSourcePosition?

  public init(name: String, canonical: String, declaration: CSourcePosition?) {
    self.name = name
    self.canonical = canonical
    self.declaration = declaration
  }
}

/// The C types the importer resolved: every requested name, and every type they are built from.
public struct CTypeTable: Hashable, Sendable, Codable {
  /// Requested names that were found, by name.
  public var names: [String: CNamedType] = [:]
  /// Every type reachable from them, by canonical spelling.
  public var types: [String: CType] = [:]

  public init() {}

  /// The type a C name denotes, when it was found.
  public func resolve(_ name: String) -> CType? {
    names[name].flatMap { types[$0.canonical] }
  }
}

/// A message libclang reported while parsing the headers.
public struct CParseMessage: Hashable, Sendable, Codable {
  public enum Severity: String, Hashable, Sendable, Codable {
    case warning, error
  }
  public var severity: Severity
  public var message: String
  public var position: CSourcePosition?
  /// When the problem is at an `#include` of a requested header itself (a missing file): its index
  /// in the request's headers.
  public var headerIndex: Int?

  public init(severity: Severity, message: String, position: CSourcePosition?, headerIndex: Int? = nil) {
    self.severity = severity
    self.message = message
    self.position = position
    self.headerIndex = headerIndex
  }
}

extension CType {
  /// `1 byte`, `16 bytes`: sizes in messages and comments.
  public static func bytes(_ count: some BinaryInteger) -> String {
    count == 1 ? "1 byte" : "\(count) bytes"
  }
}
