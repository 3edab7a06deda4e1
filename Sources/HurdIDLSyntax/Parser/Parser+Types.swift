import HurdIDLSource

extension Parser {
  /// `name = type-spec {annotation}` with the name already read.
  mutating func parseNamedType(name: Identifier) throws(ParseFailure) -> TypeDecl {
    productions.record(.namedType)
    try expect("=", "after the type name '\(name.name)'")
    let spec = try parseTypeSpec()
    var annotations: [Annotation] = []
    while let keyword = peek().keyword, Self.annotationKeywords.contains(keyword) {
      annotations.append(try parseAnnotation(keyword))
    }
    return TypeDecl(name: name, spec: spec, annotations: annotations, range: range(from: name.range.start))
  }

  static let annotationKeywords: Set<Keyword> = [
    .cType, .cUserType, .cServerType, .inTran, .inTranPayload, .outTran, .destructor,
  ]

  mutating func parseAnnotation(_ keyword: Keyword) throws(ParseFailure) -> Annotation {
    productions.record(.annotation)
    let keywordToken = advance()
    let word = keywordToken.text
    try expect(":", "after '\(word)'")
    let kind: Annotation.Kind
    switch keyword {
    case .cType: kind = .cType(try expectIdentifier("a C type after '\(word):'"))
    case .cUserType: kind = .cUserType(try expectIdentifier("a C type after '\(word):'"))
    case .cServerType: kind = .cServerType(try expectIdentifier("a C type after '\(word):'"))
    case .inTran:
      let trans = try expectIdentifier("the translated C type after '\(word):'")
      let function = try expectIdentifier("the translation function name")
      try expect("(", "after the translation function name")
      let server = try expectIdentifier("the server C type")
      try expect(")", "after the server C type")
      kind = .inTran(transType: trans, function: function, serverType: server)
    case .inTranPayload:
      let trans = try expectIdentifier("the translated C type after '\(word):'")
      let function = try expectIdentifier("the translation function name")
      kind = .inTranPayload(transType: trans, function: function)
    case .outTran:
      let server = try expectIdentifier("the server C type after '\(word):'")
      let function = try expectIdentifier("the translation function name")
      try expect("(", "after the translation function name")
      let trans = try expectIdentifier("the translated C type")
      try expect(")", "after the translated C type")
      kind = .outTran(serverType: server, function: function, transType: trans)
    default:
      let function = try expectIdentifier("the destructor function name after '\(word):'")
      try expect("(", "after the destructor function name")
      let trans = try expectIdentifier("the translated C type")
      try expect(")", "after the translated C type")
      kind = .destructor(function: function, transType: trans)
    }
    return Annotation(kind: kind, range: range(from: keywordToken.location))
  }

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

  // MARK: Integer expressions

  /// `term {("+"|"-") term}`, left-associative.
  mutating func parseIntExpr() throws(ParseFailure) -> IntExpr {
    productions.record(.intExp)
    var result = try parseTerm()
    while true {
      let token = peek()
      let op: IntExpr.Operator
      if token.isPunctuation("+") {
        op = .add
      } else if token.isPunctuation("-") {
        op = .subtract
      } else {
        return result
      }
      advance()
      let rhs = try parseTerm()
      result = IntExpr(kind: .binary(op, result, rhs), range: SourceRange(start: result.range.start, end: rhs.range.end))
    }
  }

  /// `factor {("*"|"/") factor}`, left-associative.
  private mutating func parseTerm() throws(ParseFailure) -> IntExpr {
    productions.record(.term)
    var result = try parseFactor()
    while true {
      let token = peek()
      let op: IntExpr.Operator
      if token.isPunctuation("*") {
        op = .multiply
      } else if token.isPunctuation("/") {
        op = .divide
      } else {
        return result
      }
      advance()
      let rhs = try parseFactor()
      result = IntExpr(kind: .binary(op, result, rhs), range: SourceRange(start: result.range.start, end: rhs.range.end))
    }
  }

  /// `number | "(" int-exp ")"`
  private mutating func parseFactor() throws(ParseFailure) -> IntExpr {
    productions.record(.factor)
    try enterNested()
    defer { leaveNested() }
    let token = peek()
    switch token.kind {
    case .number(let value):
      advance()
      return IntExpr(kind: .number(value), range: token.range)
    case .punctuation("("):
      advance()
      let inner = try parseIntExpr()
      try expect(")", "to close the parenthesised expression")
      return IntExpr(kind: .parenthesized(inner), range: range(from: token.location))
    case .punctuation("-"):
      throw error(
        .expectedToken, "expected a number or '(', found '-' (sizes are unsigned: there are no negative numbers)",
        at: token.location)
    default:
      throw expected("a number or '('")
    }
  }
}
