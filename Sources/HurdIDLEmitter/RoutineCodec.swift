import HurdIDLPlanner

/// The four message functions of one routine (encode/decode × request/reply), written from the
/// native L4 plan: which word bytes and which typed item hold each value.
struct RoutineCodec {
  let routine: EmitRoutine
  let namespace: String
  /// The runtime's marshalling helpers (SPI for generated code).
  let wire = "HurdRPC.GeneratedWire"

  func functions() -> [SwiftFunction] {
    var result = [encodeRequest(), decodeRequest()]
    if let reply = routine.plan.reply {
      result += [encodeReply(reply), decodeReply(reply)]
    }
    return result
  }

  private var resultType: String? {
    switch routine.results.count {
    case 0: nil
    case 1: routine.results[0].shape.swiftType
    default: "\(namespace).\(routine.typeName)Reply"
    }
  }

  private var summary: String {
    "`\(routine.routine.name)`"
  }

  // MARK: - Senders

  private func encodeRequest() -> SwiftFunction {
    let message = routine.plan.request
    var body = checks(routine.parameters, expression: { $0.swiftName })
    let mutates = message.untypedWords > 0 || !message.items.isEmpty
    body.append(.line("\(mutates ? "var" : "let") message = HurdRPC.Message(label: \(message.label))"))
    body += encode(routine.parameters, placement: \.request, plan: message, expression: { $0.swiftName }, reply: false)
    body.append(.line("return message"))
    return SwiftFunction(
      documentation: ["The request of \(summary), after checking every bound."], modifiers: ["static"],
      name: "encode\(routine.typeName)Request",
      parameters: routine.parameters.map { .init(name: $0.swiftName, type: $0.shape.swiftType) },
      thrownType: "HurdRPC.RPCError", returnType: "HurdRPC.Message", body: body)
  }

  private func encodeReply(_ plan: L4MessagePlan) -> SwiftFunction {
    let expression: (EmitValue) -> String
    var parameters: [SwiftFunction.Parameter] = []
    switch routine.results.count {
    case 0: expression = { $0.swiftName }
    case 1:
      expression = { $0.swiftName }
      parameters.append(.init(label: "_", name: routine.results[0].swiftName, type: routine.results[0].shape.swiftType))
    default:
      expression = { "results.\($0.swiftName)" }
      parameters.append(.init(label: "_", name: "results", type: resultType!))
    }
    parameters.append(.init(label: "into", name: "message", type: "inout HurdRPC.Message"))
    var body = checks(routine.results, expression: expression)
    body += encode(routine.results, placement: \.reply, plan: plan, expression: expression, reply: true)
    return SwiftFunction(
      documentation: ["Appends the results of \(summary) to a reply that holds the return code."],
      modifiers: ["static"], name: "encode\(routine.typeName)Reply", parameters: parameters,
      thrownType: "HurdRPC.RPCError", body: body)
  }

  private func checks(_ values: [EmitValue], expression: (EmitValue) -> String) -> [SwiftNode] {
    var body: [SwiftNode] = []
    for value in values {
      let name = value.swiftName.trimmingBackticks
      let v = expression(value)
      switch value.shape {
      case .scalar, .capability, .transferFlag, .fixedArray:
        // (A fixed array's length is its type's.)
        break
      case .cStruct(let mapping):
        body += cStructChecks(mapping, value: v, name: name)
      case .array(_, let exact, let maximum):
        if exact != nil || maximum != nil {
          body.append(
            .line("try \(wire).check(count: \(v).count, exact: \(literal(exact)), maximum: \(literal(maximum)), argument: \"\(name)\")"))
        }
      case .text(let maximum):
        body.append(.line("let \(name)Bytes = try \(wire).textBytes(\(v), maximum: \(literal(maximum)), argument: \"\(name)\")"))
      case .capabilityArray(_, _, let exact, let maximum, _):
        body.append(
          .line("try \(wire).check(count: \(v).count, exact: \(literal(exact)), maximum: \(maximum), argument: \"\(name)\")"))
      case .region(let elementBytes, let exact, let maximum):
        body.append(
          .line(
            "try \(wire).checkRegion(\(v), elementBytes: \(elementBytes), exact: \(literal(exact)), maximum: \(literal(maximum)), argument: \"\(name)\")"
          ))
      }
    }
    return body
  }

  private func encode(
    _ values: [EmitValue], placement: KeyPath<EmitValue, ValuePlacement?>, plan: L4MessagePlan,
    expression: (EmitValue) -> String, reply: Bool
  ) -> [SwiftNode] {
    var body: [SwiftNode] = []
    if plan.untypedWords > (reply ? 1 : 0) {
      body.append(.line("try \(wire).reserve(\(plan.untypedWords), in: &message)"))
    }
    var items: [(Int, SwiftNode)] = []
    if let overflowBytes = plan.overflowBytes, let index = plan.items.firstIndex(where: { $0.kind == .overflow }) {
      // Fixed data that did not fit into the words travels in the overflow string (item 0).
      body.append(.line("var overflow = [Swift.UInt8](repeating: 0, count: \(overflowBytes))"))
      items.append((index, .line("try message.append(.string(HurdRPC.StringItem(overflow)))")))
    }
    for value in values {
      let v = expression(value)
      switch value[keyPath: placement] {
      case .field(let field)?:
        switch value.shape {
        case .scalar(let scalar):
          body.append(.line("\(wire).put(\(bits(v, scalar)), at: \(field.byteOffset), size: \(scalar.bytes), in: &\(target(field)))"))
        case .fixedArray(let scalar, _) where scalar.kind == .integer && field.area == .words:
          // Integers in the words: one copy of the array's bytes.
          body.append(.line("\(wire).put(\(v), at: \(field.byteOffset), in: &message)"))
        case .fixedArray(let scalar, let count):
          body.append(
            .braces(
              "for position in 0..<\(count)",
              [.line("\(wire).put(\(bits("\(v)[position]", scalar)), at: \(field.byteOffset) + position * \(scalar.bytes), size: \(scalar.bytes), in: &\(target(field)))")]))
        case .cStruct(let mapping):
          body += cStructEncode(mapping, value: v, field: field)
        default:
          break
        }
      case .item(let index, let item)?:
        let line: String
        switch value.shape {
        case .array(let scalar, _, _):
          let bytes = scalar.kind == .boolean ? "\(wire).bytes(of: \(v))" : "\(wire).bytes(of: \(v), size: \(scalar.bytes))"
          let limit = item.kind == .stringOrRegion ? literal(item.stringLimitBytes) : "nil"
          line = "try message.append(\(wire).dataItem(\(bytes), stringLimit: \(limit), grant: \(grant(value, item, values, expression))))"
        case .text:
          line = "try message.append(.string(HurdRPC.StringItem(\(value.swiftName.trimmingBackticks)Bytes)))"
        case .region:
          if item.transfer == .runtime {
            line = "try message.append(.region(\(grant(value, item, values, expression)) ? .grant(\(v)) : .map(\(v))))"
          } else {
            line = "try message.append(.region(.\(item.transfer == .grant ? "grant" : "map")(\(v))))"
          }
        case .capability(let disposition?, _):
          line = "try message.append(.capability(HurdRPC.CapabilityItem(\(v), disposition: .\(disposition))))"
        case .capability(nil, _):
          line = "try message.append(.capability(\(v)))"
        case .capabilityArray(let disposition, _, _, _, _):
          if item.runIsVariable == true, let field = runCountField(of: item, in: plan) {
            body.append(.line("\(wire).put(Swift.UInt64(\(v).count), at: \(field.byteOffset), size: \(field.byteSize), in: &\(target(field)))"))
          }
          let element = disposition.map { "HurdRPC.CapabilityItem(element, disposition: .\($0))" } ?? "element"
          items.append((index, .braces("for element in \(v)", [.line("try message.append(.capability(\(element)))")])))
          continue
        default:
          continue
        }
        items.append((index, .line(line)))
      case nil:
        break
      }
    }
    body += items.sorted { $0.0 < $1.0 }.map(\.1)
    return body
  }

  /// Whether the item is granted: fixed by the plan, or the `dealloc[]` companion's value.
  private func grant(_ value: EmitValue, _ item: L4ItemPlan, _ values: [EmitValue], _ expression: (EmitValue) -> String) -> String {
    if item.transfer == .runtime, let flag = value.grantFlag, let flagValue = values.first(where: { $0.swiftName == flag }) {
      return expression(flagValue)
    }
    return item.transfer == .grant ? "true" : "false"
  }

  func bits(_ v: String, _ scalar: ScalarType) -> String {
    switch scalar.kind {
    case .integer: "Swift.UInt64(truncatingIfNeeded: \(v))"
    case .boolean: "(\(v) ? 1 : 0)"
    case .float: "Swift.UInt64(\(v).bitPattern)"
    }
  }

  private func literal(_ value: Int?) -> String { value.map(String.init) ?? "nil" }

  // MARK: - Receivers

  private func decodeRequest() -> SwiftFunction {
    var body = decode(routine.parameters, placement: \.request, plan: routine.plan.request, malformed: ".badArguments")
    let names = routine.parameters.map(\.swiftName)
    let returnType: String?
    switch names.count {
    case 0: returnType = nil
    case 1:
      returnType = routine.parameters[0].shape.swiftType
      body.append(.line("return \(names[0])"))
    default:
      returnType = "(" + routine.parameters.map(\.shape.swiftType).joined(separator: ", ") + ")"
      body.append(.line("return (\(names.joined(separator: ", ")))"))
    }
    return SwiftFunction(
      documentation: ["Validates a request of \(summary) completely and returns its values; `.badArguments` if malformed."],
      modifiers: ["static"], name: "decode\(routine.typeName)Request",
      parameters: [.init(label: "_", name: "message", type: "borrowing HurdRPC.Message")], thrownType: "HurdRPC.RPCError",
      returnType: returnType, body: body)
  }

  private func decodeReply(_ plan: L4MessagePlan) -> SwiftFunction {
    var body = decode(routine.results, placement: \.reply, plan: plan, malformed: ".typeError")
    switch routine.results.count {
    case 0: break
    case 1: body.append(.line("return \(routine.results[0].swiftName)"))
    default:
      let arguments = routine.results.map { "\($0.swiftName.argumentLabel): \($0.swiftName)" }.joined(separator: ", ")
      body.append(.line("return \(resultType!)(\(arguments))"))
    }
    return SwiftFunction(
      documentation: ["The results of a successful reply of \(summary); `.typeError` if malformed."], modifiers: ["static"],
      name: "decode\(routine.typeName)Reply",
      parameters: [.init(label: "_", name: "message", type: "borrowing HurdRPC.Message")], thrownType: "HurdRPC.RPCError",
      returnType: resultType, body: body)
  }

  private func decode(
    _ values: [EmitValue], placement: KeyPath<EmitValue, ValuePlacement?>, plan: L4MessagePlan, malformed: String
  ) -> [SwiftNode] {
    var body: [SwiftNode] = []
    let starts = itemStarts(plan)
    if starts.variableRuns.isEmpty {
      body.append(.line("try \(wire).expect(message, words: \(plan.untypedWords), items: \(starts.total), malformed: \(malformed))"))
    } else {
      // Variable capability runs: their lengths are words, read (and bounded) before the items.
      body.append(.line("try \(wire).expect(message, words: \(plan.untypedWords), items: nil, malformed: \(malformed))"))
      for run in starts.variableRuns {
        body.append(
          .line(
            "let \(run.local) = try \(wire).runCount(message, at: \(run.field.byteOffset), size: \(run.field.byteSize), maximum: \(run.maximum), argument: \"\(run.argument)\", malformed: \(malformed))"
          ))
      }
      body.append(.line("try \(wire).expect(message, words: \(plan.untypedWords), items: \(starts.total), malformed: \(malformed))"))
    }
    if let overflowBytes = plan.overflowBytes, let index = plan.items.firstIndex(where: { $0.kind == .overflow }) {
      body.append(
        .line("let overflow = try \(wire).overflow(message.items[\(starts.starts[index])], bytes: \(overflowBytes), malformed: \(malformed))"))
    }
    for value in values {
      let name = value.swiftName
      let argument = "argument: \"\(name.trimmingBackticks)\", malformed: \(malformed)"
      switch value[keyPath: placement] {
      case .field(let field)?:
        switch value.shape {
        case .scalar(let scalar):
          body.append(.line("let \(name) = \(scalarFrom("\(wire).get(\(target(field)), at: \(field.byteOffset), size: \(scalar.bytes))", scalar, argument))"))
        case .fixedArray(let scalar, let count):
          let zero = scalar.kind == .boolean ? "false" : "0"
          body.append(.line("var \(name) = \(value.shape.swiftType)(repeating: \(zero))"))
          if scalar.kind == .integer && field.area == .words {
            body.append(.line("\(wire).get(message, at: \(field.byteOffset), into: &\(name))"))
            break
          }
          body.append(
            .braces(
              "for position in 0..<\(count)",
              [
                .line(
                  "\(name)[position] = \(scalarFrom("\(wire).get(\(target(field)), at: \(field.byteOffset) + position * \(scalar.bytes), size: \(scalar.bytes))", scalar, argument))"
                )
              ]))
        case .cStruct(let mapping):
          body += cStructDecode(mapping, name: name, field: field, argument: argument)
        default:
          break
        }
      case .item(let index, let item)?:
        let start = starts.starts[index]
        // `array[]`: a string up to the plan's limit, a region above (a larger string is malformed).
        let stringLimit = item.kind == .stringOrRegion ? item.stringLimitBytes.map { ", stringLimit: \($0)" } ?? "" : ""
        let data =
          "\(wire).data(message.items[\(start)], allowRegion: \(item.kind == .stringOrRegion)\(stringLimit), \(argument))"
        switch value.shape {
        case .array(let scalar, let exact, let maximum):
          if scalar.kind == .boolean {
            body.append(.line("let \(name) = try \(wire).booleans(\(data), exact: \(literal(exact)), maximum: \(literal(maximum)), \(argument))"))
          } else {
            body.append(
              .line(
                "let \(name): [\(scalar.swiftName)] = try \(wire).integers(\(data), size: \(scalar.bytes), exact: \(literal(exact)), maximum: \(literal(maximum)), \(argument))"
              ))
          }
        case .text(let maximum):
          body.append(.line("let \(name) = try \(wire).text(\(data), maximum: \(literal(maximum)), \(argument))"))
        case .region(let elementBytes, let exact, let maximum):
          body.append(
            .line(
              "let \(name) = try \(wire).region(message.items[\(start)], elementBytes: \(elementBytes), exact: \(literal(exact)), maximum: \(literal(maximum)), \(argument))"
            ))
        case .capability(let disposition, let right):
          let function = disposition == nil ? "capabilityItem" : "capability"
          body.append(
            .line("let \(name) = try \(wire).\(function)(message.items[\(start)], right: \(right.map { "." + $0 } ?? "nil"), \(argument))"))
        case .transferFlag:
          body.append(.line("let \(name) = \(wire).isGrant(message.items[\(start)])"))
        case .capabilityArray(let disposition, let right, _, _, _):
          let count = starts.counts[index]
          let function = disposition == nil ? "capabilityItem" : "capability"
          body.append(.line("var \(name): \(value.shape.swiftType) = []"))
          body.append(
            .braces(
              "for position in 0..<\(count)",
              [
                .line(
                  "\(name).append(try \(wire).\(function)(message.items[\(start) + position], right: \(right.map { "." + $0 } ?? "nil"), \(argument)))"
                )
              ]))
        default:
          break
        }
      case nil:
        break
      }
    }
    return body
  }

  struct VariableRun {
    var local: String
    var field: L4FieldPlan
    var maximum: Int
    var argument: String
  }

  /// Where each plan item starts among the message's items (a capability run is one item per
  /// element), the total, and the variable runs whose lengths come from count words.
  private func itemStarts(_ plan: L4MessagePlan) -> (starts: [String], counts: [String], total: String, variableRuns: [VariableRun]) {
    var fixed = 0
    var variable: [String] = []
    var starts: [String] = []
    var counts: [String] = []
    var runs: [VariableRun] = []
    func expression() -> String {
      (fixed == 0 && !variable.isEmpty ? variable : [String(fixed)] + variable).joined(separator: " + ")
    }
    for item in plan.items {
      starts.append(expression())
      if item.kind == .capabilityRun {
        if item.runIsVariable == true, let field = runCountField(of: item, in: plan) {
          let local = String(item.name.filter { $0.isLetter || $0.isNumber || $0 == "_" }) + "RunCount"
          runs.append(VariableRun(local: local, field: field, maximum: item.runCount ?? 0, argument: item.name))
          variable.append(local)
          counts.append(local)
        } else {
          fixed += item.runCount ?? 0
          counts.append(String(item.runCount ?? 0))
        }
      } else {
        fixed += 1
        counts.append("1")
      }
    }
    return (starts, counts, expression(), runs)
  }

  /// What holds a field: the message's words, or the overflow bytes.
  func target(_ field: L4FieldPlan) -> String { field.area == .overflow ? "overflow" : "message" }

  private func runCountField(of item: L4ItemPlan, in plan: L4MessagePlan) -> L4FieldPlan? {
    if let index = item.countField, plan.fields.indices.contains(index) { return plan.fields[index] }
    return plan.fields.first { $0.role == .runCount && $0.parent == item.name }
  }

  func scalarFrom(_ bits: String, _ scalar: ScalarType, _ argument: String) -> String {
    switch scalar.kind {
    case .integer: "\(scalar.swiftName)(truncatingIfNeeded: \(bits))"
    case .boolean: "try \(wire).bool(\(bits), \(argument))"
    case .float:
      scalar.bytes == 4
        ? "Swift.Float(bitPattern: Swift.UInt32(truncatingIfNeeded: \(bits)))" : "Swift.Double(bitPattern: \(bits))"
    }
  }
}
