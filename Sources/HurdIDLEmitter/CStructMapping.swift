import HurdIDLCTypes
import HurdIDLPlanner
import HurdIDLSema
import HurdIDLSource

// Swift structs for C structs (docs/c-import.md, "Swift structs"): when the emitter is given the
// C type table (`EmitterOptions.cTypes`), a `.defs` type whose C type is a struct of plain scalar
// and scalar-array fields, as large as the wire says, becomes a Swift struct with the C field
// names, and the stubs pack and unpack it field by field at the C offsets — `info.residentSize`
// instead of `info[12]`.

/// One C struct as the generated code mirrors it.
struct CStructMapping: Hashable, Sendable {
  struct Field: Hashable, Sendable {
    var cName: String
    var cType: String
    var swiftName: String
    var scalar: ScalarType
    /// Byte offset in the C struct.
    var offset: Int
    /// Arrays: the element count (`[T]` of exactly this many); nil for a scalar.
    var count: Int?

    var swiftType: String { count == nil ? scalar.swiftName : "[\(scalar.swiftName)]" }

    /// `unsigned char tag[3]`, as C declares it.
    var cDeclaration: String {
      guard let count, cType.hasSuffix("[\(count)]") else { return "\(cType) \(cName)" }
      return "\(cType.dropLast("[\(count)]".count)) \(cName)[\(count)]"
    }
  }

  /// The `.defs` type.
  var defsName: String
  /// The C type as the `.defs` names it, and its canonical spelling.
  var cName: String
  var cSpelling: String
  /// The struct's name inside the namespace enum, and qualified.
  var swiftName: String
  var qualifiedName: String
  var size: Int
  var fields: [Field]
}

/// Decides which `.defs` types map to Swift structs.
struct CStructMapper {
  let table: CTypeTable
  let naming: SwiftNaming
  let namespace: String

  /// The mapping of a `.defs` type whose values occupy `wireBytes`, or why there is none (`nil`
  /// reason: the C type is no struct, nothing to say).
  func mapping(for type: ResolvedType, reserved: Set<String>) -> Result<CStructMapping, CStructRefusal>? {
    guard let defsName = type.name, let cName = type.cUserType, let cType = table.resolve(cName),
      cType.kind == .structure
    else { return nil }
    func refuse(_ reason: String) -> Result<CStructMapping, CStructRefusal> {
      .failure(CStructRefusal(defsName: defsName, reason: reason))
    }
    if let server = type.cServerType, server != cName {
      return refuse("its user and server C types differ ('\(cName)', '\(server)')")
    }
    let bits = UInt64(type.sizeInBits) * UInt64(type.number)
    guard type.isInline, !type.isVariable, bits % 8 == 0, let size = cType.size, UInt64(size) == bits / 8 else {
      return refuse("its C type '\(cName)' (\(cType.size.map { CType.bytes($0) } ?? "no size")) is not what the wire carries")
    }
    var fields: [CStructMapping.Field] = []
    var used = Set<String>()
    for field in cType.fields {
      guard !field.name.isEmpty, field.bitWidth == nil, let fieldType = table.types[field.type] else {
        return refuse("field '\(field.name)' of '\(cName)' is a bit-field or anonymous")
      }
      var element = fieldType
      var count: Int?
      if fieldType.kind == .array, let elementName = fieldType.element, let elementType = table.types[elementName],
        let elements = fieldType.count
      {
        element = elementType
        count = elements
      }
      guard let scalar = Self.scalar(element) else {
        return refuse("field '\(field.name)' of '\(cName)' is a \(fieldType.spelling), not a scalar or an array of scalars")
      }
      var swiftName = naming.member(field.name)
      while used.contains(swiftName.trimmingBackticks) { swiftName = swiftName.trimmingBackticks + "_" }
      used.insert(swiftName.trimmingBackticks)
      fields.append(
        .init(cName: field.name, cType: field.type, swiftName: swiftName, scalar: scalar, offset: field.offset, count: count))
    }
    var swiftName = naming.type(defsName).trimmingBackticks
    while reserved.contains(swiftName) { swiftName += "_" }
    return .success(
      CStructMapping(
        defsName: defsName, cName: cName, cSpelling: cType.spelling, swiftName: swiftName,
        qualifiedName: "\(namespace).\(swiftName)", size: size, fields: fields))
  }

  /// The Swift scalar of a C scalar: signedness from C, `Bool` for `_Bool`, `Float`/`Double`.
  static func scalar(_ type: CType) -> ScalarType? {
    guard let size = type.size, [1, 2, 4, 8].contains(size) else { return nil }
    switch type.kind {
    case .bool:
      return ScalarType(swiftName: "Swift.Bool", kind: .boolean, bytes: 1)
    case .integer, .enumeration:
      return ScalarType(swiftName: "Swift.\(type.isSigned ? "" : "U")Int\(size * 8)", kind: .integer, bytes: size)
    case .floatingPoint where size == 4 || size == 8:
      return ScalarType(swiftName: size == 4 ? "Swift.Float" : "Swift.Double", kind: .float, bytes: size)
    default:
      return nil
    }
  }
}

/// Why a `.defs` type whose C type is a struct keeps its array form (`InlineArray<N, E>`).
struct CStructRefusal: Error, Hashable, Sendable {
  var defsName: String
  var reason: String
}

extension DiagnosticCode {
  /// A `.defs` type whose C type is a struct keeps its array form in Swift (the reason is given).
  static let cStructNotMapped: DiagnosticCode = "c-struct-not-mapped"
}

extension EmitRoutine {
  /// Gives every value whose type maps to a Swift struct that struct's shape. Only fixed data in
  /// the words or the overflow string is mapped (what a struct the planner keeps whole becomes).
  mutating func mapCStructs(_ mappings: [String: CStructMapping]) {
    guard !mappings.isEmpty else { return }
    func map(_ value: inout EmitValue) {
      guard let name = value.defsTypeName, let mapping = mappings[name], case .fixedArray(let scalar, let count) = value.shape,
        scalar.bytes * count == mapping.size, value.translation == nil
      else { return }
      for placement in [value.request, value.reply] {
        if case .item? = placement { return }
      }
      value.shape = .cStruct(mapping)
    }
    for index in parameters.indices { map(&parameters[index]) }
    for index in results.indices { map(&results[index]) }
  }
}

extension CStructMapping {
  /// The struct declaration inside the namespace enum.
  func declaration(access: String) -> [SwiftNode] {
    var body: [SwiftNode] = []
    for field in fields {
      body += [
        .doc(["C `\(field.cDeclaration)` at byte \(field.offset)\(field.count.map { ", exactly \($0) elements" } ?? "")."]),
        .line("\(access)var \(field.swiftName): \(field.swiftType)"),
      ]
    }
    body += [
      .blank,
      .doc(["`sizeof(\(cName))` on the C target: the bytes one value occupies on the wire."]),
      .line("\(access)static let cSize = \(size)"),
      .doc(["The C offset of each field, in declaration order (`offsetof`)."]),
      .line("\(access)static let cFieldOffsets: [Swift.Int] = [\(fields.map { String($0.offset) }.joined(separator: ", "))]"),
      .blank,
    ]
    // One parameter per line when the signature would pass 100 columns, as for every function.
    let parameters = fields.map { "\($0.swiftName): \($0.swiftType)" }
    var opening = "\(access)init(" + parameters.joined(separator: ", ") + ") {"
    if opening.count + 4 > 100 {
      opening = "\(access)init(\n" + parameters.map { "  " + $0 }.joined(separator: ",\n") + "\n) {"
    }
    body.append(
      .block(
        opening: opening, body: fields.map { .line("self.\($0.swiftName.trimmingBackticks) = \($0.swiftName)") },
        closing: "}"))
    return [
      .doc(["C `\(cSpelling)` (`\(cName)`, \(CType.bytes(size))), the `.defs` type `\(defsName)`: packed field by field at its C offsets."]),
      .braces("\(access)struct \(swiftName): Swift.Hashable, Swift.Sendable", body),
    ]
  }
}

extension RoutineCodec {
  /// Sender-side checks: every array field has exactly its C element count.
  func cStructChecks(_ mapping: CStructMapping, value v: String, name: String) -> [SwiftNode] {
    mapping.fields.compactMap { field in
      field.count.map { count in
        .line(
          "try \(wire).check(count: \(v).\(field.swiftName.trimmingBackticks).count, exact: \(count), maximum: nil, argument: \"\(name).\(field.swiftName.trimmingBackticks)\")")
      }
    }
  }

  /// Puts every field at the struct's byte offset plus the field's C offset.
  func cStructEncode(_ mapping: CStructMapping, value v: String, field placement: L4FieldPlan) -> [SwiftNode] {
    mapping.fields.map { field in
      let at = "\(placement.byteOffset + field.offset)"
      let member = "\(v).\(field.swiftName.trimmingBackticks)"
      guard field.count != nil else {
        return .line("\(wire).put(\(bits(member, field.scalar)), at: \(at), size: \(field.scalar.bytes), in: &\(target(placement)))")
      }
      return .braces(
        "for (position, element) in \(member).enumerated()",
        [.line("\(wire).put(\(bits("element", field.scalar)), at: \(at) + position * \(field.scalar.bytes), size: \(field.scalar.bytes), in: &\(target(placement)))")])
    }
  }

  /// Reads every field from its C offset and builds the struct as `let name`.
  func cStructDecode(_ mapping: CStructMapping, name: String, field placement: L4FieldPlan, argument: String) -> [SwiftNode] {
    var body: [SwiftNode] = []
    var arguments: [String] = []
    for field in mapping.fields {
      let at = "\(placement.byteOffset + field.offset)"
      let label = field.swiftName.trimmingBackticks
      // A malformed field (a boolean other than 0/1) is named in the error: `info.shared`.
      let base = name.trimmingBackticks
      let fieldArgument = argument.replacing("argument: \"\(base)\"", with: "argument: \"\(base).\(label)\"")
      guard let count = field.count else {
        let read = "\(wire).get(\(target(placement)), at: \(at), size: \(field.scalar.bytes))"
        arguments.append("\(label): \(scalarFrom(read, field.scalar, fieldArgument))")
        continue
      }
      let local = "\(base)_\(label)"
      let read = "\(wire).get(\(target(placement)), at: \(at) + position * \(field.scalar.bytes), size: \(field.scalar.bytes))"
      body.append(.line("var \(local): [\(field.scalar.swiftName)] = []"))
      body.append(.braces("for position in 0..<\(count)", [.line("\(local).append(\(scalarFrom(read, field.scalar, fieldArgument)))")]))
      arguments.append("\(label): \(local)")
    }
    let lines = arguments.enumerated().map { SwiftNode.line($0.element + ($0.offset == arguments.count - 1 ? "" : ",")) }
    body.append(.block(opening: "let \(name) = \(mapping.qualifiedName)(", body: lines, closing: ")"))
    return body
  }
}

extension CStructMapper {
  /// The mappings of every `.defs` type a routine argument uses, and a `c-struct-not-mapped`
  /// warning for each whose C type is a struct that cannot be mapped.
  static func plan(interface: CheckedInterface, table: CTypeTable?, naming: SwiftNaming, namespace: String)
    -> (mappings: [String: CStructMapping], diagnostics: [Diagnostic])
  {
    guard let table else { return ([:], []) }
    let mapper = CStructMapper(table: table, naming: naming, namespace: namespace)
    let reserved = Set(["Routine", "Wire"] + interface.routines.map { naming.type($0.name).trimmingBackticks + "Reply" })
    var mappings: [String: CStructMapping] = [:]
    var diagnostics: [Diagnostic] = []
    var seen = Set<String>()
    for argument in interface.routines.flatMap(\.arguments) where argument.origin == .written {
      guard let name = argument.type.name, seen.insert(name).inserted else { continue }
      switch mapper.mapping(for: argument.type, reserved: reserved) {
      case .success(let mapping)?:
        mappings[name] = mapping
      case .failure(let refusal)?:
        diagnostics.append(
          .warning(
            .cStructNotMapped, "'\(refusal.defsName)' stays an array in Swift: \(refusal.reason)",
            at: (argument.type.range ?? argument.range)?.start))
      case nil:
        break
      }
    }
    return (mappings, diagnostics)
  }

  /// The mapped structs the generated routines use, in `.defs` name order.
  static func used(by routines: [EmitRoutine]) -> [CStructMapping] {
    var used: [String: CStructMapping] = [:]
    for value in routines.filter({ $0.unsupported == nil }).flatMap({ $0.parameters + $0.results }) {
      if case .cStruct(let mapping) = value.shape { used[mapping.defsName] = mapping }
    }
    return used.keys.sorted().map { used[$0]! }
  }
}
