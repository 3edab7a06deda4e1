import HurdIDLSource

extension Parser {
  static let directions: [Keyword: Direction] = [
    .in: .in, .out: .out, .inout: .inout, .requestPort: .requestPort, .replyPort: .replyPort,
    .serverReplyPort: .serverReplyPort, .userReplyPort: .userReplyPort, .waitTime: .waitTime,
    .msgOption: .msgOption, .msgSeqNo: .msgSeqNo,
  ]

  /// `[direction] name ":" arg-type {"," flag-use}`
  mutating func parseArgument() throws(ParseFailure) -> Argument {
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
