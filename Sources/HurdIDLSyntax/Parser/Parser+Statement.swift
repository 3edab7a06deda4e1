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
}
