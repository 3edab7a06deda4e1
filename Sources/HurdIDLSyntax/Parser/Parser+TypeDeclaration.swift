import HurdIDLSource

extension Parser {
  /// `type name = spec annotations;`
  mutating func parseTypeStatement() throws(ParseFailure) -> TypeDecl {
    productions.record(.typeStatement)
    let start = advance().location
    var declaration = try parseNamedType(name: expectIdentifier("the type name"))
    try expectSemicolon(after: "the type declaration")
    declaration.range = range(from: start)
    return declaration
  }

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
}
