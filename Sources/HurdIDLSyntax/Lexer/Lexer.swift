public import HurdIDLSource

extension DiagnosticCode {
  /// A character that is no MIG token (stray punctuation, binary garbage); one per run.
  public static let illegalCharacter: DiagnosticCode = "illegal-character"
  /// A string or character literal where MIG expects none.
  public static let unexpectedLiteral: DiagnosticCode = "unexpected-literal"
  /// A number that does not fit in 32 bits.
  public static let numberTooLarge: DiagnosticCode = "number-too-large"
  /// A preprocessing number that is no MIG number (`1.5`, `12ab`, `1e3`).
  public static let invalidNumber: DiagnosticCode = "invalid-number"
  /// Note: a hexadecimal number (an hurdidl extension; GNU MIG reads decimal only).
  public static let hexadecimalNumber: DiagnosticCode = "hexadecimal-number"
  /// `import <…` without the closing `>` on the same line.
  public static let unterminatedFileName: DiagnosticCode = "unterminated-file-name"
}

/// Turns preprocessing tokens into MIG tokens.
///
/// The default mode yields identifiers, keywords (case-insensitive), `MACH_MSG_TYPE_*` names
/// (case-sensitive), numbers and punctuation. Three operands have their own lexical class and are
/// requested by the parser right after the keyword that introduces them (see
/// ``nextOptionString(diagnostics:)``, ``nextFileName(diagnostics:)``, ``nextQuotedString()``).
public struct Lexer: Sendable {
  private let tokens: [PPToken]
  private var index = 0
  private let endLocation: SourceLocation
  private(set) var productions: ProductionRecorder

  /// `fallbackLocation` positions the end-of-file token when there are no tokens at all.
  public init(
    tokens: [PPToken], recordsProductions: Bool = false,
    fallbackLocation: SourceLocation = SourceLocation(buffer: BufferID(rawValue: 0), line: 1, column: 1)
  ) {
    self.tokens = Self.splittingPunctuators(tokens)
    self.endLocation = tokens.last?.range.end ?? fallbackLocation
    self.productions = ProductionRecorder(isEnabled: recordsProductions)
  }

  /// The single characters MIG's grammar knows as punctuation.
  static let punctuation: Set<Character> = [
    ":", ";", ",", "+", "-", "*", "/", "(", ")", "=", "^", "~", "<", ">", "[", "]", "{", "}", "|",
  ]

  /// C punctuators made only of MIG punctuation (`||`, `->`, `*=`) become one token per
  /// character, as GNU MIG's character-at-a-time lexer sees them.
  private static func splittingPunctuators(_ tokens: [PPToken]) -> [PPToken] {
    guard tokens.contains(where: { $0.kind == .punctuator && $0.text.utf8.count > 1 }) else { return tokens }
    var result: [PPToken] = []
    result.reserveCapacity(tokens.count)
    for token in tokens {
      guard token.kind == .punctuator, token.text.count > 1, token.text.allSatisfy(punctuation.contains) else {
        result.append(token)
        continue
      }
      for (offset, character) in token.text.enumerated() {
        var piece = token
        piece.text = String(character)
        piece.location.column += Int32(offset)
        if offset > 0 {
          piece.hasLeadingSpace = false
          piece.isAtStartOfLine = false
        }
        result.append(piece)
      }
    }
    return result
  }

  public var endOfFile: Token {
    Token(kind: .endOfFile, text: "", range: SourceRange(endLocation), isAtStartOfLine: true)
  }

  // MARK: Default mode

  /// The next token; reports (and skips) illegal characters and misplaced literals.
  public mutating func next(diagnostics: inout DiagnosticBag) -> Token {
    while index < tokens.count {
      let pp = tokens[index]
      switch pp.kind {
      case .identifier:
        index += 1
        return identifierToken(pp, diagnostics: &diagnostics)
      case .number:
        index += 1
        return numberToken(pp, diagnostics: &diagnostics)
      case .punctuator where pp.text.count == 1 && Self.punctuation.contains(pp.text.first!):
        index += 1
        return Token(
          kind: .punctuation(pp.text.first!), text: pp.text, range: pp.range, isAtStartOfLine: pp.isAtStartOfLine)
      case .stringLiteral, .characterLiteral, .headerName:
        index += 1
        let what = pp.kind == .characterLiteral ? "character literal" : "string"
        diagnostics.error(
          .unexpectedLiteral, "unexpected \(what) \(pp.text); MIG accepts quoted text only after import and rcsid",
          at: pp.location)
      case .punctuator, .other:
        skipIllegalRun(diagnostics: &diagnostics)
      }
    }
    return endOfFile
  }

  private func isIllegal(_ pp: PPToken) -> Bool {
    switch pp.kind {
    case .other: true
    case .punctuator: !(pp.text.count == 1 && Self.punctuation.contains(pp.text.first!))
    default: false
    }
  }

  /// Reports one error for a run of adjacent illegal tokens (binary garbage gives one message, not
  /// one per byte) and skips it.
  private mutating func skipIllegalRun(diagnostics: inout DiagnosticBag) {
    let first = tokens[index]
    var count = 0
    while index < tokens.count, isIllegal(tokens[index]) {
      count += tokens[index].text.unicodeScalars.count
      index += 1
    }
    let shown = first.text.unicodeScalars.first.map(Self.escaped) ?? "?"
    let more = count > 1 ? " (and \(count - 1) more illegal character\(count == 2 ? "" : "s") after it)" : ""
    diagnostics.error(.illegalCharacter, "illegal character '\(shown)' in MIG text\(more)", at: first.location)
  }

  private static func escaped(_ scalar: Unicode.Scalar) -> String {
    if scalar.isASCII, scalar.value >= 0x20, scalar.value < 0x7F { return String(scalar) }
    if scalar == "\u{FFFD}" { return "\\x??" }  // an invalid UTF-8 byte
    return "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
  }

  private mutating func identifierToken(_ pp: PPToken, diagnostics: inout DiagnosticBag) -> Token {
    if let keyword = Keyword(spelling: pp.text) {
      return Token(kind: .keyword(keyword), text: pp.text, range: pp.range, isAtStartOfLine: pp.isAtStartOfLine)
    }
    if pp.text.hasPrefix("MACH_MSG_TYPE_"), let name = MsgTypeName(rawValue: pp.text) {
      productions.record(.msgTypeName)
      return Token(kind: .msgTypeName(name), text: pp.text, range: pp.range, isAtStartOfLine: pp.isAtStartOfLine)
    }
    if let dollar = pp.text.utf8.firstIndex(of: UInt8(ascii: "$")) {
      var location = pp.location
      location.column += Int32(pp.text.utf8.distance(from: pp.text.utf8.startIndex, to: dollar))
      diagnostics.error(.illegalCharacter, "illegal character '$' in identifier '\(pp.text)'", at: location)
    }
    productions.record(.identifier)
    return Token(kind: .identifier, text: pp.text, range: pp.range, isAtStartOfLine: pp.isAtStartOfLine)
  }

  private mutating func numberToken(_ pp: PPToken, diagnostics: inout DiagnosticBag) -> Token {
    var digits = Substring(pp.text)
    var radix: UInt32 = 10
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
      radix = 16
      digits = digits.dropFirst(2)
    }
    var value: UInt32 = 0
    var overflow = false
    var valid = !digits.isEmpty
    for character in digits {
      guard let digit = character.hexDigitValue, UInt32(digit) < radix else {
        valid = false
        break
      }
      let (shifted, o1) = value.multipliedReportingOverflow(by: radix)
      let (sum, o2) = shifted.addingReportingOverflow(UInt32(digit))
      overflow = overflow || o1 || o2
      value = sum
    }
    let make = { (value: UInt32) in
      Token(kind: .number(value), text: pp.text, range: pp.range, isAtStartOfLine: pp.isAtStartOfLine)
    }
    guard valid else {
      diagnostics.error(.invalidNumber, "invalid number '\(pp.text)'; MIG numbers are decimal integers", at: pp.location)
      return make(0)
    }
    productions.record(.number)
    if radix == 16 {
      productions.record(.hexNumber)
      diagnostics.note(
        .hexadecimalNumber, "hexadecimal number '\(pp.text)' is an hurdidl extension; GNU MIG reads decimal only",
        at: pp.location)
    } else {
      productions.record(.decimalNumber)
    }
    if overflow {
      diagnostics.error(
        .numberTooLarge, "number '\(pp.text)' does not fit in 32 bits (the largest is 4294967295)", at: pp.location)
      return make(UInt32.max)
    }
    return make(value)
  }

  // MARK: Context-dependent operands

  private static func isOptionStringCharacter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
      UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "."),
      UInt8(ascii: "_"), UInt8(ascii: "$"):
      true
    default: false
    }
  }

  private func isOptionStringPiece(_ pp: PPToken) -> Bool {
    pp.kind != .stringLiteral && pp.kind != .characterLiteral && !pp.text.isEmpty
      && pp.text.utf8.allSatisfy(Self.isOptionStringCharacter)
  }

  /// The operand of `waittime`/`msgoption` (`[-/._$A-Za-z0-9]+`), glued from adjacent
  /// preprocessing tokens with no space between them (`-1` arrives as `-` and `1`). Returns `nil`
  /// without consuming anything when the next token cannot start one.
  public mutating func nextOptionString() -> Token? {
    guard index < tokens.count, isOptionStringPiece(tokens[index]) else { return nil }
    let first = tokens[index]
    var text = first.text
    var end = first.range.end
    index += 1
    while index < tokens.count, !tokens[index].hasLeadingSpace, !tokens[index].isAtStartOfLine,
      isOptionStringPiece(tokens[index])
    {
      text += tokens[index].text
      end = tokens[index].range.end
      index += 1
    }
    productions.record(.optionString)
    return Token(
      kind: .optionString, text: text, range: SourceRange(start: first.location, end: end),
      isAtStartOfLine: first.isAtStartOfLine)
  }

  /// The operand of `import`/`uimport`/`simport`: a string literal `"…"`, or `<…>` rebuilt from
  /// the tokens up to `>` on the same line (one space where the source had whitespace).
  /// Returns `nil` without consuming anything when the next token cannot start one.
  public mutating func nextFileName(diagnostics: inout DiagnosticBag) -> Token? {
    guard index < tokens.count else { return nil }
    let first = tokens[index]
    if first.kind == .stringLiteral || first.kind == .headerName {
      index += 1
      productions.record(.fileName)
      return Token(kind: .fileName, text: first.text, range: first.range, isAtStartOfLine: first.isAtStartOfLine)
    }
    guard first.kind == .punctuator, first.text == "<" else { return nil }
    index += 1
    var text = "<"
    var end = first.range.end
    while index < tokens.count, !tokens[index].isAtStartOfLine, tokens[index].text != ";" {
      let piece = tokens[index]
      index += 1
      if piece.hasLeadingSpace { text += " " }
      text += piece.text
      end = piece.range.end
      if piece.text == ">" {
        productions.record(.fileName)
        return Token(
          kind: .fileName, text: text, range: SourceRange(start: first.location, end: end),
          isAtStartOfLine: first.isAtStartOfLine)
      }
    }
    diagnostics.error(.unterminatedFileName, "missing '>' at the end of file name '\(text)'", at: end)
    return Token(
      kind: .fileName, text: text + ">", range: SourceRange(start: first.location, end: end),
      isAtStartOfLine: first.isAtStartOfLine)
  }

  /// The operand of `rcsid`: a string literal. Returns `nil` without consuming anything otherwise.
  public mutating func nextQuotedString() -> Token? {
    guard index < tokens.count, tokens[index].kind == .stringLiteral else { return nil }
    let pp = tokens[index]
    index += 1
    productions.record(.quotedString)
    return Token(kind: .quotedString, text: pp.text, range: pp.range, isAtStartOfLine: pp.isAtStartOfLine)
  }
}
