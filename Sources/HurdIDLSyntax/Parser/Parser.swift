public import HurdIDLSource

extension DiagnosticCode {
  /// Generic "expected X, found Y".
  public static let expectedToken: DiagnosticCode = "expected-token"
  /// A token that cannot start a statement.
  public static let expectedStatement: DiagnosticCode = "expected-statement"
  /// A statement not ended by `;`.
  public static let missingSemicolon: DiagnosticCode = "missing-semicolon"
  /// A reserved word where a name is expected (`routine in(…)`).
  public static let reservedWord: DiagnosticCode = "reserved-word"
  /// An identifier where an IPC flag is expected.
  public static let unknownFlag: DiagnosticCode = "unknown-flag"
  /// `;` right before `)` in an argument list.
  public static let trailingSemicolon: DiagnosticCode = "trailing-semicolon"
  /// `struct { }` without members.
  public static let emptyStruct: DiagnosticCode = "empty-struct"
  /// A type name is expected but a type specification is written (`x: array[4] of int`).
  public static let anonymousInlineType: DiagnosticCode = "anonymous-inline-type"
  /// Type specs or expressions nested deeper than the parser allows.
  public static let nestingTooDeep: DiagnosticCode = "nesting-too-deep"
  /// An Apple-MIG-only construct (`sendtime`, `SecToken`, `PointerTo`, …).
  public static let appleMIGExtension: DiagnosticCode = "apple-mig-extension"
  /// A construct of Mach 2.5 MIG (`procedure`, `function`, `camelotroutine`, …).
  public static let historicConstruct: DiagnosticCode = "historic-construct"
}

/// What to record while parsing.
public struct ParseOptions: Sendable {
  /// Record which grammar productions were entered (for the grammar coverage test).
  public var recordsProductions: Bool
  public init(recordsProductions: Bool = false) {
    self.recordsProductions = recordsProductions
  }
}

/// The outcome of parsing one token stream. Statements that contained a syntax error are left
/// out of `file`; every error is in `diagnostics`.
public struct ParseResult: Sendable {
  public var file: DefsFile
  public var diagnostics: [Diagnostic]
  /// The productions entered (empty unless ``ParseOptions/recordsProductions``).
  public var enteredProductions: Set<Production>
  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Marks a parse function that gave up; its diagnostic has already been emitted.
struct ParseFailure: Error {}

/// A recursive-descent parser for GNU MIG `.defs` text (after preprocessing). Errors are
/// reported with the offending token's location, and parsing resumes at the next `;` (or `)`
/// inside an argument list, `}` inside a struct), so one run reports many errors.
public struct Parser {
  var lexer: Lexer
  var diagnostics: DiagnosticBag
  var productions: ProductionRecorder
  private var lookahead: Token?
  /// End of the last consumed token: where "expected ';'" points and where ranges end.
  private(set) var previousEnd: SourceLocation
  /// Number of consumed tokens; the loops use it to guarantee progress.
  private(set) var consumedCount = 0
  var nestingDepth = 0
  /// Set while skipping tokens after an error.
  private var isRecovering = false
  static let maximumNesting = 64

  /// Parses a whole token stream (the preprocessor's output, or `Tokenizer.tokenize` of
  /// directive-free text).
  public static func parse(tokens: [PPToken], options: ParseOptions = ParseOptions()) -> ParseResult {
    var parser = Parser(tokens: tokens, options: options)
    let file = parser.parseFile()
    var entered = parser.productions
    entered.merge(parser.lexer.productions)
    return ParseResult(file: file, diagnostics: parser.diagnostics.diagnostics, enteredProductions: entered.entered)
  }

  init(tokens: [PPToken], options: ParseOptions) {
    lexer = Lexer(tokens: tokens, recordsProductions: options.recordsProductions)
    diagnostics = DiagnosticBag()
    productions = ProductionRecorder(isEnabled: options.recordsProductions)
    previousEnd = tokens.first?.location ?? lexer.endOfFile.location
  }

  // MARK: Token access

  mutating func peek() -> Token {
    if let token = lookahead { return token }
    let token: Token
    if isRecovering {
      // Text skipped after an error is not diagnosed again (no cascades of illegal characters).
      var scratch = DiagnosticBag()
      token = lexer.next(diagnostics: &scratch)
    } else {
      token = lexer.next(diagnostics: &diagnostics)
    }
    lookahead = token
    return token
  }

  /// The token after the next one, without consuming anything (diagnostics of that token are
  /// reported when it is really read).
  mutating func peekSecond() -> Token {
    _ = peek()
    var copy = lexer
    var scratch = DiagnosticBag()
    return copy.next(diagnostics: &scratch)
  }

  @discardableResult
  mutating func advance() -> Token {
    let token = peek()
    lookahead = nil
    if token.kind != .endOfFile {
      previousEnd = token.range.end
      consumedCount += 1
    }
    return token
  }

  /// Hands the lexer to a context-dependent operand reader. Meant to be called right after
  /// `advance()`; if a token was already peeked the operand is treated as missing (the caller
  /// then reports that token), so a misuse degrades to a diagnostic instead of a trap.
  mutating func readOperand(_ read: (inout Lexer, inout DiagnosticBag) -> Token?) -> Token? {
    guard lookahead == nil, let token = read(&lexer, &diagnostics) else { return nil }
    previousEnd = token.range.end
    consumedCount += 1
    return token
  }

  func range(from start: SourceLocation) -> SourceRange {
    SourceRange(start: start, end: previousEnd)
  }

  // MARK: Reporting

  mutating func error(
    _ code: DiagnosticCode, _ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []
  ) -> ParseFailure {
    diagnostics.error(code, message, at: location, notes: notes)
    return ParseFailure()
  }

  mutating func expected(_ what: String) -> ParseFailure {
    let found = peek()
    return error(.expectedToken, "expected \(what), found \(found.quotedDescription)", at: found.location)
  }

  // MARK: Expectations

  @discardableResult
  mutating func expect(_ character: Character, _ context: String) throws(ParseFailure) -> Token {
    if peek().isPunctuation(character) { return advance() }
    throw expected("'\(character)' \(context)")
  }

  /// A name; a reserved word gets its own message because it is the usual mistake.
  mutating func expectIdentifier(_ role: String) throws(ParseFailure) -> Identifier {
    let token = peek()
    switch token.kind {
    case .identifier:
      advance()
      return Identifier(token.text, range: token.range)
    case .keyword:
      throw error(
        .reservedWord, "expected \(role), found keyword '\(token.text)' (reserved words cannot be used as names)",
        at: token.location)
    default:
      throw expected(role)
    }
  }

  /// The `;` ending a statement. When it is missing and the next token plainly starts a new
  /// statement on a new line (or the file ends), the error points after the previous token and
  /// parsing goes on as if the `;` were there.
  mutating func expectSemicolon(after what: String) throws(ParseFailure) {
    let token = peek()
    if token.isPunctuation(";") {
      advance()
      return
    }
    let message = "expected ';' after \(what), found \(token.quotedDescription)"
    if token.kind == .endOfFile || (token.isAtStartOfLine && token.keyword?.startsStatement == true) {
      diagnostics.error(.missingSemicolon, message, at: previousEnd)
      return
    }
    throw error(.missingSemicolon, message, at: token.location)
  }

  /// Guards recursion in type specs and expressions so hostile input cannot exhaust the stack.
  mutating func enterNested() throws(ParseFailure) {
    nestingDepth += 1
    if nestingDepth > Self.maximumNesting {
      // The caller's `defer { leaveNested() }` is not registered when this throws.
      nestingDepth -= 1
      throw error(
        .nestingTooDeep, "type or expression nested more than \(Self.maximumNesting) levels deep",
        at: peek().location)
    }
  }

  mutating func leaveNested() { nestingDepth -= 1 }

  // MARK: Recovery

  /// True for a token where a new statement plainly begins.
  mutating func isSynchronisationPoint(_ token: Token) -> Bool {
    if token.kind == .endOfFile { return true }
    guard token.isAtStartOfLine, let keyword = token.keyword else { return false }
    // `waittime`/`msgoption` also start arguments, so they do not end an argument list.
    return keyword.startsStatement && keyword != .waitTime && keyword != .msgOption
  }

  /// Skips to just after the next `;` (or to a statement keyword at the start of a line).
  mutating func skipToStatementEnd() {
    isRecovering = true
    defer { isRecovering = false }
    while true {
      let token = peek()
      if token.isPunctuation(";") {
        advance()
        return
      }
      if isSynchronisationPoint(token) { return }
      advance()
    }
  }

  /// Skips to the next `;` or `closer` that is not nested in brackets, without consuming it; stops
  /// early at a synchronisation point.
  mutating func skipWithinList(closer: Character) {
    isRecovering = true
    defer { isRecovering = false }
    var depth = 0
    while true {
      let token = peek()
      if isSynchronisationPoint(token) { return }
      if depth == 0, token.isPunctuation(";") || token.isPunctuation(closer) { return }
      if token.isPunctuation("(") || token.isPunctuation("{") || token.isPunctuation("[") { depth += 1 }
      if token.isPunctuation(")") || token.isPunctuation("}") || token.isPunctuation("]") { depth = max(0, depth - 1) }
      advance()
    }
  }

  // MARK: File

  mutating func parseFile() -> DefsFile {
    productions.record(.file)
    let start = peek().location
    var statements: [Statement] = []
    while peek().kind != .endOfFile, !diagnostics.isSaturated {
      let before = consumedCount
      do throws(ParseFailure) {
        if let statement = try parseStatement() { statements.append(statement) }
      } catch {
        skipToStatementEnd()
      }
      // Progress guard: every iteration consumes at least one token.
      if consumedCount == before, peek().kind != .endOfFile { advance() }
    }
    return DefsFile(statements: statements, range: SourceRange(start: start, end: previousEnd))
  }
}
