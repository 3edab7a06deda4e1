/// Writes `.defs` type declarations whose wire layout is exactly a C type's (`hurdidl import-c`,
/// docs/c-import.md). Every declaration carries `ctype:` naming the C type, so `--c-check` holds.
///
/// - integers, enumerations and `_Bool` → `MACH_MSG_TYPE_INTEGER_8/16/32/64` (the wire has no sign);
///   `float`/`double` → `(MACH_MSG_TYPE_REAL, 32|64)`;
/// - a structure of `char`/`short`/`int`-sized scalars → `struct { int a; short b; }` (GNU's layout of
///   those members is C's); any other structure or union → `struct[N] of` integers as wide as its
///   alignment, with its C fields listed in a comment;
/// - `T[N]` → `array[N] of T`; a pointer → `^array[] of T` (out-of-line data);
/// - element types that need a name of their own are declared first.
public struct DefsDeclarations {
  public let table: CTypeTable
  public private(set) var text = ""
  /// C types with no `.defs` form (functions, incomplete types), by requested name.
  public private(set) var unsupported: [String] = []
  private var declared: Set<String> = []

  public init(table: CTypeTable) {
    self.table = table
  }

  /// Appends the declaration of a requested name (and of the element types it needs).
  public mutating func declare(_ name: String) {
    guard let named = table.names[name], let type = table.types[named.canonical] else {
      unsupported.append(name)
      return
    }
    guard declared.insert(name).inserted else { return }
    guard let spec = spec(for: type, name: name) else {
      unsupported.append(name)
      text += "/* \(name): \(type.spelling) has no .defs form */\n"
      return
    }
    text += comment(for: type, name: name)
    text += "type \(name) = \(spec)\n\tctype: \(name);\n\n"
  }

  /// The type spec of `type`; `nil` when it has none.
  private mutating func spec(for type: CType, name: String) -> String? {
    guard let size = type.size, size > 0 else { return nil }
    switch type.kind {
    case .integer, .enumeration, .bool:
      return Self.integer(size)
    case .floatingPoint:
      return size == 4 || size == 8 ? "(MACH_MSG_TYPE_REAL, \(size * 8))" : nil
    case .structure, .union:
      if type.kind == .structure, let members = plainMembers(type) { return "struct { \(members) }" }
      let element = min(type.alignment ?? 1, 8)
      return "struct[\(size / element)] of \(Self.integer(element)!)"
    case .array:
      guard let count = type.count, let element = type.element.flatMap({ table.types[$0] }),
        let elementSpec = elementSpec(element, owner: name)
      else { return nil }
      return "array[\(count)] of \(elementSpec)"
    case .pointer:
      guard let pointee = type.element.flatMap({ table.types[$0] }), let elementSpec = elementSpec(pointee, owner: name)
      else { return nil }
      return "^array[] of \(elementSpec)"
    case .other:
      return nil
    }
  }

  /// An element: a scalar spec inline, anything else a named type declared before the owner.
  private mutating func elementSpec(_ element: CType, owner: String) -> String? {
    if element.isScalar { return spec(for: element, name: owner) }
    // A requested typedef of the same type names it best (`point_t` for `struct point`).
    if let typedef = table.names.values.filter({ $0.canonical == element.spelling && Self.isIdentifier($0.name) })
      .map(\.name).sorted().first
    {
      declare(typedef)
      return typedef
    }
    var elementName = element.spelling
    for prefix in ["struct ", "union ", "enum "] where elementName.hasPrefix(prefix) {
      elementName.removeFirst(prefix.count)
    }
    if !Self.isIdentifier(elementName) {
      elementName = owner + "_element"
    }
    if !declared.contains(elementName) {
      guard let spec = spec(for: element, name: elementName) else { return nil }
      declared.insert(elementName)
      text += comment(for: element, name: elementName)
      // `ctype:` takes one identifier: a type known only by its tag (`struct point`) gets none.
      let cType = Self.isIdentifier(element.spelling) ? "\n\tctype: \(element.spelling)" : ""
      text += "type \(elementName) = \(spec)\(cType);\n\n"
    }
    return elementName
  }

  private static func isIdentifier(_ name: String) -> Bool {
    guard let first = name.first, !first.isNumber else { return false }
    return name.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "_") && $0.isASCII }
  }

  /// `int a; short b;` when every field is a plain `char`/`short`/`int`-sized scalar.
  private func plainMembers(_ type: CType) -> String? {
    var members: [String] = []
    for field in type.fields {
      guard field.bitWidth == nil, !field.name.isEmpty, let fieldType = table.types[field.type], fieldType.isScalar,
        fieldType.kind != .floatingPoint
      else { return nil }
      switch fieldType.size {
      case 1: members.append("char \(field.name);")
      case 2: members.append("short \(field.name);")
      case 4: members.append("int \(field.name);")
      default: return nil
      }
    }
    return members.isEmpty ? nil : members.joined(separator: " ")
  }

  /// The C layout, for the reader: `/* struct time_value (16 bytes, alignment 8): seconds @0 (8), … */`.
  private func comment(for type: CType, name: String) -> String {
    var text = "/* \(name): \(type.spelling)"
    if let size = type.size { text += ", " + CType.bytes(size) }
    if let alignment = type.alignment { text += ", alignment \(alignment)" }
    for field in type.fields {
      let size = table.types[field.type]?.size.map { CType.bytes($0) } ?? "? bytes"
      let bits = field.bitWidth.map { ", \($0)-bit field at bit \(field.offsetInBits)" } ?? ""
      text += "\n *   \(field.name.isEmpty ? "(anonymous)" : field.name): \(field.type) at \(field.offset), \(size)\(bits)"
    }
    return text + (type.fields.isEmpty ? " */\n" : "\n */\n")
  }

  private static func integer(_ size: Int) -> String? {
    [1, 2, 4, 8].contains(size) ? "MACH_MSG_TYPE_INTEGER_\(size * 8)" : nil
  }
}
