import HurdIDLSource

extension Parser {
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
}
