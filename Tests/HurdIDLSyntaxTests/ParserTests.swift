import HurdIDLSource
import HurdIDLSyntax
import Testing

@Suite struct ParserTests {
  private func clean(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> DefsFile {
    let parsed = parseText(text)
    #expect(parsed.errors.isEmpty, "\(parsed.summary)", sourceLocation: sourceLocation)
    return parsed.file
  }

  private func types(_ file: DefsFile) -> [String: TypeDecl] {
    var result: [String: TypeDecl] = [:]
    for case .type(let declaration) in file.statements { result[declaration.name.name] = declaration }
    return result
  }

  private func number(_ value: UInt32) -> IntExpr { IntExpr(kind: .number(value), range: .stripped) }
  private func name(_ text: String) -> Identifier { Identifier(text, range: .stripped) }

  @Test func subsystemWithModifiers() throws {
    let file = clean(Samples.subsystem)
    guard case .subsystem(let node) = try #require(file.statements.first) else {
      Issue.record("not a subsystem")
      return
    }
    #expect(node.modifiers.map(\.value) == [.kernelUser, .kernelServer])
    #expect(node.name.name == "kern")
    #expect(node.base.value == 2000)
    #expect(node.range.start.column == 1)
    #expect(node.range.end.column == 45)
  }

  @Test func optionStatements() {
    let file = clean(Samples.options).withoutLocations()
    let expected: [Statement] = [
      .nameOption(NameOption(kind: .serverPrefix, name: name("S_"), range: .stripped)),
      .nameOption(NameOption(kind: .userPrefix, name: name("U_"), range: .stripped)),
      .nameOption(NameOption(kind: .serverDemux, name: name("my_demux"), range: .stripped)),
      .nameOption(NameOption(kind: .errorProcedure, name: name("my_error_proc"), range: .stripped)),
      .messageOption(MessageOption(kind: .waitTime, value: Located("-1", range: .stripped), range: .stripped)),
      .messageOption(
        MessageOption(kind: .waitTime, value: Located("my_timeout_var", range: .stripped), range: .stripped)),
      .messageOption(MessageOption(kind: .noWaitTime, value: nil, range: .stripped)),
      .messageOption(
        MessageOption(kind: .msgOption, value: Located("MACH_SEND_INTERRUPT", range: .stripped), range: .stripped)),
      .rcsid(RCSIDDecl(string: Located("\"$Id: x $\"", range: .stripped), range: .stripped)),
      .import(ImportDecl(kind: .both, fileName: Located("\"imp.h\"", range: .stripped), range: .stripped)),
      .import(ImportDecl(kind: .user, fileName: Located("<mach/uimp.h>", range: .stripped), range: .stripped)),
      .import(ImportDecl(kind: .server, fileName: Located("<sys/ types.h >", range: .stripped), range: .stripped)),
      .skip(SkipDecl(count: nil, range: .stripped)),
      .skip(SkipDecl(count: NumberLiteral(3, range: .stripped), range: .stripped)),
      .empty(.stripped),
    ]
    #expect(Array(file.statements.dropFirst()) == expected)
  }

  @Test func waittimeStringStopsAtSpaceAndAcceptsPathCharacters() {
    let file = clean("subsystem w 1; waittime a/b.c-$d_9; msgoption MACH_SEND_TIMEOUT;")
    guard case .messageOption(let option) = file.statements[1] else {
      Issue.record("expected an option")
      return
    }
    #expect(option.value?.value == "a/b.c-$d_9")
    let split = parseText("subsystem w 1; waittime - 1;")
    #expect(split.errors.map(\.code) == [.missingSemicolon])
  }

  @Test func typeSpecForms() throws {
    let table = types(clean(Samples.types).withoutLocations())
    func spec(_ key: String) throws -> TypeSpec.Kind { try #require(table[key]).spec.kind }
    let int32 = IPCName(kind: .msgType(.integer32), range: .stripped)
    #expect(try spec("i") == .ipc(IPCType(send: int32, receive: nil, range: .stripped)))
    #expect(try spec("p") == .ipc(IPCType(send: IPCName(kind: .polymorphic, range: .stripped), receive: nil, range: .stripped)))
    #expect(try spec("n") == .ipc(IPCType(send: IPCName(kind: .number(12), range: .stripped), receive: nil, range: .stripped)))
    #expect(
      try spec("pair")
        == .ipc(
          IPCType(
            send: IPCName(kind: .msgType(.moveSend), range: .stripped),
            receive: IPCName(kind: .msgType(.portSend), range: .stripped), range: .stripped)))
    #expect(
      try spec("lf")
        == .longForm(ipc: IPCType(send: int32, receive: nil, range: .stripped), size: number(16), flags: []))
    guard case .longForm(_, let size, let flags) = try spec("lf2") else {
      Issue.record("lf2 is not a long form")
      return
    }
    #expect(size == IntExpr(kind: .binary(.multiply, number(8), number(1024)), range: .stripped))
    #expect(flags.map(\.flag) == [.dealloc, .isLong])
    let int = TypeSpec(kind: .reference(name("int")), range: .stripped)
    #expect(try spec("ref") == .reference(name("i")))
    #expect(try spec("a1") == .array(bound: .unspecified, element: int))
    #expect(try spec("a2") == .array(bound: .star, element: int))
    #expect(
      try spec("a3") == .array(bound: .bounded(number(1024)), element: TypeSpec(kind: .reference(name("char")), range: .stripped)))
    #expect(try spec("s1") == .structArray(count: number(4), element: int))
    #expect(
      try spec("s2")
        == .structure(members: [
          StructMember(type: name("int"), name: name("a"), range: .stripped),
          StructMember(type: name("char"), name: name("b"), range: .stripped),
        ]))
    #expect(try spec("o1") == .outOfLine(TypeSpec(kind: .array(bound: .unspecified, element: int), range: .stripped)))
    #expect(try spec("o2") == .outOfLine(int))
    #expect(try spec("c1") == .cString(.fixed(number(64))))
    #expect(try spec("c2") == .cString(.variable(number(1024))))
  }

  @Test func expressionsKeepPrecedenceAndParenthesesWithoutEvaluating() throws {
    let table = types(clean(Samples.types).withoutLocations())
    guard case .array(.fixed(let a4), _) = try #require(table["a4"]).spec.kind,
      case .array(.fixed(let a5), _) = try #require(table["a5"]).spec.kind
    else {
      Issue.record("not fixed arrays")
      return
    }
    let sum = IntExpr(kind: .binary(.add, number(2), number(3)), range: .stripped)
    let product = IntExpr(
      kind: .binary(.multiply, IntExpr(kind: .parenthesized(sum), range: .stripped), number(4)), range: .stripped)
    #expect(a4 == IntExpr(kind: .binary(.subtract, product, number(1)), range: .stripped))
    #expect(a5 == IntExpr(kind: .binary(.divide, number(7), number(2)), range: .stripped))
    // Division by zero is sema's business: the parser keeps it.
    let parsed = parseText("subsystem z 1; type v = array[10/0] of int; type w = array[1-2-3] of int;")
    #expect(parsed.errors.isEmpty)
    let table2 = types(parsed.file.withoutLocations())
    guard case .array(.fixed(let w), _) = try #require(table2["w"]).spec.kind else { return }
    let left = IntExpr(kind: .binary(.subtract, number(1), number(2)), range: .stripped)
    #expect(w == IntExpr(kind: .binary(.subtract, left, number(3)), range: .stripped))
  }

  @Test func annotationsInOrder() throws {
    let declaration = try #require(types(clean(Samples.annotations).withoutLocations())["obj_t"])
    #expect(
      declaration.annotations.map(\.kind) == [
        .cType(name("mach_port_t")), .cUserType(name("user_obj_t")), .cServerType(name("obj_t")),
        .inTran(transType: name("obj_t"), function: name("obj_lookup"), serverType: name("mach_port_t")),
        .inTranPayload(transType: name("obj_t"), function: name("payload_lookup")),
        .outTran(serverType: name("mach_port_t"), function: name("obj_export"), transType: name("obj_t")),
        .destructor(function: name("obj_release"), transType: name("obj_t")),
      ])
  }

  @Test func routineArgumentsDirectionsFlagsAndInlineTypes() throws {
    let file = clean(Samples.routines).withoutLocations()
    guard case .routine(let routine) = file.statements[1], case .routine(let simple) = file.statements[2] else {
      Issue.record("expected routines")
      return
    }
    #expect(routine.kind == .routine && simple.kind == .simpleRoutine && simple.arguments.isEmpty)
    #expect(
      routine.arguments.map { $0.direction?.value } == [
        nil, .in, .out, .inout, .requestPort, .replyPort, .serverReplyPort, .userReplyPort, .waitTime, .msgOption,
        .msgSeqNo, .in, .in,
      ])
    #expect(routine.arguments[3].flags.map { "\($0.flag.rawValue)\($0.isVariable ? "[]" : "")" } == ["dealloc[]", "notdealloc"])
    #expect(
      routine.arguments[11].flags.map(\.flag) == [.isLong, .isNotLong, .serverCopy, .countInOut, .retCode])
    guard case .inline(let inline) = routine.arguments[12].type else {
      Issue.record("expected an inline type")
      return
    }
    #expect(inline.name.name == "quad_t")
    #expect(inline.annotations.map(\.kind) == [.cType(name("quad"))])
  }

  @Test func keywordsAreCaseInsensitiveInStatements() {
    let file = clean(Samples.mixedCase)
    #expect(file.statements.count == 6)
    guard case .routine(let routine) = file.statements[3] else {
      Issue.record("expected a routine")
      return
    }
    #expect(routine.arguments.map { $0.direction?.value } == [nil, .in, .out])
    #expect(routine.arguments[0].name.name == "SERVER")
  }

  @Test func caseSensitiveMsgTypeNamesAreTypeReferences() {
    let file = clean("subsystem ci 100;\ntype i = mach_msg_type_integer_32;").withoutLocations()
    guard case .type(let declaration) = file.statements[1] else { return }
    #expect(declaration.spec.kind == .reference(name("mach_msg_type_integer_32")))
  }

  @Test func hexadecimalBaseIsAcceptedWithANote() {
    let parsed = parseText(Samples.hexadecimal)
    #expect(parsed.errors.isEmpty)
    #expect(parsed.diagnostics.map(\.code) == [.hexadecimalNumber])
    guard case .subsystem(let node) = parsed.file.statements.first else { return }
    #expect(node.base.value == 256)
  }

  @Test func emptyInputAndOnlySemicolons() {
    #expect(parseText("").file.statements.isEmpty)
    #expect(parseText("").diagnostics.isEmpty)
    #expect(parseText(";;;").file.statements.count == 3)
  }

  @Test func rangesCoverWholeStatements() {
    let parsed = parseText("subsystem s 1;\n  type t = array[*:4] of int;\n")
    let range = parsed.file.statements[1].range
    #expect(range.start.line == 2 && range.start.column == 3)
    #expect(range.end.line == 2 && range.end.column == 30)
  }
}
