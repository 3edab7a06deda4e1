import HurdIDLSource
import HurdIDLSyntax

extension Checker {
  // MARK: Builtins and implicit types

  /// GNU's predeclared `char short int intptr_t uintptr_t` (x86_64); their struct alignment is
  /// their C size.
  mutating func declareBuiltins() {
    let builtins: [(String, MessageTypeName, UInt32)] = [
      ("char", .char, 8), ("short", .integer16, 16), ("int", .integer32, 32),
      ("intptr_t", .integer64, 64), ("uintptr_t", .integer64, 64),
    ]
    for (name, msgName, bits) in builtins {
      var info = TypeInfo.allocate(inName: msgName, outName: msgName, sizeInBits: bits, origin: .builtin, range: nil)
      info.alignment = bits / 8
      info.cAlignment = bits / 8
      finishImplicit(&info, name: name)
      table[name] = TypeEntry(info: info, range: nil)
    }
  }

  /// An implicit type (GNU's `itMake…Type` / `init_type`): named, C names defaulted.
  func implicitType(_ name: String, _ inName: MessageTypeName, _ outName: MessageTypeName, bits: UInt32) -> TypeInfo {
    var info = TypeInfo.allocate(inName: inName, outName: outName, sizeInBits: bits, origin: .implicit, range: nil)
    finishImplicit(&info, name: name)
    return info
  }

  func finishImplicit(_ info: inout TypeInfo, name: String) {
    info.type.name = name
    calculateNameInfo(&info)
    info.type.longFormUse = info.longFormUse
  }

  var retCodeType: TypeInfo { implicitType("kern_return_t", .integer32, .integer32, bits: 32) }
  var countType: TypeInfo {
    implicitType("mach_msg_type_number_t", .integer32, .integer32, bits: MachTarget.wordSizeInBits)
  }
  var polyType: TypeInfo { implicitType("mach_msg_type_name_t", .integer32, .integer32, bits: MachTarget.wordSizeInBits) }
  var booleanType: TypeInfo { implicitType("boolean_t", .boolean, .boolean, bits: 32) }
  var realReplyPortType: TypeInfo { implicitType("mach_port_t", .makeSendOnce, .portSendOnce, bits: portSize) }
  var zeroReplyPortType: TypeInfo { implicitType("mach_port_t", .zero, .zero, bits: portSize) }
  var waitTimeType: TypeInfo {
    implicitType("mach_msg_timeout_t", .integer32, .integer32, bits: MachTarget.wordSizeInBits)
  }
  var msgOptionType: TypeInfo {
    implicitType("mach_msg_option_t", .integer32, .integer32, bits: MachTarget.wordSizeInBits)
  }

  // MARK: Declarations

  mutating func declareType(_ decl: TypeDecl) {
    let name = decl.name.name
    if let existing = table[name] {
      let note: Diagnostic.Note =
        if let range = existing.range {
          .init("the previous definition is here", at: range.start)
        } else {
          .init("'\(name)' is a builtin type of GNU MIG")
        }
      diagnostics.error(
        .typeRedefinition, "redefinition of type '\(name)'", at: decl.name.range.start, notes: [note])
    }
    let info = resolveNamedType(decl, origin: .declaration)
    table[name] = TypeEntry(info: info, range: decl.range)
    if let info, options.listsIncludedTypes || options.isMain(decl.range.start.buffer) {
      declaredTypes.append(info.type)
    }
  }

  /// `name = spec annotations…`: GNU's `TransTypeSpec` + `itTypeDecl`.
  mutating func resolveNamedType(_ decl: TypeDecl, origin: TypeOrigin) -> TypeInfo? {
    let name = decl.name.name
    guard var info = resolveSpec(decl.spec, declaring: name) else { return nil }
    info.resetCNames()
    info.type.name = name
    info.type.origin = origin
    info.type.range = decl.range
    for annotation in decl.annotations { apply(annotation, to: &info) }
    return checkDeclaration(&info, at: decl.range, annotations: decl.annotations) ? info : nil
  }

  /// Looks a type name up; reports unknown names. `nil` for unknown or broken types.
  mutating func lookUp(_ identifier: Identifier) -> TypeInfo? {
    guard let entry = table[identifier.name] else {
      diagnostics.error(.unknownType, "unknown type '\(identifier.name)'", at: identifier.range.start)
      unknownTypeNames["\(identifier.range.start)"] = identifier.name
      return nil
    }
    return entry.info
  }

  // MARK: Type specs

  mutating func resolveSpec(_ spec: TypeSpec, declaring name: String) -> TypeInfo? {
    switch spec.kind {
    case .ipc(let ipc):
      guard let (inName, outName, size) = ipcNames(ipc, declaring: name) else { return nil }
      if size == 0 {
        diagnostics.error(
          .needsLongForm,
          "'\(ipc.send.spelling)' has no default size: declare type '\(name)' in the long form "
            + "'(\(ipc.send.spelling), SIZE)'",
          at: ipc.range.start)
        return nil
      }
      return makeIPCType(inName: inName, outName: outName, size: size, flags: [], range: spec.range)

    case .longForm(let ipc, let sizeExpression, let flagUses):
      let names = ipcNames(ipc, declaring: name)
      let size = evaluate(sizeExpression)
      guard let (inName, outName, defaultSize) = names, let size else { return nil }
      if defaultSize != 0 && defaultSize != size {
        diagnostics.warning(
          .strangeIPCSize,
          "type '\(name)' gives '\(ipc.send.spelling)' a strange size: \(size) bits instead of \(defaultSize)",
          at: sizeExpression.range.start)
      }
      let flags = convertFlags(flagUses, owner: "type '\(name)'")
      return makeIPCType(inName: inName, outName: outName, size: size, flags: flags, range: spec.range)

    case .reference(let identifier):
      return lookUp(identifier)?.copied(origin: .anonymous, range: spec.range)

    case .array(let bound, let elementSpec):
      let count: UInt32?
      switch bound {
      case .unspecified, .star: count = 0
      case .fixed(let expression), .bounded(let expression):
        count = evaluate(expression)
        if count == 0 { reportZeroSized(bound.isVariable ? "array[*:0]" : "array[0]", declaring: name, at: expression.range) }
      }
      guard let element = resolveSpec(elementSpec, declaring: name), let count, count != 0 || !bound.hasCount
      else { return nil }
      switch bound {
      case .fixed: return arrayDecl(count, of: element, copy: .array, declaring: name, at: spec.range)
      case .unspecified, .star, .bounded: return variableArrayDecl(count, of: element, declaring: name, at: spec.range)
      }

    case .structArray(let countExpression, let elementSpec):
      let count = evaluate(countExpression)
      if count == 0 { reportZeroSized("struct[0]", declaring: name, at: countExpression.range) }
      guard let element = resolveSpec(elementSpec, declaring: name), let count, count != 0 else { return nil }
      return arrayDecl(count, of: element, copy: .assignment, declaring: name, at: spec.range)

    case .structure(let members):
      return structureDecl(members, declaring: name, at: spec.range)

    case .outOfLine(let innerSpec):
      guard var info = resolveSpec(innerSpec, declaring: name) else { return nil }
      let t = info.type
      if !t.isInline || (t.isVariable && !t.isIndefinite && t.number > 0) {
        let why =
          t.isInline
          ? "'^' cannot apply to a bounded variable array 'array[*:N]' (use '^array[] of T')"
          : "'^' cannot apply to a type that is already out of line"
        diagnostics.error(.typeTooComplicated, "type '\(name)' is too complicated: \(why)", at: spec.range.start)
        return nil
      }
      info.type.number = 0
      info.type.isIndefinite = false
      info.type.isInline = false
      info.type.copySemantics = .assignment
      info.type.origin = .anonymous
      info.type.range = spec.range
      _ = info.calculateSizeInfo()
      return info

    case .cString(let bound):
      let (expression, isVariable): (IntExpr, Bool) =
        switch bound {
        case .fixed(let e): (e, false)
        case .variable(let e): (e, true)
        }
      guard let count = evaluate(expression) else { return nil }
      if count == 0 {
        reportZeroSized(isVariable ? "c_string[*:0]" : "c_string[0]", declaring: name, at: expression.range)
        return nil
      }
      var element = TypeInfo.allocate(inName: .stringC, outName: .stringC, sizeInBits: 8, origin: .implicit, range: nil)
      element.type.copySemantics = .string
      element.type.name = "char"
      calculateNameInfo(&element)
      element.type.longFormUse = element.longFormUse
      var info = element.copied(origin: .anonymous, range: spec.range)
      info.resetCNames()
      info.type.number = count
      info.type.isVariable = isVariable
      info.type.copySemantics = .string
      return finishSize(info, declaring: name, at: spec.range)
    }
  }

  mutating func reportZeroSized(_ what: String, declaring name: String, at range: SourceRange) {
    diagnostics.error(
      .zeroSizedArray,
      "type '\(name)' has zero elements ('\(what)'); GNU MIG accepts it with a warning and generates "
        + "code that cannot compile (Apple MIG crashes)",
      at: range.start)
  }

  /// `A` or `A|B`: the names sent and checked and the default size (0 = long form needed).
  mutating func ipcNames(_ ipc: IPCType, declaring name: String) -> (MessageTypeName, MessageTypeName, UInt32)? {
    let send = PrimitiveIPCName(ipc.send)
    let sendSize = send.defaultSize ?? portSize
    guard let receiveSide = ipc.receive else { return (send.inName, send.outName, sendSize) }
    let receive = PrimitiveIPCName(receiveSide)
    let receiveSize = receive.defaultSize ?? portSize
    var size = sendSize
    if sendSize != receiveSize {
      if sendSize == 0 {
        size = receiveSize
      } else if receiveSize != 0 {
        diagnostics.error(
          .ipcSizeMismatch,
          "type '\(name)' sends '\(ipc.send.spelling)' (\(sendSize) bits) but checks '\(receiveSide.spelling)' "
            + "(\(receiveSize) bits); both sides of 'A|B' must have the same size",
          at: ipc.range.start)
        return nil
      }
    }
    return (send.inName, receive.outName, size)
  }

  /// GNU's `itLongDecl`.
  func makeIPCType(
    inName: MessageTypeName, outName: MessageTypeName, size: UInt32, flags: IPCFlagSet, range: SourceRange
  ) -> TypeInfo {
    var info = TypeInfo.allocate(inName: inName, outName: outName, sizeInBits: size, origin: .anonymous, range: range)
    if inName.value == MessageTypeName.stringC.value && !inName.isPolymorphic {
      info.type.copySemantics = .string
    }
    info.type.flags = flags
    return info
  }

  /// GNU's `itArrayDecl` (`array[N] of`) and `itStructDecl` (`struct[N] of`).
  mutating func arrayDecl(
    _ count: UInt32, of element: TypeInfo, copy: CopySemantics, declaring name: String, at range: SourceRange
  ) -> TypeInfo? {
    guard checkArrayElement(element, declaring: name, at: range) else { return nil }
    var info = element.copied(origin: .anonymous, range: range)
    info.resetCNames()
    let (number, overflow) = info.type.number.multipliedReportingOverflow(by: count)
    if overflow {
      diagnostics.error(
        .sizeOverflow, "type '\(name)' has \(UInt64(info.type.number) * UInt64(count)) elements, more than 2^32 − 1",
        at: range.start)
      return nil
    }
    info.type.number = number
    info.type.copySemantics = copy
    return finishSize(info, declaring: name, at: range)
  }

  /// GNU's `itVarArrayDecl`: `array[*:N] of` (count N) and `array[]` (count 0: indefinite).
  mutating func variableArrayDecl(
    _ count: UInt32, of element: TypeInfo, declaring name: String, at range: SourceRange
  ) -> TypeInfo? {
    guard checkArrayElement(element, declaring: name, at: range) else { return nil }
    var info = element.copied(origin: .anonymous, range: range)
    info.resetCNames()
    if count != 0 {
      let (number, overflow) = info.type.number.multipliedReportingOverflow(by: count)
      if overflow {
        diagnostics.error(
          .sizeOverflow, "type '\(name)' has up to \(UInt64(info.type.number) * UInt64(count)) elements, "
            + "more than 2^32 − 1", at: range.start)
        return nil
      }
      info.type.number = number
    } else {
      let bytes = (UInt64(info.type.number) * UInt64(info.type.sizeInBits) + 7) / 8
      guard bytes > 0 else {
        diagnostics.error(
          .zeroSizedArray, "the elements of type '\(name)' have size 0 (GNU MIG crashes with SIGFPE)", at: range.start)
        return nil
      }
      let perInline = UInt64(MachTarget.indefiniteInlineLimitInBytes) / bytes
      info.type.number = UInt32(truncatingIfNeeded: perInline * UInt64(info.type.number))
      info.type.isIndefinite = true
    }
    info.type.isVariable = true
    info.type.copySemantics = .array
    return finishSize(info, declaring: name, at: range)
  }

  mutating func checkArrayElement(_ element: TypeInfo, declaring name: String, at range: SourceRange) -> Bool {
    if !element.type.isInline {
      diagnostics.error(
        .typeTooComplicated,
        "type '\(name)' is too complicated: array elements must be inline (make the whole array out of line instead)",
        at: range.start)
      return false
    }
    if element.type.isVariable {
      diagnostics.error(
        .typeTooComplicated,
        "type '\(name)' is too complicated: array elements cannot be variable-sized arrays", at: range.start)
      return false
    }
    return true
  }

  mutating func finishSize(_ info: TypeInfo, declaring name: String, at range: SourceRange) -> TypeInfo? {
    var info = info
    guard info.calculateSizeInfo() else {
      diagnostics.error(
        .sizeOverflow,
        "type '\(name)' is \(UInt64(info.type.number) * UInt64(info.type.sizeInBits)) bits, more than 2^32 − 1",
        at: range.start)
      return nil
    }
    return info
  }

  // MARK: Annotations and itCheckDecl

  /// Applies one annotation; a later one overrides an earlier one with a warning (GNU order).
  mutating func apply(_ annotation: Annotation, to info: inout TypeInfo) {
    let typeName = info.type.name ?? "?"
    let at = annotation.range.start
    func set(_ keyPath: WritableKeyPath<ResolvedType, String?>, _ value: String, _ what: String, in info: inout TypeInfo)
      -> Diagnostic?
    {
      defer { info.type[keyPath: keyPath] = value }
      if let old = info.type[keyPath: keyPath], old != value {
        return .warning(
          .conflictingCType, "conflicting \(what) for type '\(typeName)' (\(old), then \(value)); the later one wins",
          at: at)
      }
      return nil
    }
    var warnings: [Diagnostic?] = []
    switch annotation.kind {
    case .cType(let id):
      warnings.append(set(\.cUserType, id.name, "user C types", in: &info))
      warnings.append(set(\.cServerType, id.name, "server C types", in: &info))
    case .cUserType(let id):
      warnings.append(set(\.cUserType, id.name, "user C types", in: &info))
    case .cServerType(let id):
      warnings.append(set(\.cServerType, id.name, "server C types", in: &info))
    case .inTran(let trans, let function, let server):
      warnings.append(set(\.cTransType, trans.name, "translation types", in: &info))
      warnings.append(set(\.inTran, function.name, "in-translation functions", in: &info))
      warnings.append(set(\.cServerType, server.name, "server C types", in: &info))
    case .inTranPayload(let trans, let function):
      warnings.append(set(\.cTransType, trans.name, "translation types", in: &info))
      warnings.append(set(\.inTranPayload, function.name, "in-translation payload functions", in: &info))
    case .outTran(let server, let function, let trans):
      warnings.append(set(\.cServerType, server.name, "server C types", in: &info))
      warnings.append(set(\.outTran, function.name, "out-translation functions", in: &info))
      warnings.append(set(\.cTransType, trans.name, "translation types", in: &info))
    case .destructor(let function, let trans):
      warnings.append(set(\.destructor, function.name, "destructor functions", in: &info))
      warnings.append(set(\.cTransType, trans.name, "translation types", in: &info))
    }
    diagnostics.emit(contentsOf: warnings.compactMap { $0 })
  }

  /// GNU's `itCalculateNameInfo`: C type defaults and the kernel `ipc_port_t` substitution.
  func calculateNameInfo(_ info: inout TypeInfo) {
    let name = info.type.name ?? ""
    if info.type.cUserType == nil { info.type.cUserType = name }
    if info.type.cServerType == nil { info.type.cServerType = name }
    let t = info.type
    let isPort = (t.inName.isPolymorphic && t.outName.isPolymorphic) || t.inName.isPortRight || t.outName.isPortRight
    // GNU MIG tests the two cases with `else if` (verified with both modifiers: only the server
    // type changes unless it is not `mach_port_t`).
    if isKernelServer && t.cServerType == "mach_port_t" && isPort {
      info.type.cServerType = "ipc_port_t"
    } else if isKernelUser && t.cUserType == "mach_port_t" && isPort {
      info.type.cUserType = "ipc_port_t"
    }
    if info.type.cTransType == nil { info.type.cTransType = info.type.cServerType }
  }

  /// GNU's `itCheckDecl` for a named type. Returns false after an error.
  mutating func checkDeclaration(_ info: inout TypeInfo, at range: SourceRange, annotations: [Annotation] = []) -> Bool {
    func annotation(_ matches: (Annotation.Kind) -> Bool) -> SourceLocation {
      annotations.first { matches($0.kind) }?.range.start ?? range.start
    }
    calculateNameInfo(&info)
    let name = info.type.name ?? "?"
    var ok = true
    let t = info.type
    if t.isVariable {
      if t.inTran != nil || t.inTranPayload != nil || t.outTran != nil {
        diagnostics.error(
          .translatedVariableArray,
          "type '\(name)' is a variable-sized array and cannot have translation functions (intran/outtran)",
          at: annotation {
            switch $0 {
            case .inTran, .inTranPayload, .outTran: true
            default: false
            }
          })
        ok = false
      }
      if t.destructor != nil {
        diagnostics.error(
          .destroyedVariableArray, "type '\(name)' is a variable-sized array and cannot have a destructor",
          at: annotation {
            if case .destructor = $0 { true } else { false }
          })
        ok = false
      }
    }
    if t.isVariable && t.isInline && (t.elementType?.cUserType == nil || t.elementType?.cServerType == nil) {
      diagnostics.error(
        .variableArrayNeedsNamedElement,
        "the elements of inline variable array type '\(name)' must be a named type: declare "
          + "'type elem = …;' and use 'array[…] of elem'",
        at: range.start)
      ok = false
    }
    info.type.flags = checkFlags(info.type.flags, owner: "type '\(name)'", at: range)
    info.type.deallocate = checkDeallocate(
      info.type, flags: info.type.flags, default: .no, owner: "type '\(name)'", at: range)
    let use = info.longFormUse
    info.type.longFormUse = use
    if use == .tooLong {
      diagnostics.warning(
        .tooBigForLongForm,
        "type '\(name)' has a name or size too big even for mach_msg_type_long_t (16-bit fields)", at: range.start)
    }
    info.type.isLongForm = checkIsLong(
      info.type, flags: info.type.flags, default: use >= .shouldBeLong, owner: "type '\(name)'", at: range)
    if ok {
      if (UInt64(t.number) * UInt64(t.sizeInBits)) % 8 != 0 {
        diagnostics.warning(
          .sizeNotByteMultiple,
          "type '\(name)' has \(UInt64(t.number) * UInt64(t.sizeInBits)) bit(s), not a whole number of bytes",
          at: range.start)
      }
      if t.typeSizeInBytes == 0 && !t.isVariable {
        diagnostics.warning(.zeroSizeType, "type '\(name)' has size 0", at: range.start)
      }
    }
    return ok
  }

}

extension ArrayBound {
  var isVariable: Bool {
    if case .fixed = self { false } else { true }
  }

  /// `[N]` and `[*:N]` carry a count expression.
  var hasCount: Bool {
    switch self {
    case .fixed, .bounded: true
    case .unspecified, .star: false
    }
  }
}

extension IPCName {
  /// As written in `.defs`.
  var spelling: String {
    switch kind {
    case .number(let value): String(value)
    case .msgType(let name): name.rawValue
    case .polymorphic: "polymorphic"
    }
  }
}
