import HurdIDLSource

extension Parser {
  /// One statement; `nil` when it was parsed but had errors inside a list that recovered locally.
  mutating func parseStatement() throws(ParseFailure) -> Statement? {
    productions.record(.statement)
    let token = peek()
    switch token.kind {
    case .punctuation(";"):
      productions.record(.emptyStatement)
      advance()
      return .empty(token.range)
    case .keyword(let keyword):
      switch keyword {
      case .subsystem: return .subsystem(try parseSubsystem())
      case .serverPrefix, .userPrefix, .serverDemux, .error: return .nameOption(try parseNameOption(keyword))
      case .waitTime, .msgOption, .noWaitTime: return .messageOption(try parseMessageOption(keyword))
      case .import, .userImport, .serverImport: return .import(try parseImport(keyword))
      case .rcsid: return .rcsid(try parseRCSID())
      case .type: return .type(try parseTypeStatement())
      case .routine, .simpleRoutine: return try parseRoutine(keyword).map(Statement.routine)
      case .skip: return .skip(try parseSkip())
      case .kernelUser, .kernelServer:
        throw error(
          .expectedStatement, "'\(token.text)' must follow 'subsystem' (subsystem \(token.text) name base;)",
          at: token.location)
      default:
        throw error(.expectedStatement, "expected a statement, found \(token.quotedDescription)", at: token.location)
      }
    case .identifier:
      if let failure = foreignStatement(token) { throw failure }
      throw error(.expectedStatement, "expected a statement, found identifier '\(token.text)'", at: token.location)
    default:
      throw error(.expectedStatement, "expected a statement, found \(token.quotedDescription)", at: token.location)
    }
  }

  /// `subsystem {KernelUser|KernelServer} name base;`
  mutating func parseSubsystem() throws(ParseFailure) -> SubsystemDecl {
    productions.record(.subsystemStatement)
    let start = advance().location
    var modifiers: [Located<SubsystemDecl.Modifier>] = []
    while let keyword = peek().keyword, keyword == .kernelUser || keyword == .kernelServer {
      productions.record(.subsystemModifier)
      let token = advance()
      modifiers.append(Located(keyword == .kernelUser ? .kernelUser : .kernelServer, range: token.range))
    }
    let name = try expectIdentifier("the subsystem name")
    let base = try expectNumber("the subsystem's base message id")
    try expectSemicolon(after: "the subsystem declaration")
    return SubsystemDecl(modifiers: modifiers, name: name, base: base, range: range(from: start))
  }

  mutating func expectNumber(_ role: String) throws(ParseFailure) -> NumberLiteral {
    let token = peek()
    guard case .number(let value) = token.kind else { throw expected("\(role) (a number)") }
    advance()
    return NumberLiteral(value, range: token.range)
  }

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

  /// `type name = spec annotations;`
  mutating func parseTypeStatement() throws(ParseFailure) -> TypeDecl {
    productions.record(.typeStatement)
    let start = advance().location
    var declaration = try parseNamedType(name: expectIdentifier("the type name"))
    try expectSemicolon(after: "the type declaration")
    declaration.range = range(from: start)
    return declaration
  }
}
