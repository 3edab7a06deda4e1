// A small structured representation of the Swift the emitter writes, and its text renderer.
// Translators build these values; all formatting (indentation, blank lines, doc comments) lives in
// `SwiftRenderer`, so output is deterministic and the translation can be tested as data.

/// One node of generated Swift: a line, a comment, or a braced block whose body is indented.
public indirect enum SwiftNode: Hashable, Sendable {
  /// One line of code, rendered at the current indentation.
  case line(String)
  /// An empty line (consecutive blanks collapse into one; none at the start or end of a block).
  case blank
  /// `/// …` lines.
  case doc([String])
  /// `// …` lines.
  case comment([String])
  /// `opening` (one or more lines) at the current indentation, then `body` indented by one
  /// level, then `closing`.
  case block(opening: String, body: [SwiftNode], closing: String)
  /// A `case …:` / `default:` label inside a `switch` block: at the switch's indentation, body
  /// indented.
  case caseLabel(String, body: [SwiftNode])
  /// `do {` body `} catch {` handler `}`.
  case doCatch(body: [SwiftNode], handler: [SwiftNode])
  /// `do throws(T) {` body `} catch {` handler `}`: inside closures, where Swift does not infer a
  /// `do` block's thrown type.
  case typedDoCatch(thrownType: String, body: [SwiftNode], handler: [SwiftNode])
  /// `if condition {` then `} else {` otherwise `}`.
  case ifElse(condition: String, then: [SwiftNode], otherwise: [SwiftNode])
  /// A function: doc comment, signature (wrapped when long), body (none for a requirement).
  case function(SwiftFunction)

  /// `opening {` … `}`.
  public static func braces(_ opening: String, _ body: [SwiftNode]) -> SwiftNode {
    .block(opening: opening + " {", body: body, closing: "}")
  }
}

/// A function declaration (also protocol requirements, with `body == nil`).
public struct SwiftFunction: Hashable, Sendable {
  public struct Parameter: Hashable, Sendable {
    /// Argument label; `_` for none; nil when the label is the name.
    public var label: String?
    public var name: String
    public var type: String
    public var defaultValue: String?

    public init(label: String? = nil, name: String, type: String, defaultValue: String? = nil) {
      self.label = label
      self.name = name
      self.type = type
      self.defaultValue = defaultValue
    }

    var rendered: String {
      var text = label.map { "\($0) \(name)" } ?? name
      text += ": \(type)"
      if let defaultValue { text += " = \(defaultValue)" }
      return text
    }
  }

  public var documentation: [String]
  public var attributes: [String]
  /// `public`, `package`, … or empty.
  public var modifiers: [String]
  public var name: String
  public var parameters: [Parameter]
  public var isAsync: Bool
  /// The thrown type for `throws(T)`; nil for a non-throwing function.
  public var thrownType: String?
  public var returnType: String?
  public var body: [SwiftNode]?

  public init(
    documentation: [String] = [], attributes: [String] = [], modifiers: [String] = [], name: String,
    parameters: [Parameter] = [], isAsync: Bool = false, thrownType: String? = nil, returnType: String? = nil,
    body: [SwiftNode]?
  ) {
    self.documentation = documentation
    self.attributes = attributes
    self.modifiers = modifiers
    self.name = name
    self.parameters = parameters
    self.isAsync = isAsync
    self.thrownType = thrownType
    self.returnType = returnType
    self.body = body
  }

  /// The signature, one line up to 100 columns, else one parameter per line.
  func signatureLines(indentation: Int) -> [String] {
    var head = (attributes + modifiers + ["func"]).joined(separator: " ") + " " + name
    var effects = ""
    if isAsync { effects += " async" }
    if let thrownType { effects += " throws(\(thrownType))" }
    if let returnType { effects += " -> \(returnType)" }
    let opening = body == nil ? "" : " {"
    let oneLine = head + "(" + parameters.map(\.rendered).joined(separator: ", ") + ")" + effects + opening
    if oneLine.count + indentation <= 100 || parameters.isEmpty { return [oneLine] }
    head += "("
    var lines = [head]
    for (index, parameter) in parameters.enumerated() {
      lines.append("  " + parameter.rendered + (index == parameters.count - 1 ? "" : ","))
    }
    lines.append(")" + effects + opening)
    return lines
  }

}

/// Renders nodes as Swift text: two-space indentation, LF line ends, one trailing newline.
public struct SwiftRenderer: Sendable {
  public init() {}

  public func render(_ nodes: [SwiftNode]) -> String {
    var lines: [String] = []
    append(nodes, indentation: 0, to: &lines)
    while lines.last == "" { lines.removeLast() }
    return lines.joined(separator: "\n") + "\n"
  }

  private func append(_ nodes: [SwiftNode], indentation: Int, to lines: inout [String]) {
    let pad = String(repeating: " ", count: indentation)
    let blockStart = lines.count
    for node in nodes {
      switch node {
      case .line(let text):
        lines.append(text.isEmpty ? "" : pad + text)
      case .blank:
        if lines.count > blockStart, lines.last != "" { lines.append("") }
      case .doc(let text):
        for line in text { lines.append(line.isEmpty ? pad + "///" : pad + "/// " + line) }
      case .comment(let text):
        for line in text { lines.append(line.isEmpty ? pad + "//" : pad + "// " + line) }
      case .block(let opening, let body, let closing):
        // A multi-line opening (a wrapped `guard`) keeps its own relative indentation.
        for part in opening.split(separator: "\n", omittingEmptySubsequences: false) { lines.append(pad + part) }
        append(body, indentation: indentation + 2, to: &lines)
        while lines.count > blockStart, lines.last == "" { lines.removeLast() }
        lines.append(pad + closing)
      case .caseLabel(let label, let body):
        lines.append(String(pad.dropFirst(2)) + label)
        append(body, indentation: indentation, to: &lines)
      case .doCatch(let body, let handler):
        appendTwoBlocks(pad + "do {", body, pad + "} catch {", handler, indentation: indentation, to: &lines)
      case .typedDoCatch(let thrownType, let body, let handler):
        appendTwoBlocks(
          pad + "do throws(\(thrownType)) {", body, pad + "} catch {", handler, indentation: indentation, to: &lines)
      case .ifElse(let condition, let then, let otherwise):
        appendTwoBlocks(pad + "if \(condition) {", then, pad + "} else {", otherwise, indentation: indentation, to: &lines)
      case .function(let function):
        for line in function.documentation { lines.append(line.isEmpty ? pad + "///" : pad + "/// " + line) }
        for line in function.signatureLines(indentation: indentation) { lines.append(pad + line) }
        if let body = function.body {
          append(body, indentation: indentation + 2, to: &lines)
          lines.append(pad + "}")
        }
      }
    }
    while lines.count > blockStart, lines.last == "" { lines.removeLast() }
  }

  /// `first` body `second` body `}` (`do`/`catch`, `if`/`else`).
  private func appendTwoBlocks(
    _ first: String, _ firstBody: [SwiftNode], _ second: String, _ secondBody: [SwiftNode], indentation: Int,
    to lines: inout [String]
  ) {
    lines.append(first)
    append(firstBody, indentation: indentation + 2, to: &lines)
    lines.append(second)
    append(secondBody, indentation: indentation + 2, to: &lines)
    lines.append(String(repeating: " ", count: indentation) + "}")
  }
}
