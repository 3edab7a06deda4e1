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
  public private(set) var diagnostics: [Diagnostic] = []

  public init(buffer: SourceBuffer) {
    self.bytes = buffer.bytes
    self.buffer = buffer.id
    skipSplices()
  }

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
      position += 1 + newlineLength(position + 1)
      line += 1
      column = 1
    }
    if position + 1 == bytes.count, bytes[position] == UInt8(ascii: "\\") {
      // A lone backslash at the very end is an ordinary (stray) character.
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
    while let byte = current {
      switch byte {
      case UInt8(ascii: "\n"):
        atStartOfLine = true
        leadingSpace = false
        advance()
      case UInt8(ascii: " "), UInt8(ascii: "\t"), 0x0B, 0x0C, UInt8(ascii: "\r"):
        leadingSpace = true
        advance()
      case 0:
        diagnostics.append(.warning(.nullCharacter, "null character ignored", at: location))
        leadingSpace = true
        advance()
      case UInt8(ascii: "/") where peekByte() == UInt8(ascii: "*"):
        _ = skipBlockComment()
        leadingSpace = true
      case UInt8(ascii: "/") where peekByte() == UInt8(ascii: "/"):
        while let next = current, next != UInt8(ascii: "\n") { advance() }
      default:
        var token = scanToken(byte)
        token.hasLeadingSpace = leadingSpace
        token.isAtStartOfLine = atStartOfLine
        atStartOfLine = false
        return token
      }
    }
    return nil
  }

  private static func isIdentifierStart(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
      || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
  }

  private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

  private mutating func scanToken(_ first: UInt8) -> PPToken {
    let start = location
    var text: [UInt8] = []
    func make(_ kind: PPToken.Kind) -> PPToken {
      PPToken(kind: kind, text: String(decoding: text, as: UTF8.self), location: start)
    }

    if Self.isIdentifierStart(first) {
      while let byte = current, Self.isIdentifierStart(byte) || Self.isDigit(byte) {
        text.append(byte)
        advance()
      }
      return make(.identifier)
    }
    if Self.isDigit(first) || (first == UInt8(ascii: ".") && peekByte().map(Self.isDigit) == true) {
      // pp-number: digit or .digit, then [0-9A-Za-z_.] and e+ e- E+ E- p+ p- P+ P-.
      text.append(first)
      advance()
      while let byte = current {
        if (byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")),
          let last = text.last,
          last == UInt8(ascii: "e") || last == UInt8(ascii: "E") || last == UInt8(ascii: "p") || last == UInt8(ascii: "P")
        {
          text.append(byte)
          advance()
        } else if Self.isIdentifierStart(byte) || Self.isDigit(byte) || byte == UInt8(ascii: ".") {
          text.append(byte)
          advance()
        } else {
          break
        }
      }
      return make(.number)
    }
    if first == UInt8(ascii: "'") || first == UInt8(ascii: "\"") {
      text.append(first)
      advance()
      while let byte = current, byte != UInt8(ascii: "\n") {
        text.append(byte)
        advance()
        if byte == UInt8(ascii: "\\"), let escaped = current, escaped != UInt8(ascii: "\n") {
          text.append(escaped)
          advance()
        } else if byte == first {
          return make(first == UInt8(ascii: "'") ? .characterLiteral : .stringLiteral)
        }
      }
      // GCC passes an unterminated quote through as a single stray character with a warning.
      diagnostics.append(
        .warning(.unterminatedLiteral, "missing terminating \(Character(Unicode.Scalar(first))) character", at: start))
      return make(.other)
    }
    if let punctuator = matchPunctuator() {
      for _ in 0..<punctuator.utf8.count { advance() }
      text.append(contentsOf: punctuator.utf8)
      return make(.punctuator)
    }
    text.append(first)
    advance()
    return make(.other)
  }

  /// C punctuators, longest first (no digraphs: GCC's `-ansi` is C90).
  private static let punctuators: [[UInt8]] = [
    "...", "<<=", ">>=",
    "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "*=", "/=", "%=", "+=", "-=",
    "&=", "^=", "|=", "##",
    "[", "]", "(", ")", "{", "}", ".", "&", "*", "+", "-", "~", "!", "/", "%", "<", ">", "^", "|",
    "?", ":", ";", "=", ",", "#",
  ].map { Array($0.utf8) }

  private func matchPunctuator() -> String? {
    for candidate in Self.punctuators {
      guard candidate[0] == current else { continue }
      var matches = true
      for index in 1..<candidate.count where peekByte(index) != candidate[index] {
        matches = false
        break
      }
      if matches { return String(decoding: candidate, as: UTF8.self) }
    }
    return nil
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
