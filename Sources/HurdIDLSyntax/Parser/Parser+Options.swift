import HurdIDLSource

extension Parser {
  /// `serverprefix X;`, `userprefix X;`, `serverdemux X;`, `error X;`
  mutating func parseNameOption(_ keyword: Keyword) throws(ParseFailure) -> NameOption {
    let kind: NameOption.Kind
    switch keyword {
    case .serverPrefix:
      productions.record(.serverPrefixStatement)
      kind = .serverPrefix
    case .userPrefix:
      productions.record(.userPrefixStatement)
      kind = .userPrefix
    case .serverDemux:
      productions.record(.serverDemuxStatement)
      kind = .serverDemux
    default:
      productions.record(.errorStatement)
      kind = .errorProcedure
    }
    let start = advance().location
    let name = try expectIdentifier("a name after '\(kind.rawValue)'")
    try expectSemicolon(after: "the '\(kind.rawValue)' statement")
    return NameOption(kind: kind, name: name, range: range(from: start))
  }

  /// `waittime S;`, `msgoption S;`, `nowaittime;`
  mutating func parseMessageOption(_ keyword: Keyword) throws(ParseFailure) -> MessageOption {
    let keywordToken = advance()
    let start = keywordToken.location
    if keyword == .noWaitTime {
      productions.record(.noWaitTimeStatement)
      try expectSemicolon(after: "'nowaittime'")
      return MessageOption(kind: .noWaitTime, value: nil, range: range(from: start))
    }
    let kind: MessageOption.Kind = keyword == .waitTime ? .waitTime : .msgOption
    productions.record(kind == .waitTime ? .waitTimeStatement : .msgOptionStatement)
    guard let operand = readOperand({ lexer, _ in lexer.nextOptionString() }) else {
      throw expected("a value after '\(keywordToken.text)' (a C expression word made of [-/._$A-Za-z0-9])")
    }
    if peek().isPunctuation("|") {
      // GNU copies the value into C as one word; `A|B` needs a C macro from an imported header.
      throw error(
        .missingSemicolon,
        "expected ';' after the '\(kind.rawValue)' statement, found '|' (the value is one word copied into C; "
          + "define the combination as a macro in a header brought in with 'import')",
        at: peek().location)
    }
    try expectSemicolon(after: "the '\(kind.rawValue)' statement")
    return MessageOption(kind: kind, value: Located(operand.text, range: operand.range), range: range(from: start))
  }

  /// `import "f.h";`, `uimport <f.h>;`, `simport …;`
  mutating func parseImport(_ keyword: Keyword) throws(ParseFailure) -> ImportDecl {
    productions.record(.importStatement)
    let keywordToken = advance()
    let kind: ImportDecl.Kind =
      switch keyword {
      case .userImport: .user
      case .serverImport: .server
      default: .both
      }
    guard let operand = readOperand({ lexer, diagnostics in lexer.nextFileName(diagnostics: &diagnostics) }) else {
      throw expected("a file name in quotes or angle brackets after '\(keywordToken.text)'")
    }
    try expectSemicolon(after: "the '\(kind.rawValue)' statement")
    return ImportDecl(
      kind: kind, fileName: Located(operand.text, range: operand.range), range: range(from: keywordToken.location))
  }

  /// `rcsid "…";`
  mutating func parseRCSID() throws(ParseFailure) -> RCSIDDecl {
    productions.record(.rcsidStatement)
    let keywordToken = advance()
    guard let operand = readOperand({ lexer, _ in lexer.nextQuotedString() }) else {
      throw expected("a quoted string after '\(keywordToken.text)'")
    }
    try expectSemicolon(after: "the 'rcsid' statement")
    return RCSIDDecl(string: Located(operand.text, range: operand.range), range: range(from: keywordToken.location))
  }

  /// `skip;` or `skip N;`
  mutating func parseSkip() throws(ParseFailure) -> SkipDecl {
    productions.record(.skipStatement)
    let start = advance().location
    var count: NumberLiteral?
    let token = peek()
    if case .number(let value) = token.kind {
      advance()
      count = NumberLiteral(value, range: token.range)
    } else if !token.isPunctuation(";"), !isSynchronisationPoint(token) {
      throw expected("a message count or ';' after 'skip'")
    }
    try expectSemicolon(after: "the 'skip' statement")
    return SkipDecl(count: count, range: range(from: start))
  }
}
