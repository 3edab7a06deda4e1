import HurdIDLSource

extension Parser {
  mutating func parseTypeSpec() throws(ParseFailure) -> TypeSpec {
    productions.record(.typeSpec)
    try enterNested()
    defer { leaveNested() }
    let token = peek()
    let start = token.location
    switch token.kind {
    case .number, .msgTypeName, .keyword(.polymorphic):
      let ipc = try parseIPCType()
      return TypeSpec(kind: .ipc(ipc), range: ipc.range)
    case .punctuation("("):
      productions.record(.longFormType)
      advance()
      let ipc = try parseIPCType()
      try expect(",", "after the IPC type name of a long-form type (NAME, size, flags…)")
      let size = try parseIntExpr()
      var flags: [FlagUse] = []
      while peek().isPunctuation(",") {
        advance()
        flags.append(try parseFlagUse())
      }
      try expect(")", "to close the long-form type")
      return TypeSpec(kind: .longForm(ipc: ipc, size: size, flags: flags), range: range(from: start))
    case .identifier:
      if let failure = foreignTypeConstructor(token) { throw failure }
      productions.record(.typeReference)
      advance()
      return TypeSpec(kind: .reference(Identifier(token.text, range: token.range)), range: token.range)
    case .keyword(.array):
      productions.record(.arrayType)
      advance()
      try expect("[", "after 'array'")
      productions.record(.arrayBound)
      let bound: ArrayBound
      if peek().isPunctuation("]") {
        bound = .unspecified
      } else if peek().isPunctuation("*") {
        advance()
        if peek().isPunctuation(":") {
          advance()
          bound = .bounded(try parseIntExpr())
        } else {
          bound = .star
        }
      } else {
        bound = .fixed(try parseIntExpr())
      }
      try expect("]", "to close the array bound")
      try expectOf("array[…]")
      let element = try parseTypeSpec()
      return TypeSpec(kind: .array(bound: bound, element: element), range: range(from: start))
    case .keyword(.struct):
      advance()
      if peek().isPunctuation("[") {
        productions.record(.structArrayType)
        advance()
        let count = try parseIntExpr()
        try expect("]", "to close the struct count")
        try expectOf("struct[…]")
        let element = try parseTypeSpec()
        return TypeSpec(kind: .structArray(count: count, element: element), range: range(from: start))
      }
      guard peek().isPunctuation("{") else { throw expected("'[' or '{' after 'struct'") }
      productions.record(.structType)
      advance()
      let members = try parseStructMembers()
      return TypeSpec(kind: .structure(members: members), range: range(from: start))
    case .punctuation("^"):
      productions.record(.outOfLineType)
      advance()
      let element = try parseTypeSpec()
      return TypeSpec(kind: .outOfLine(element), range: range(from: start))
    case .keyword(.cString):
      productions.record(.cStringType)
      advance()
      try expect("[", "after 'c_string'")
      let bound: CStringBound
      if peek().isPunctuation("*") {
        advance()
        try expect(":", "after 'c_string[*' (write c_string[*:N])")
        bound = .variable(try parseIntExpr())
      } else {
        bound = .fixed(try parseIntExpr())
      }
      try expect("]", "to close the c_string bound")
      return TypeSpec(kind: .cString(bound), range: range(from: start))
    default:
      throw expected("a type specification")
    }
  }

  private mutating func expectOf(_ what: String) throws(ParseFailure) {
    guard peek().keyword == .of else { throw expected("'of' after '\(what)'") }
    advance()
  }

  /// Members up to and including `}`; an error in one member skips to its `;`.
  private mutating func parseStructMembers() throws(ParseFailure) -> [StructMember] {
    if peek().isPunctuation("}") {
      throw error(.emptyStruct, "a struct needs at least one member", at: peek().location)
    }
    var members: [StructMember] = []
    var failed = false
    while !peek().isPunctuation("}") {
      let before = consumedCount
      do throws(ParseFailure) {
        productions.record(.structMember)
        let start = peek().location
        let type = try expectIdentifier("a member type name (or '}' to end the struct)")
        let name = try expectIdentifier("a member name")
        try expect(";", "after the struct member")
        members.append(StructMember(type: type, name: name, range: range(from: start)))
      } catch {
        failed = true
        skipWithinList(closer: "}")
        if isSynchronisationPoint(peek()) { throw ParseFailure() }
        if peek().isPunctuation(";") { advance() }
      }
      if consumedCount == before { throw expected("'}' to close the struct") }
    }
    advance()
    if failed { throw ParseFailure() }
    return members
  }

  /// `prim-ipc [ "|" prim-ipc ]`
  mutating func parseIPCType() throws(ParseFailure) -> IPCType {
    productions.record(.ipcType)
    let send = try parsePrimIPC()
    var receive: IPCName?
    if peek().isPunctuation("|") {
      advance()
      receive = try parsePrimIPC()
    }
    return IPCType(send: send, receive: receive, range: range(from: send.range.start))
  }

  private mutating func parsePrimIPC() throws(ParseFailure) -> IPCName {
    productions.record(.primIPC)
    let token = peek()
    let kind: IPCName.Kind
    switch token.kind {
    case .number(let value): kind = .number(value)
    case .msgTypeName(let name): kind = .msgType(name)
    case .keyword(.polymorphic): kind = .polymorphic
    default: throw expected("an IPC type name (a number, MACH_MSG_TYPE_… or 'polymorphic')")
    }
    advance()
    return IPCName(kind: kind, range: token.range)
  }
}
