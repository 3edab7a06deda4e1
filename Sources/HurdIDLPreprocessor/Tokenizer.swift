public import HurdIDLSource

extension DiagnosticCode {
  public static let unterminatedComment: DiagnosticCode = "unterminated-comment"
  public static let unterminatedLiteral: DiagnosticCode = "unterminated-literal"
  public static let nullCharacter: DiagnosticCode = "null-character"
  public static let backslashNewlineAtEOF: DiagnosticCode = "backslash-newline-at-eof"
}

/// Splits one buffer into C preprocessing tokens (C90 rules plus `//` comments and `$` in
/// identifiers, as GCC accepts them). Comments become whitespace, backslash-newline splices are
/// removed wherever they occur, and every token keeps its physical line and column.
///
/// The preprocessor drives it token by token; ``nextHeaderName()`` and ``restOfLine()`` serve
/// the directives whose operands are not ordinary tokens.
public struct Tokenizer: Sendable {
  private let bytes: [UInt8]
  private let buffer: BufferID
  private var position = 0
  private var line: Int32 = 1
  private var column: Int32 = 1
  private var atStartOfLine = true
  private var lookahead: PPToken?
  /// Counts splices removed so far; a token whose span saw none is a plain slice of `bytes`.
  private var spliceCount = 0
  public private(set) var diagnostics: [Diagnostic] = []
  /// Inside a group skipped by `#if`: unterminated quotes are not reported (GCC does the same,
  /// so that apostrophes in skipped prose do no harm).
  public var isSkipping = false

  public init(buffer: SourceBuffer) {
    self.init(bytes: buffer.bytes, buffer: buffer.id)
  }

  /// Tokenizes bytes that need no line table (token pasting, command-line text).
  public init(bytes: [UInt8], buffer: BufferID) {
    self.bytes = bytes
    self.buffer = buffer
    skipSplices()
  }

  /// True when diagnostics are waiting to be collected with ``takeDiagnostics()``.
  public var hasDiagnostics: Bool { !diagnostics.isEmpty }

  /// Returns the diagnostics reported so far and forgets them.
  public mutating func takeDiagnostics() -> [Diagnostic] {
    defer { diagnostics = [] }
    return diagnostics
  }

  /// True once every byte has been consumed (and no token is waiting).
  public var isAtEnd: Bool { lookahead == nil && position >= bytes.count }

  /// Tokenizes a whole buffer, ignoring directives (for tools and tests that want raw tokens).
  public static func tokenize(_ buffer: SourceBuffer) -> (tokens: [PPToken], diagnostics: [Diagnostic]) {
    var tokenizer = Tokenizer(buffer: buffer)
    var tokens: [PPToken] = []
    while let token = tokenizer.next() { tokens.append(token) }
    return (tokens, tokenizer.diagnostics)
  }

  // MARK: Cursor over spliced bytes

  private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

  private func peekByte(_ offset: Int = 1) -> UInt8? {
    // Looks past splices so that e.g. `/\<newline>*` still starts a comment.
    var index = position
    var remaining = offset
    while index < bytes.count {
      index += 1
      while index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), isNewlineStart(index + 1) {
        index += newlineLength(index + 1) + 1
      }
      remaining -= 1
      if remaining == 0 { return index < bytes.count ? bytes[index] : nil }
    }
    return nil
  }

  private func isNewlineStart(_ index: Int) -> Bool {
    guard index < bytes.count else { return false }
    if bytes[index] == UInt8(ascii: "\n") { return true }
    return bytes[index] == UInt8(ascii: "\r") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n")
  }

  private func newlineLength(_ index: Int) -> Int { bytes[index] == UInt8(ascii: "\r") ? 2 : 1 }

  private mutating func skipSplices() {
    while position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), isNewlineStart(position + 1) {
      let splice = location
      position += 1 + newlineLength(position + 1)
      line += 1
      column = 1
      spliceCount += 1
      if position == bytes.count {
        diagnostics.append(.warning(.backslashNewlineAtEOF, "backslash-newline at end of file", at: splice))
      }
    }
  }

  private mutating func advance() {
    guard position < bytes.count else { return }
    if bytes[position] == UInt8(ascii: "\n") {
      line += 1
      column = 1
    } else {
      column += 1
    }
    position += 1
    skipSplices()
  }

  private var location: SourceLocation { SourceLocation(buffer: buffer, line: line, column: column) }

  // MARK: Public API

  /// The next token, or `nil` at the end of the buffer. Newlines are not tokens; the first token
  /// of each line has `isAtStartOfLine` set.
  public mutating func next() -> PPToken? {
    if let token = lookahead {
      lookahead = nil
      return token
    }
    return scan()
  }

  /// The next token without consuming it.
  public mutating func peek() -> PPToken? {
    if lookahead == nil { lookahead = scan() }
    return lookahead
  }

  /// The physical line the cursor is on (after a directive: the directive's last line).
  public var currentLine: Int32 { line }

  /// The next token if it is on the current logical line; `nil` at the end of the line, without
  /// moving past the newline. Directives read their operands with it.
  public mutating func nextInLine() -> PPToken? {
    if let token = lookahead {
      if token.isAtStartOfLine { return nil }
      lookahead = nil
      return token
    }
    let spaced = skipBlanks()
    guard let byte = current, byte != UInt8(ascii: "\n") else { return nil }
    var token = scanToken(byte)
    token.hasLeadingSpace = spaced
    atStartOfLine = false
    return token
  }

  /// True when the next token starts a new line (or there is none): a directive has ended.
  public mutating func atEndOfLine() -> Bool {
    guard let token = peek() else { return true }
    return token.isAtStartOfLine
  }

  /// Reads `<…>` or `"…"` as one header-name token if the rest of the current line starts with
  /// one; otherwise returns `nil` and leaves the line to ordinary tokenizing (a computed include).
  public mutating func nextHeaderName() -> PPToken? {
    guard lookahead == nil else { return nil }
    skipHorizontalWhitespace()
    guard let open = current, open == UInt8(ascii: "<") || open == UInt8(ascii: "\"") else { return nil }
    let close = open == UInt8(ascii: "<") ? UInt8(ascii: ">") : UInt8(ascii: "\"")
    let start = location
    var text: [UInt8] = [open]
    advance()
    while let byte = current, byte != UInt8(ascii: "\n") {
      text.append(byte)
      advance()
      if byte == close {
        return PPToken(kind: .headerName, text: String(decoding: text, as: UTF8.self), location: start, hasLeadingSpace: true)
      }
    }
    diagnostics.append(
      .error(.unterminatedLiteral, "missing terminating \(Character(Unicode.Scalar(close))) character", at: start))
    return PPToken(kind: .other, text: String(decoding: text, as: UTF8.self), location: start, hasLeadingSpace: true)
  }

  /// The raw text of the rest of the current line (comments removed, whitespace trimmed), and
  /// moves to the next line. Used by `#error`, `#warning` and for skipping directives.
  public mutating func restOfLine() -> String {
    var text: [UInt8] = []
    if let token = lookahead {
      lookahead = nil
      if token.isAtStartOfLine {
        // The line was already over; keep the token for the caller.
        lookahead = token
        return ""
      }
      text.append(contentsOf: token.text.utf8)
      if token.hasLeadingSpace { text.insert(UInt8(ascii: " "), at: 0) }
    }
    while let byte = current, byte != UInt8(ascii: "\n") {
      if byte == UInt8(ascii: "/"), peekByte() == UInt8(ascii: "*") {
        _ = skipBlockComment()
        text.append(UInt8(ascii: " "))
        continue
      }
      if byte == UInt8(ascii: "/"), peekByte() == UInt8(ascii: "/") {
        while let next = current, next != UInt8(ascii: "\n") { advance() }
        break
      }
      text.append(byte)
      advance()
    }
    atStartOfLine = true
    return String(decoding: text, as: UTF8.self).trimmingSpaces()
  }

  /// Skips the rest of the current line without building tokens (skipped groups, directives
  /// whose operands do not matter). Comments and literals are still honoured, so a `/*` that
  /// spans lines is skipped whole.
  public mutating func skipRestOfLine() {
    if let token = lookahead {
      if token.isAtStartOfLine { return }
      lookahead = nil
    }
    while let byte = current, byte != UInt8(ascii: "\n") {
      switch byte {
      case UInt8(ascii: "/") where peekByte() == UInt8(ascii: "*"):
        _ = skipBlockComment()
      case UInt8(ascii: "/") where peekByte() == UInt8(ascii: "/"):
        while let next = current, next != UInt8(ascii: "\n") { advance() }
      case UInt8(ascii: "'"), UInt8(ascii: "\""):
        _ = scanToken(byte)
      default:
        advance()
      }
    }
    atStartOfLine = true
  }

  /// Skips a run of NUL bytes with one warning, as GCC does ("null character(s) ignored"), so
  /// binary input cannot produce a warning per byte.
  private mutating func skipNullCharacters() {
    diagnostics.append(.warning(.nullCharacter, "null character(s) ignored", at: location))
    while current == 0 { advance() }
  }

  // MARK: Scanning

  private mutating func skipHorizontalWhitespace() {
    while let byte = current, byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == 0x0B || byte == 0x0C || byte == UInt8(ascii: "\r") {
      advance()
    }
  }

  /// Skips `/* … */`; returns false (and reports) when the comment never ends.
  private mutating func skipBlockComment() -> Bool {
    let start = location
    advance()  // '/'
    advance()  // '*'
    while let byte = current {
      if byte == UInt8(ascii: "*"), peekByte() == UInt8(ascii: "/") {
        advance()
        advance()
        return true
      }
      advance()
    }
    diagnostics.append(.error(.unterminatedComment, "unterminated comment", at: start))
    return false
  }

  private mutating func scan() -> PPToken? {
    var leadingSpace = false
    while true {
      if skipBlanks() { leadingSpace = true }
      guard let byte = current else { return nil }
      if byte == UInt8(ascii: "\n") {
        atStartOfLine = true
        leadingSpace = false
        advance()
        continue
      }
      var token = scanToken(byte)
      token.hasLeadingSpace = leadingSpace
      token.isAtStartOfLine = atStartOfLine
      atStartOfLine = false
      return token
    }
  }

  /// Skips blanks, NUL bytes and comments up to the next token or newline (a `//` comment runs to
  /// the newline, which stays); returns whether anything was skipped.
  private mutating func skipBlanks() -> Bool {
    var skipped = false
    while let byte = current {
      switch byte {
      case UInt8(ascii: " "), UInt8(ascii: "\t"), 0x0B, 0x0C, UInt8(ascii: "\r"):
        advance()
      case 0:
        skipNullCharacters()
      case UInt8(ascii: "/") where peekByte() == UInt8(ascii: "*"):
        _ = skipBlockComment()
      case UInt8(ascii: "/") where peekByte() == UInt8(ascii: "/"):
        while let next = current, next != UInt8(ascii: "\n") { advance() }
      default:
        return skipped
      }
      skipped = true
    }
    return skipped
  }

  private static func isIdentifierStart(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
      || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
  }

  private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

  /// The text of the token that started at `offset`: a slice of the buffer, with splices
  /// removed if any were crossed.
  private func spelling(from offset: Int, splicesBefore: Int) -> String {
    if spliceCount == splicesBefore {
      return String(decoding: bytes[offset..<position], as: UTF8.self)
    }
    var text: [UInt8] = []
    var index = offset
    while index < position {
      if bytes[index] == UInt8(ascii: "\\"), isNewlineStart(index + 1) {
        index += 1 + newlineLength(index + 1)
        continue
      }
      text.append(bytes[index])
      index += 1
    }
    return String(decoding: text, as: UTF8.self)
  }

  private mutating func scanToken(_ first: UInt8) -> PPToken {
    let start = location
    let offset = position
    let splicesBefore = spliceCount
    func make(_ kind: PPToken.Kind, _ tokenizer: Tokenizer) -> PPToken {
      PPToken(kind: kind, text: tokenizer.spelling(from: offset, splicesBefore: splicesBefore), location: start)
    }

    if Self.isIdentifierStart(first) {
      while let byte = current, Self.isIdentifierStart(byte) || Self.isDigit(byte) { advance() }
      return make(.identifier, self)
    }
    if Self.isDigit(first) || (first == UInt8(ascii: ".") && peekByte().map(Self.isDigit) == true) {
      // pp-number: digit or .digit, then [0-9A-Za-z_.] and e+ e- E+ E- p+ p- P+ P-.
      var last = first
      advance()
      while let byte = current {
        if byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") {
          guard last == UInt8(ascii: "e") || last == UInt8(ascii: "E") || last == UInt8(ascii: "p") || last == UInt8(ascii: "P")
          else { break }
        } else if !(Self.isIdentifierStart(byte) || Self.isDigit(byte) || byte == UInt8(ascii: ".")) {
          break
        }
        last = byte
        advance()
      }
      return make(.number, self)
    }
    if first == UInt8(ascii: "'") || first == UInt8(ascii: "\"") {
      advance()
      while let byte = current, byte != UInt8(ascii: "\n") {
        advance()
        if byte == UInt8(ascii: "\\"), let escaped = current, escaped != UInt8(ascii: "\n") {
          advance()
        } else if byte == first {
          return make(first == UInt8(ascii: "'") ? .characterLiteral : .stringLiteral, self)
        }
      }
      // GCC passes an unterminated quote through as a single stray token with a warning.
      if !isSkipping {
        diagnostics.append(
          .warning(.unterminatedLiteral, "missing terminating \(Character(Unicode.Scalar(first))) character", at: start))
      }
      return make(.other, self)
    }
    if let length = punctuatorLength(first) {
      for _ in 0..<length { advance() }
      return make(.punctuator, self)
    }
    advance()
    return make(.other, self)
  }

  /// Length of the C punctuator starting here, longest match (no digraphs: GCC's `-ansi` is C90).
  private func punctuatorLength(_ first: UInt8) -> Int? {
    func next(_ offset: Int) -> UInt8? { peekByte(offset) }
    switch first {
    case UInt8(ascii: "."):
      return next(1) == UInt8(ascii: ".") && next(2) == UInt8(ascii: ".") ? 3 : 1
    case UInt8(ascii: "<"), UInt8(ascii: ">"):
      if next(1) == first { return next(2) == UInt8(ascii: "=") ? 3 : 2 }
      return next(1) == UInt8(ascii: "=") ? 2 : 1
    case UInt8(ascii: "-"):
      let second = next(1)
      return second == UInt8(ascii: ">") || second == UInt8(ascii: "-") || second == UInt8(ascii: "=") ? 2 : 1
    case UInt8(ascii: "+"), UInt8(ascii: "&"), UInt8(ascii: "|"):
      let second = next(1)
      return second == first || second == UInt8(ascii: "=") ? 2 : 1
    case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "*"), UInt8(ascii: "/"), UInt8(ascii: "%"), UInt8(ascii: "^"):
      return next(1) == UInt8(ascii: "=") ? 2 : 1
    case UInt8(ascii: "#"):
      return next(1) == UInt8(ascii: "#") ? 2 : 1
    case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "}"),
      UInt8(ascii: "~"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: ","):
      return 1
    default:
      return nil
    }
  }
}

extension String {
  func trimmingSpaces() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
      let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
    else { return "" }
    return String(scalars[first...last])
  }
}
