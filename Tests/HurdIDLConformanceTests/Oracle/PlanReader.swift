/// Reads routine plans out of GNU MIG's generated user and server stubs, in two phases: `register`
/// queues everything the C compiler must evaluate into one `LayoutProbe`; `assemble` turns the
/// probe's answers into plans.
struct PlanReader {
  let user: GeneratedCFile
  let server: GeneratedCFile
  private(set) var probe = LayoutProbe()
  private(set) var problems: [String] = []
  private var pending: [PendingRoutine] = []
  /// `_Static_assert(sizeof(T) == A * B)` expectations, for declaring C types no header provides.
  private var expectedTypeSizes: [String: Int] = [:]

  init(user: GeneratedCFile, server: GeneratedCFile) {
    self.user = user
    self.server = server
    // The generated user header only declares the stubs' prototypes; the probe needs none of them.
    let generatedHeader = "#include \"\(MIGOracle.generatedHeaderName)\""
    probe.addIncludes(user.includes.filter { $0 != generatedHeader })
    probe.addIncludes(server.includes.filter { $0 != generatedHeader })
  }

  // MARK: - Phase 1: what to ask the C compiler

  private struct ItemFields {
    var name: String
    var isLong: Bool
    var descriptorField: Int
    var dataField: Int
  }

  private struct PendingCheck {
    var name: String
    var quickTemplate: Int?
    var fieldExpressions: [(key: String, expression: Int)]
  }

  private struct PendingMessage {
    var label: String
    var senderStruct: Int
    var senderItems: [ItemFields]
    var senderTemplates: [Int]
    var runtimeFields: [[String]]
    var complex: ComplexBit
    var senderSizeAssert: Int?
    /// The first `msgh_size = N…` the sender writes: the whole size, or the fixed part before the
    /// variable deltas are added.
    var senderSizeLiteral: Int?
    /// `(char *) InP + msgh_size_delta - N`: the maximum MIG assumes for each variable item that
    /// other items follow, as the sender and the receiver move past it.
    var senderShifts: [Int]
    var receiverShifts: [Int]
    var dispositions: (remote: Int?, local: Int?)?
    var receiverStruct: Int
    var receiverItems: [ItemFields]
    var receiverSize: (size: Int, isMinimum: Bool)
    var receiverComplex: ComplexBit
    var checks: [PendingCheck]
  }

  private struct PendingTypeAssert {
    var typeName: String
    var expected: Int
    var actual: Int
  }

  private struct PendingRoutine {
    var entry: MIGOracle.ListEntry
    var request: PendingMessage
    var reply: PendingMessage?
    var typeAsserts: [PendingTypeAssert]
  }

  mutating func register(_ entry: MIGOracle.ListEntry) throws(OracleError) {
    guard let userStub = user.routines[entry.name], let serverStub = server.routines[entry.name] else {
      throw .unexpectedOutput("routine \(entry.name) from -list has no stub in User.c or Server.c")
    }
    let isSimple = entry.replyID == 0
    // The user stub sends the request, then (from its reply id check on) receives the reply; the
    // server stub checks the request until it calls the work function, then packs the reply.
    let userSplit = userStub.lines.firstIndex { $0.contains("OutP->Head.msgh_id") } ?? userStub.lines.count
    guard let serverSplit = serverStub.lines.lastIndex(where: { $0.contains("OutP->RetCode = ") }) else {
      throw .unexpectedOutput("\(entry.name): the server stub never calls the work function")
    }
    let request = try registerMessage(
      label: "\(entry.name) request", sender: userStub, senderLines: Array(userStub.lines[..<userSplit]),
      senderPointer: "InP", receiver: serverStub, receiverLines: Array(serverStub.lines[...serverSplit]),
      structName: "Request", isRequest: true)
    var reply: PendingMessage?
    if !isSimple {
      reply = try registerMessage(
        label: "\(entry.name) reply", sender: serverStub,
        senderLines: Array(serverStub.lines[(serverSplit + 1)...]), senderPointer: "OutP",
        receiver: userStub, receiverLines: Array(userStub.lines[userSplit...]), structName: "Reply",
        isRequest: false)
    }
    // The ids the user stub really sends and expects must be the ones `-list` reports.
    let userText = userStub.text
    let sentID = Self.firstLiteral(after: "InP->Head.msgh_id = ", in: userText)
    let expectedReplyID = Self.firstLiteral(after: "OutP->Head.msgh_id != ", in: userText)
    if sentID != entry.requestID || expectedReplyID != (isSimple ? nil : entry.replyID) {
      problems.append(
        "\(entry.name): the user stub sends id \(sentID.map(String.init) ?? "none") and expects \(expectedReplyID.map(String.init) ?? "none"), -list says \(entry.requestID)/\(entry.replyID)")
    }
    var typeAsserts: [PendingTypeAssert] = []
    for assert in userStub.staticAsserts + serverStub.staticAsserts
    where assert.typeName != "Request" && assert.typeName != "Reply" {
      guard let expected = Self.evaluateProduct(assert.expected) else {
        throw .unexpectedOutput("static assert expectation \(assert.expected)")
      }
      expectedTypeSizes[assert.typeName] = expected
      let actual = probe.addExpression("sizeof(\(assert.typeName))")
      typeAsserts.append(PendingTypeAssert(typeName: assert.typeName, expected: expected, actual: actual))
    }
    pending.append(PendingRoutine(entry: entry, request: request, reply: reply, typeAsserts: typeAsserts))
  }

  private mutating func registerMessage(
    label: String, sender: CFunction, senderLines: [String], senderPointer: String,
    receiver: CFunction, receiverLines: [String], structName: String, isRequest: Bool
  ) throws(OracleError) -> PendingMessage {
    guard let senderStruct = sender.structs[structName], let receiverStruct = receiver.structs[structName]
    else { throw .unexpectedOutput("\(label): no \(structName) struct on both sides") }
    let senderItems = try Self.items(of: senderStruct, label: label)
    let receiverItems = try Self.items(of: receiverStruct, label: label)
    guard senderItems.map(\.name) == receiverItems.map(\.name) else {
      throw .unexpectedOutput("\(label): sender and receiver structs list different items")
    }
    var senderTemplates: [Int] = []
    for item in senderItems {
      guard let template = sender.templates[item.name + "Type"] ?? server.template(named: item.name + "Type")
      else { throw .unexpectedOutput("\(label): no descriptor template for \(item.name)") }
      guard template.isLong == item.isLong else {
        throw .unexpectedOutput("\(label): template and struct disagree on the form of \(item.name)")
      }
      senderTemplates.append(probe.addTemplate(template))
    }
    let assignments = Self.descriptorAssignments(in: senderLines, pointer: senderPointer)
    let runtimeFields = senderItems.map { assignments[$0.name] ?? [] }

    let receiverText = receiverLines.joined(separator: "\n")
    guard let receiverSize = Self.sizeCheck(in: receiverText) else {
      throw .unexpectedOutput("\(label): no msgh_size check in the receiver")
    }
    let receiverPointer = isRequest ? "In0P" : "OutP"
    var checks: [PendingCheck] = []
    for item in receiverItems {
      var check = PendingCheck(name: item.name, quickTemplate: nil, fieldExpressions: [])
      if let quick = receiver.templates[item.name + "Check"] {
        check.quickTemplate = probe.addTemplate(quick)
      } else {
        for (key, expression) in Self.fieldChecks(in: receiverLines, item: item.name) {
          check.fieldExpressions.append((key, probe.addExpression(expression)))
        }
      }
      checks.append(check)
    }

    var complex = ComplexBit.never
    var dispositions: (remote: Int?, local: Int?)?
    if isRequest {
      guard let bits = Self.statement(in: senderLines, containing: "InP->Head.msgh_bits =") else {
        throw .unexpectedOutput("\(label): the user stub sets no msgh_bits")
      }
      complex = bits.contains("msgh_simple ?") ? .runtime : bits.contains("MACH_MSGH_BITS_COMPLEX") ? .always : .never
      guard let (remote, local) = Self.headerBitsArguments(bits) else {
        throw .unexpectedOutput("\(label): msgh_bits \(bits)")
      }
      dispositions = (
        Self.isConstant(remote) ? probe.addExpression(remote) : nil,
        Self.isConstant(local) ? probe.addExpression(local) : nil
      )
    } else {
      complex = Self.replyComplexBit(in: senderLines)
    }
    let senderSizeAssert = sender.staticAsserts.first { $0.typeName == structName }
      .flatMap { Int($0.expected) }
    let senderText = senderLines.joined(separator: "\n")

    return PendingMessage(
      label: label, senderStruct: probe.addStruct(senderStruct), senderItems: senderItems,
      senderTemplates: senderTemplates, runtimeFields: runtimeFields, complex: complex,
      senderSizeAssert: senderSizeAssert,
      senderSizeLiteral: Self.firstLiteral(after: "msgh_size = ", in: senderText),
      senderShifts: Self.literals(after: "+ msgh_size_delta - ", in: senderText),
      receiverShifts: Self.literals(after: "+ msgh_size_delta - ", in: receiverText),
      dispositions: dispositions,
      receiverStruct: probe.addStruct(receiverStruct), receiverItems: receiverItems,
      receiverSize: receiverSize,
      receiverComplex: Self.receiverComplexBit(in: receiverText, pointer: receiverPointer),
      checks: checks)
  }

  /// A typedef for a C type no header declared, sized as GNU MIG expects it: its `_Static_assert`,
  /// else the bytes of the message field that uses it, else a pointer (out-of-line data).
  func synthesizedTypedef(_ name: String) -> String {
    if let size = expectedTypeSizes[name] { return Self.opaqueTypedef(name, size: size) }
    for (structure, template) in fieldsAndTemplates() {
      for field in structure where !field.isPointer && Self.baseTypeName(field.typeName) == name {
        guard let template = template(field.name) else { continue }
        if template.literal("msgt_inline") == "FALSE" { return "typedef void *\(name);" }
        let prefix = template.isLong ? "msgtl_" : "msgt_"
        guard let bits = Int(template.literal(prefix + "size") ?? ""),
          let number = Int(template.literal(prefix + "number") ?? "")
        else { continue }
        let bytes = (bits * number + 7) / 8
        return Self.opaqueTypedef(name, size: bytes / max(field.arrayLength ?? 1, 1))
      }
    }
    return "typedef void *\(name);"
  }

  private func fieldsAndTemplates() -> [([CField], (String) -> CTemplate?)] {
    var result: [([CField], (String) -> CTemplate?)] = []
    for file in [user, server] {
      for function in file.routines.values {
        for structure in function.structs.values {
          // Senders hold `xType` templates, receivers `xCheck` ones; both carry the same sizes.
          result.append(
            (structure.fields, { function.templates[$0 + "Type"] ?? function.templates[$0 + "Check"] }))
        }
      }
    }
    return result
  }

  private static func opaqueTypedef(_ name: String, size: Int) -> String {
    guard size > 0 else { return "typedef struct { } \(name);" }
    var alignment = 1
    while alignment < 8, size % (alignment * 2) == 0 { alignment *= 2 }
    return "typedef struct __attribute__((aligned(\(alignment)))) { unsigned char bytes[\(size)]; } \(name);"
  }

  private static func baseTypeName(_ typeName: String) -> String {
    typeName.hasPrefix("const ") ? String(typeName.dropFirst(6)) : typeName
  }

  // MARK: - Phase 2: plans from the answers

  mutating func assemble(_ results: ProbeResults) throws(OracleError) -> [OracleRoutine] {
    var routines: [OracleRoutine] = []
    for routine in pending {
      var mismatches: [String] = []
      for assert in routine.typeAsserts where results.expressions[assert.actual] != assert.expected {
        mismatches.append(
          "sizeof(\(assert.typeName)) is \(results.expressions[assert.actual]) in C, GNU MIG expects \(assert.expected)")
      }
      let request = try message(routine.request, results, mismatches: &mismatches)
      let reply = try routine.reply.map { (pendingReply) throws(OracleError) in
        try message(pendingReply, results, mismatches: &mismatches)
      }
      var unique: [String] = []
      for mismatch in mismatches where !unique.contains(mismatch) { unique.append(mismatch) }
      routines.append(
        OracleRoutine(
          name: routine.entry.name, kind: reply == nil ? "simpleroutine" : "routine",
          requestID: routine.entry.requestID,
          replyID: routine.reply == nil ? nil : routine.entry.replyID,
          request: request, reply: reply, index: routine.entry.index, cLayoutMismatches: unique))
    }
    return routines
  }

  private mutating func message(
    _ pendingMessage: PendingMessage, _ results: ProbeResults, mismatches: inout [String]
  ) throws(OracleError) -> OracleMessage {
    let label = pendingMessage.label
    var items: [OracleItem] = []
    var offset = 32
    var minimum = 32
    var isVariable = false
    let senderLayout = results.fields[pendingMessage.senderStruct]
    let receiverLayout = results.fields[pendingMessage.receiverStruct]
    for (position, fields) in pendingMessage.senderItems.enumerated() {
      let template = results.templates[pendingMessage.senderTemplates[position]]
      let runtime = pendingMessage.runtimeFields[position]
      let descriptorOffset = offset
      let descriptorSize = fields.isLong ? 12 : 4
      offset += descriptorSize
      minimum += descriptorSize
      let inlineValue: RuntimeBool = runtime.contains("inline") ? .runtime : .value(template.inline)
      let deallocate: RuntimeBool = runtime.contains("deallocate") ? .runtime : .value(template.deallocate)
      let outOfLine = inlineValue == .value(false)
      let dataSize = outOfLine ? 8 : (template.size * template.number + 7) / 8
      let padded = (dataSize + 3) & ~3
      let variable = runtime.contains("msgtNumber") && !outOfLine
      isVariable = isVariable || variable
      let item = OracleItem(
        name: fields.name, descriptorOffset: descriptorOffset,
        descriptorForm: fields.isLong ? "long" : "short", dataOffset: offset, dataSize: dataSize,
        msgtName: template.name, msgtSize: template.size, msgtNumber: template.number,
        inline: inlineValue, deallocate: deallocate, paddedDataSize: padded,
        runtime: ["msgtName", "msgtSize", "msgtNumber"].filter(runtime.contains))
      offset += padded
      minimum += variable ? 0 : padded

      // The C compiler's view of the same item, on both sides.
      for (side, layout, itemFields) in [
        ("sender", senderLayout, fields), ("receiver", receiverLayout, pendingMessage.receiverItems[position]),
      ] {
        let descriptor = layout[itemFields.descriptorField]
        let data = layout[itemFields.dataField]
        if descriptor.offset != item.descriptorOffset || data.offset != item.dataOffset
          || data.size != item.dataSize
        {
          mismatches.append(
            "\(label) item \(item.name): the \(side)'s C struct has descriptor@\(descriptor.offset) data@\(data.offset) size \(data.size), GNU MIG's arithmetic descriptor@\(item.descriptorOffset) data@\(item.dataOffset) size \(item.dataSize)"
          )
        }
      }
      items.append(item)
    }
    let maximum = offset
    let receiverSize = pendingMessage.receiverSize
    if receiverSize.isMinimum != isVariable || receiverSize.size != (isVariable ? minimum : maximum) {
      problems.append(
        "\(label): receiver checks msgh_size \(receiverSize.isMinimum ? "<" : "!=") \(receiverSize.size), arithmetic gives minimum \(minimum), maximum \(maximum), variable \(isVariable)"
      )
    }
    // Requests always set msgh_size; a reply without out-arguments keeps the demux's 40 bytes.
    let senderSize = pendingMessage.senderSizeLiteral ?? (pendingMessage.label.hasSuffix("reply") ? 40 : -1)
    if senderSize != (isVariable ? minimum : maximum) {
      problems.append(
        "\(label): the sender writes msgh_size \(senderSize)…, arithmetic gives minimum \(minimum), maximum \(maximum)")
    }
    let variableMaxima = items.dropLast().filter { $0.runtime.contains("msgtNumber") && $0.inline != .value(false) }
      .map(\.paddedDataSize)
    for (side, shifts) in [("sender", pendingMessage.senderShifts), ("receiver", pendingMessage.receiverShifts)]
    where shifts != variableMaxima {
      problems.append(
        "\(label): the \(side) skips variable items by \(shifts), arithmetic gives maxima \(variableMaxima)")
    }
    if let asserted = pendingMessage.senderSizeAssert {
      if asserted != maximum {
        problems.append("\(label): GNU MIG asserts size \(asserted), arithmetic gives \(maximum)")
      }
      let cSize = results.structSizes[pendingMessage.senderStruct]
      if cSize != asserted {
        mismatches.append("\(label): sizeof is \(cSize) in C, GNU MIG asserts \(asserted)")
      }
    }
    var dispositions: (RuntimeNumber?, RuntimeNumber?) = (nil, nil)
    if let pendingDispositions = pendingMessage.dispositions {
      dispositions = (
        pendingDispositions.remote.map { .value(results.expressions[$0]) } ?? .runtime,
        pendingDispositions.local.map { .value(results.expressions[$0]) } ?? .runtime
      )
    }
    let checks = pendingMessage.checks.map { check in
      if let quick = check.quickTemplate {
        let t = results.templates[quick]
        return CheckedItem(
          name: check.name, method: "quick",
          expect: [
            "msgtName": t.name, "msgtSize": t.size, "msgtNumber": t.number, "inline": t.inline ? 1 : 0,
            "longform": t.longform ? 1 : 0, "deallocate": t.deallocate ? 1 : 0,
          ])
      }
      var expect: [String: Int] = [:]
      for (key, expression) in check.fieldExpressions { expect[key] = results.expressions[expression] }
      return CheckedItem(name: check.name, method: expect.isEmpty ? "none" : "fields", expect: expect)
    }
    return OracleMessage(
      size: receiverSize.size, sizeIsMinimum: receiverSize.isMinimum, complex: pendingMessage.complex,
      items: items, maximumSize: maximum, remoteDisposition: dispositions.0,
      localDisposition: dispositions.1,
      receiverCheck: ReceiverCheck(
        size: receiverSize.size, sizeIsMinimum: receiverSize.isMinimum,
        complex: pendingMessage.receiverComplex, items: checks))
  }

  // MARK: - Reading the generated text

  /// Message items in wire order: `xType` (descriptor), `x` (data, maybe in a union with `xP`),
  /// optionally `xPad`.
  private static func items(of structure: CStruct, label: String) throws(OracleError) -> [ItemFields] {
    let fields = structure.fields
    guard fields.first?.name == "Head" else { throw .unexpectedOutput("\(label): struct without Head") }
    var items: [ItemFields] = []
    var index = 1
    while index < fields.count {
      let descriptor = fields[index]
      let isLong = descriptor.typeName == "mach_msg_type_long_t"
      guard isLong || descriptor.typeName == "mach_msg_type_t", descriptor.name.hasSuffix("Type"),
        index + 1 < fields.count
      else { throw .unexpectedOutput("\(label): unexpected member \(descriptor.name)") }
      let name = String(descriptor.name.dropLast(4))
      guard fields[index + 1].name == name else {
        throw .unexpectedOutput("\(label): descriptor \(descriptor.name) not followed by \(name)")
      }
      items.append(ItemFields(name: name, isLong: isLong, descriptorField: index, dataField: index + 1))
      index += 2
      while index < fields.count, fields[index].name == name + "P" || fields[index].name == name + "Pad" {
        index += 1
      }
    }
    return items
  }

  /// `InP->xType.msgt_number = …` and friends: descriptor fields the sender sets at run time, by item.
  static func descriptorAssignments(in lines: [String], pointer: String) -> [String: [String]] {
    var result: [String: [String]] = [:]
    for line in lines where line.contains("Type.") {
      var rest = Substring(line)
      while let start = rest.range(of: pointer + "->") {
        rest = rest[start.upperBound...]
        let path = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        let after = rest.dropFirst(path.count).drop { $0 == " " }
        guard after.hasPrefix("=") && !after.hasPrefix("==") || after.hasPrefix("+=") else { continue }
        let parts = path.split(separator: ".")
        guard parts.count >= 2, parts[0].hasSuffix("Type"), let key = descriptorKey(String(parts.last!))
        else { continue }
        let item = String(parts[0].dropLast(4))
        if !(result[item] ?? []).contains(key) { result[item, default: []].append(key) }
      }
    }
    return result
  }

  /// `msgt_name`/`msgtl_name` → `msgtName`, and so on.
  static func descriptorKey(_ field: String) -> String? {
    switch field {
    case "msgt_name", "msgtl_name": "msgtName"
    case "msgt_size", "msgtl_size": "msgtSize"
    case "msgt_number", "msgtl_number": "msgtNumber"
    case "msgt_inline": "inline"
    case "msgt_longform": "longform"
    case "msgt_deallocate": "deallocate"
    default: nil
    }
  }

  /// The receiver's field-by-field checks of one item: `(In0P->xType.msgt_size != 8)`.
  static func fieldChecks(in lines: [String], item: String) -> [(String, String)] {
    var result: [(String, String)] = []
    let marker = "->" + item + "Type."
    for line in lines where line.contains(marker) {
      var rest = Substring(line)
      while let start = rest.range(of: marker) {
        rest = rest[start.upperBound...]
        let path = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
        let after = rest.dropFirst(path.count)
        guard after.hasPrefix(" != "), let field = path.split(separator: ".").last,
          let key = descriptorKey(String(field))
        else { continue }
        let expression = after.dropFirst(4).prefix { $0 != ")" }.trimmingSpaces
        if !result.contains(where: { $0.0 == key }) { result.append((key, expression)) }
      }
    }
    return result
  }

  /// The first `msgh_size != N` or `msgh_size < N` in the receiver's checks.
  static func sizeCheck(in text: String) -> (size: Int, isMinimum: Bool)? {
    var rest = Substring(text)
    while let found = rest.range(of: "msgh_size ") {
      rest = rest[found.upperBound...]
      for (op, isMinimum) in [("!= ", false), ("< ", true)] where rest.hasPrefix(op) {
        let digits = rest.dropFirst(op.count).prefix { $0.isNumber }
        if let size = Int(digits) { return (size, isMinimum) }
      }
    }
    return nil
  }

  static func receiverComplexBit(in text: String, pointer: String) -> ComplexBit {
    let test = "(\(pointer)->Head.msgh_bits & MACH_MSGH_BITS_COMPLEX)"
    if text.contains("msgh_simple = !" + test) { return .runtime }
    if text.contains("!" + test) { return .always }
    if text.contains(test) { return .never }
    return .unchecked
  }

  /// The server sets the reply's complex bit after packing: unconditionally, or under `!msgh_simple`.
  static func replyComplexBit(in lines: [String]) -> ComplexBit {
    var previous = ""
    for line in lines {
      let trimmed = line.trimmingSpaces
      if trimmed == "OutP->Head.msgh_bits |= MACH_MSGH_BITS_COMPLEX;" {
        return previous == "if (!msgh_simple)" ? .runtime : .always
      }
      if !trimmed.isEmpty { previous = trimmed }
    }
    return .never
  }

  /// The statement starting on the line that contains `marker`, up to its `;`.
  static func statement(in lines: [String], containing marker: String) -> String? {
    guard let start = lines.firstIndex(where: { $0.contains(marker) }) else { return nil }
    var text = ""
    for line in lines[start...] {
      text += line.trimmingSpaces + " "
      if line.contains(";") { break }
    }
    return text
  }

  /// The two arguments of the (last) `MACH_MSGH_BITS(remote, local)` in a statement.
  static func headerBitsArguments(_ statement: String) -> (String, String)? {
    guard let call = statement.ranges(of: "MACH_MSGH_BITS(").last else { return nil }
    var depth = 0
    var arguments: [String] = [""]
    for character in statement[call.upperBound...] {
      if character == "(" { depth += 1 }
      if character == ")" {
        if depth == 0 { break }
        depth -= 1
      }
      if character == ",", depth == 0 {
        arguments.append("")
      } else {
        arguments[arguments.count - 1].append(character)
      }
    }
    guard arguments.count == 2 else { return nil }
    return (arguments[0].trimmingSpaces, arguments[1].trimmingSpaces)
  }

  /// Header dispositions are constants (`MACH_MSG_TYPE_COPY_SEND`, `0`) or a Poly argument's name.
  static func isConstant(_ expression: String) -> Bool {
    expression.hasPrefix("MACH_MSG_TYPE_") || Int(expression) != nil
  }

  /// The integer right after each occurrence of `marker`.
  static func literals(after marker: String, in text: String) -> [Int] {
    text.ranges(of: marker).compactMap { range in Int(text[range.upperBound...].prefix { $0.isNumber }) }
  }

  static func firstLiteral(after marker: String, in text: String) -> Int? {
    literals(after: marker, in: text).first
  }

  /// `4 * 10` → 40.
  static func evaluateProduct(_ text: String) -> Int? {
    var product = 1
    for factor in text.split(separator: "*") {
      guard let value = Int(factor.trimmingSpaces) else { return nil }
      product *= value
    }
    return product
  }
}

extension CTemplate {
  /// The literal after `/* field = */` in the initializer (`msgt_size` → `"32"`).
  func literal(_ field: String) -> String? {
    let marker = "/* \(field) = */"
    for line in initializer {
      guard let found = line.range(of: marker) else { continue }
      var value = line[found.upperBound...].trimmingSpaces
      if value.hasSuffix(",") { value.removeLast() }
      return value
    }
    return nil
  }
}
