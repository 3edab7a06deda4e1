import HurdIDLSource

extension Parser {
  /// `routine name(args);` / `simpleroutine name(args);`. Returns `nil` when an argument had an
  /// error (reported; the list recovered at `;`/`)`), so sema never sees a half-parsed routine.
  mutating func parseRoutine(_ keyword: Keyword) throws(ParseFailure) -> RoutineDecl? {
    productions.record(.routineStatement)
    let keywordToken = advance()
    let kind: RoutineDecl.Kind = keyword == .routine ? .routine : .simpleRoutine
    let name = try expectIdentifier("the \(kind.rawValue) name")
    let (arguments, complete) = try parseArgumentList(of: name)
    try expectSemicolon(after: "the \(kind.rawValue) declaration")
    guard complete else { return nil }
    return RoutineDecl(kind: kind, name: name, arguments: arguments, range: range(from: keywordToken.location))
  }

  /// `"(" [argument {";" argument}] ")"`; `complete` is false when an argument was skipped.
  private mutating func parseArgumentList(of routine: Identifier) throws(ParseFailure) -> ([Argument], complete: Bool) {
    productions.record(.argList)
    let open = try expect("(", "after the routine name '\(routine.name)'")
    var arguments: [Argument] = []
    var complete = true
    if peek().isPunctuation(")") {
      advance()
      return (arguments, true)
    }
    while true {
      var argumentFailed = false
      let next = peek()
      if isSynchronisationPoint(next) {
        // `routine r(a: t;` then end of file or the next statement: the list was never closed.
        throw error(
          .expectedToken,
          "expected an argument or ')' to close the argument list of '\(routine.name)', found \(next.quotedDescription)",
          at: next.kind == .endOfFile ? next.location : previousEnd,
          notes: [.init("the argument list starts here", at: open.location)])
      }
      do throws(ParseFailure) {
        arguments.append(try parseArgument())
      } catch {
        argumentFailed = true
        complete = false
        skipWithinList(closer: ")")
      }
      // At the separator: `;` continues, `)` ends; anything else is reported once and skipped.
      while true {
        let token = peek()
        if token.isPunctuation(";") {
          advance()
          if peek().isPunctuation(")") {
            diagnostics.error(
              .trailingSemicolon, "unexpected ')' after ';': MIG does not allow a ';' after the last argument",
              at: peek().location)
            advance()
            return (arguments, false)
          }
          break
        }
        if token.isPunctuation(")") {
          advance()
          return (arguments, complete)
        }
        let isUnclosed = isSynchronisationPoint(token)
        if !argumentFailed {
          let message =
            isUnclosed
            ? "expected ')' to close the argument list of '\(routine.name)', found \(token.quotedDescription)"
            : "expected ';' or ')' after the argument, found \(token.quotedDescription)"
          diagnostics.error(
            .expectedToken, message, at: isUnclosed && token.kind != .endOfFile ? previousEnd : token.location,
            notes: isUnclosed ? [.init("the argument list starts here", at: open.location)] : [])
        }
        if isUnclosed { throw ParseFailure() }
        complete = false
        argumentFailed = true
        skipWithinList(closer: ")")
      }
    }
  }

  static let directions: [Keyword: Direction] = [
    .in: .in, .out: .out, .inout: .inout, .requestPort: .requestPort, .replyPort: .replyPort,
    .serverReplyPort: .serverReplyPort, .userReplyPort: .userReplyPort, .waitTime: .waitTime,
    .msgOption: .msgOption, .msgSeqNo: .msgSeqNo,
  ]

  /// `[direction] name ":" arg-type {"," flag-use}`
  private mutating func parseArgument() throws(ParseFailure) -> Argument {
    productions.record(.argument)
    let first = peek()
    var direction: Located<Direction>?
    if let keyword = first.keyword, let value = Self.directions[keyword] {
      productions.record(.direction)
      advance()
      direction = Located(value, range: first.range)
    } else if let failure = foreignDirection(first) {
      throw failure
    }
    let name = try expectIdentifier("an argument name")
    try expect(":", "after the argument name '\(name.name)'")
    let type = try parseArgumentType()
    var flags: [FlagUse] = []
    while peek().isPunctuation(",") {
      advance()
      flags.append(try parseFlagUse())
    }
    return Argument(direction: direction, name: name, type: type, flags: flags, range: range(from: first.location))
  }

  /// `ident | named-type`
  private mutating func parseArgumentType() throws(ParseFailure) -> Argument.ArgumentType {
    productions.record(.argType)
    let token = peek()
    switch token.kind {
    case .identifier:
      advance()
      let name = Identifier(token.text, range: token.range)
      if peek().isPunctuation("=") { return .inline(try parseNamedType(name: name)) }
      return .reference(name)
    case .keyword(.array), .keyword(.struct), .keyword(.cString), .keyword(.polymorphic), .punctuation("^"),
      .punctuation("("), .msgTypeName, .number:
      throw error(
        .anonymousInlineType,
        "expected a type name, found \(token.quotedDescription); an inline type needs a name: 'x: name = \(token.text)…'",
        at: token.location)
    default:
      throw expected("a type name")
    }
  }

  static let flags: [Keyword: IPCFlag] = [
    .isLong: .isLong, .isNotLong: .isNotLong, .dealloc: .dealloc, .notDealloc: .notDealloc,
    .serverCopy: .serverCopy, .countInOut: .countInOut, .retCode: .retCode,
  ]

  /// `flag ["[" "]"]`
  mutating func parseFlagUse() throws(ParseFailure) -> FlagUse {
    productions.record(.flagUse)
    let token = peek()
    guard let keyword = token.keyword, let flag = Self.flags[keyword] else {
      if token.kind == .identifier {
        if ForeignConstruct.appleFlags.contains(token.text.lowercased()) { throw appleExtension(token) }
        let known = IPCFlag.allCases.map(\.rawValue).joined(separator: ", ")
        throw error(.unknownFlag, "unknown IPC flag '\(token.text)'; expected one of \(known)", at: token.location)
      }
      throw expected("an IPC flag")
    }
    productions.record(.flag)
    advance()
    var isVariable = false
    if peek().isPunctuation("[") {
      advance()
      try expect("]", "after '\(token.text)[' (write \(token.text)[])")
      isVariable = true
    }
    return FlagUse(flag: flag, isVariable: isVariable, range: range(from: token.location))
  }
}
