/// Prints a syntax tree as canonical `.defs` text: one statement per line, keywords in lower
/// case, single spaces, arguments one per line indented by a tab, annotations on their own lines.
/// Parsing the output gives the same tree (up to source ranges); sizes are printed as written.
public struct DefsPrinter: Sendable {
  public init() {}

  public func print(_ file: DefsFile) -> String {
    var out = ""
    for statement in file.statements {
      out += print(statement)
      out += "\n"
    }
    return out
  }

  public func print(_ statement: Statement) -> String {
    switch statement {
    case .subsystem(let node):
      let modifiers = node.modifiers.map { $0.value.rawValue + " " }.joined()
      return "subsystem \(modifiers)\(node.name.name) \(node.base.value);"
    case .nameOption(let node):
      return "\(node.kind.rawValue) \(node.name.name);"
    case .messageOption(let node):
      guard let value = node.value else { return "\(node.kind.rawValue);" }
      return "\(node.kind.rawValue) \(value.value);"
    case .import(let node):
      return "\(node.kind.rawValue) \(node.fileName.value);"
    case .rcsid(let node):
      return "rcsid \(node.string.value);"
    case .type(let node):
      return "type \(print(node, annotationIndent: "\t"));"
    case .routine(let node):
      return print(node)
    case .skip(let node):
      guard let count = node.count else { return "skip;" }
      return "skip \(count.value);"
    case .empty:
      return ";"
    }
  }

  /// `name = spec` followed by the annotations, each on a new line after `annotationIndent`.
  public func print(_ declaration: TypeDecl, annotationIndent: String) -> String {
    var out = "\(declaration.name.name) = \(print(declaration.spec))"
    for annotation in declaration.annotations {
      out += "\n\(annotationIndent)\(print(annotation))"
    }
    return out
  }

  public func print(_ annotation: Annotation) -> String {
    switch annotation.kind {
    case .cType(let type): "ctype: \(type.name)"
    case .cUserType(let type): "cusertype: \(type.name)"
    case .cServerType(let type): "cservertype: \(type.name)"
    case .inTran(let trans, let function, let server): "intran: \(trans.name) \(function.name)(\(server.name))"
    case .inTranPayload(let trans, let function): "intranpayload: \(trans.name) \(function.name)"
    case .outTran(let server, let function, let trans): "outtran: \(server.name) \(function.name)(\(trans.name))"
    case .destructor(let function, let trans): "destructor: \(function.name)(\(trans.name))"
    }
  }

  public func print(_ spec: TypeSpec) -> String {
    switch spec.kind {
    case .ipc(let ipc):
      return print(ipc)
    case .longForm(let ipc, let size, let flags):
      return "(\(print(ipc)), \(print(size))\(flags.map { ", " + print($0) }.joined()))"
    case .reference(let name):
      return name.name
    case .array(let bound, let element):
      let inside =
        switch bound {
        case .unspecified: ""
        case .star: "*"
        case .bounded(let size): "*:\(print(size))"
        case .fixed(let size): print(size)
        }
      return "array[\(inside)] of \(print(element))"
    case .structArray(let count, let element):
      return "struct[\(print(count))] of \(print(element))"
    case .structure(let members):
      return "struct { \(members.map { "\($0.type.name) \($0.name.name); " }.joined())}"
    case .outOfLine(let element):
      return "^\(print(element))"
    case .cString(.fixed(let size)):
      return "c_string[\(print(size))]"
    case .cString(.variable(let size)):
      return "c_string[*:\(print(size))]"
    }
  }

  public func print(_ ipc: IPCType) -> String {
    guard let receive = ipc.receive else { return print(ipc.send) }
    return "\(print(ipc.send))|\(print(receive))"
  }

  public func print(_ name: IPCName) -> String {
    switch name.kind {
    case .number(let value): String(value)
    case .msgType(let type): type.rawValue
    case .polymorphic: "polymorphic"
    }
  }

  /// Operators with spaces, parentheses exactly where the tree has them.
  public func print(_ expression: IntExpr) -> String {
    switch expression.kind {
    case .number(let value): String(value)
    case .binary(let op, let lhs, let rhs):
      "\(operand(lhs, of: op, isRight: false)) \(op.rawValue) \(operand(rhs, of: op, isRight: true))"
    case .parenthesized(let inner): "(\(print(inner)))"
    }
  }

  /// Parsed trees never need extra parentheses (they are `.parenthesized` nodes); trees built
  /// by hand get them where precedence or left-associativity would otherwise change the meaning.
  private func operand(_ expression: IntExpr, of op: IntExpr.Operator, isRight: Bool) -> String {
    guard case .binary(let inner, _, _) = expression.kind else { return print(expression) }
    let binds = { (op: IntExpr.Operator) in op == .multiply || op == .divide ? 2 : 1 }
    let needsParentheses = binds(inner) < binds(op) || (isRight && binds(inner) == binds(op))
    return needsParentheses ? "(\(print(expression)))" : print(expression)
  }

  public func print(_ flag: FlagUse) -> String {
    flag.flag.rawValue + (flag.isVariable ? "[]" : "")
  }

  public func print(_ routine: RoutineDecl) -> String {
    var out = "\(routine.kind.rawValue) \(routine.name.name)("
    for (index, argument) in routine.arguments.enumerated() {
      out += index == 0 ? "\n\t" : ";\n\t"
      out += print(argument)
    }
    return out + ");"
  }

  public func print(_ argument: Argument) -> String {
    var out = argument.direction.map { $0.value.rawValue + " " } ?? ""
    out += "\(argument.name.name): "
    switch argument.type {
    case .reference(let name): out += name.name
    case .inline(let declaration): out += print(declaration, annotationIndent: "\t\t")
    }
    for flag in argument.flags { out += ", " + print(flag) }
    return out
  }
}
