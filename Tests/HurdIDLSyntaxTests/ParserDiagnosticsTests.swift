import HurdIDLSource
import HurdIDLSyntax
import Testing

@Suite struct ParserDiagnosticsTests {
  private func errors(_ text: String) -> [String] {
    parseText(text).summary
  }

  @Test func missingSemicolonPointsAfterThePreviousTokenAndRecovers() {
    let parsed = parseText("subsystem bad 100;\nroutine r(server: mach_port_t)\nroutine s(server: mach_port_t);\n")
    #expect(
      parsed.summary == [
        "2:31: error: expected ';' after the routine declaration, found keyword 'routine' [missing-semicolon]"
      ])
    // Both routines survive: the missing ';' is treated as inserted.
    #expect(parsed.file.statements.count == 3)
  }

  @Test func manyErrorsInOneRun() {
    let parsed = parseText(
      """
      subsystem s 1;
      frobnicate foo;
      type t = int ctype foo_t;
      routine in(server: port);
      skip -1;
      routine ok(server: port);
      """)
    #expect(
      parsed.summary == [
        "2:1: error: expected a statement, found identifier 'frobnicate' [expected-statement]",
        "3:20: error: expected ':' after 'ctype', found identifier 'foo_t' [expected-token]",
        "4:9: error: expected the routine name, found keyword 'in' (reserved words cannot be used as names) [reserved-word]",
        "5:6: error: expected a message count or ';' after 'skip', found '-' [expected-token]",
      ])
    guard case .routine(let last) = parsed.file.statements.last else {
      Issue.record("the last routine was lost")
      return
    }
    #expect(last.name.name == "ok")
  }

  @Test func argumentErrorsRecoverInsideTheList() {
    let parsed = parseText(
      "subsystem s 1;\nroutine r(server: port; in x: int, frobnicate; in dealloc: int; out y: int, dealloc[);\nroutine t(p: port);"
    )
    #expect(
      parsed.summary == [
        "2:36: error: unknown IPC flag 'frobnicate'; expected one of islong, isnotlong, dealloc, notdealloc, servercopy, countinout, retcode [unknown-flag]",
        "2:51: error: expected an argument name, found keyword 'dealloc' (reserved words cannot be used as names) [reserved-word]",
        "2:85: error: expected ']' after 'dealloc[' (write dealloc[]), found ')' [expected-token]",
      ])
    // The broken routine is dropped; the next one is parsed.
    #expect(parsed.file.statements.count == 2)
  }

  @Test func missingClosingParenthesis() {
    #expect(
      errors("subsystem s 1;\nroutine r(server: port; in x: int;\n") == [
        "2:35: error: expected an argument or ')' to close the argument list of 'r', found end of file [expected-token]"
      ])
    let parsed = parseText("subsystem s 1;\nroutine r(server: port; in x: int\nroutine t(p: port);\n")
    #expect(
      parsed.summary == [
        "2:34: error: expected ')' to close the argument list of 'r', found keyword 'routine' [expected-token]"
      ])
    #expect(parsed.diagnostics.first?.notes.first?.location?.column == 10)
    #expect(parsed.file.statements.count == 2)
  }

  @Test func trailingSemicolonInArguments() {
    #expect(
      errors("subsystem g 1;\nroutine r(p: mach_port_t;);") == [
        "2:26: error: unexpected ')' after ';': MIG does not allow a ';' after the last argument [trailing-semicolon]"
      ])
  }

  @Test func anonymousInlineType() {
    #expect(
      errors("subsystem il 1;\nroutine r(p: mach_port_t; x: array[4] of int);") == [
        "2:30: error: expected a type name, found keyword 'array'; an inline type needs a name: 'x: name = array…' [anonymous-inline-type]"
      ])
  }

  @Test func contextOperandErrors() {
    #expect(
      errors("subsystem w 1;\nrcsid foo;\nimport foo.h;\nmsgoption A|B;\nwaittime ;\nimport <a.h;\n") == [
        "2:7: error: expected a quoted string after 'rcsid', found identifier 'foo' [expected-token]",
        "3:8: error: expected a file name in quotes or angle brackets after 'import', found identifier 'foo' [expected-token]",
        "4:12: error: expected ';' after the 'msgoption' statement, found '|' (the value is one word copied into C; define the combination as a macro in a header brought in with 'import') [missing-semicolon]",
        "5:10: error: expected a value after 'waittime' (a C expression word made of [-/._$A-Za-z0-9]), found ';' [expected-token]",
        "6:12: error: missing '>' at the end of file name '<a.h' [unterminated-file-name]",
      ])
  }

  @Test func typeSpecErrors() {
    #expect(
      errors(
        """
        subsystem s 1;
        type a = array[-1] of int;
        type b = array[4] int;
        type c = struct { };
        type d = struct { int a; char; int c; };
        type e = c_string[*];
        type f = (MACH_MSG_TYPE_INTEGER_32 16);
        type g = MACH_MSG_TYPE_BIT|;
        type h = struct x;
        """) == [
          "2:16: error: expected a number or '(', found '-' (sizes are unsigned: there are no negative numbers) [expected-token]",
          "3:19: error: expected 'of' after 'array[…]', found identifier 'int' [expected-token]",
          "4:19: error: a struct needs at least one member [empty-struct]",
          "5:30: error: expected a member name, found ';' [expected-token]",
          "6:20: error: expected ':' after 'c_string[*' (write c_string[*:N]), found ']' [expected-token]",
          "7:36: error: expected ',' after the IPC type name of a long-form type (NAME, size, flags…), found number '16' [expected-token]",
          "8:28: error: expected an IPC type name (a number, MACH_MSG_TYPE_… or 'polymorphic'), found ';' [expected-token]",
          "9:17: error: expected '[' or '{' after 'struct', found identifier 'x' [expected-token]",
        ])
  }

  @Test func appleExtensionsAreNamed() {
    let parsed = parseText(
      """
      subsystem a 1;
      sendtime t;
      UseSpecialReplyPort 1;
      iimport "x.h";
      type p = PointerTo(char);
      routine r(server: port; SecToken tok: security_token_t; in x: int, samecount; ServerImpl impl: int);
      routine ok(server: port);
      """)
    #expect(
      parsed.summary == [
        "2:1: error: 'sendtime' is an Apple MIG extension, not supported by GNU MIG/hurdidl [apple-mig-extension]",
        "3:1: error: 'UseSpecialReplyPort' is an Apple MIG extension, not supported by GNU MIG/hurdidl [apple-mig-extension]",
        "4:1: error: 'iimport' is an Apple MIG extension, not supported by GNU MIG/hurdidl [apple-mig-extension]",
        "5:10: error: 'PointerTo' is an Apple MIG extension, not supported by GNU MIG/hurdidl [apple-mig-extension]",
        "6:25: error: 'SecToken' is an Apple MIG extension, not supported by GNU MIG/hurdidl [apple-mig-extension]",
        "6:68: error: 'samecount' is an Apple MIG extension, not supported by GNU MIG/hurdidl [apple-mig-extension]",
        "6:79: error: 'ServerImpl' is an Apple MIG extension, not supported by GNU MIG/hurdidl [apple-mig-extension]",
      ])
    #expect(parsed.file.statements.count == 2)
  }

  @Test func everyAppleAndHistoricSpellingIsRecognised() {
    for word in ["sendtime x", "nosendtime", "ConsumeOnSendError None", "UserTypeLimit 4", "OnStackLimit 4", "dimport <d.h>"] {
      #expect(parseText("subsystem a 1;\n\(word);").errors.map(\.code) == [.appleMIGExtension], "\(word)")
    }
    for direction in ["sendtime", "ServerSecToken", "UserSecToken", "AuditToken", "ServerAuditToken", "UserAuditToken", "ServerContextToken", "UserImpl"] {
      #expect(
        parseText("subsystem a 1;\nroutine r(p: port; \(direction) t: tok_t);").errors.map(\.code) == [.appleMIGExtension],
        "\(direction)")
    }
    for flag in ["physicalcopy", "overwrite", "auto", "const"] {
      #expect(parseText("subsystem a 1;\nroutine r(p: port; in x: int, \(flag));").errors.map(\.code) == [.appleMIGExtension])
    }
    for constructor in ["PointerToIfNot(a, b)", "ValueOf(x)"] {
      #expect(parseText("subsystem a 1;\ntype t = \(constructor);").errors.map(\.code) == [.appleMIGExtension])
    }
    // Apple words are ordinary names where GNU allows a name.
    #expect(parseText("subsystem a 1;\nroutine r(p: port; in sendtime: int; in const: int);").errors.isEmpty)
  }

  @Test func historicFormsAreNamed() {
    let parsed = parseText(
      """
      subsystem e 1;
      procedure r(p: mach_port_t);
      function f(p: mach_port_t) : int;
      camelotroutine c(p: mach_port_t);
      simpleprocedure s(p: mach_port_t);
      msgtype m;
      routine ok(p: mach_port_t; msgtype x: int);
      routine ok2(p: mach_port_t; in msgtype: int);
      """)
    #expect(
      parsed.summary == [
        "2:1: error: 'procedure' is a historic MIG (Mach 2.5) construct, not supported by GNU MIG/hurdidl; use 'routine' [historic-construct]",
        "3:1: error: 'function' is a historic MIG (Mach 2.5) construct, not supported by GNU MIG/hurdidl; use a 'routine' with an 'out' argument [historic-construct]",
        "4:1: error: 'camelotroutine' is a historic MIG (Mach 2.5) construct, not supported by GNU MIG/hurdidl; use 'routine' [historic-construct]",
        "5:1: error: 'simpleprocedure' is a historic MIG (Mach 2.5) construct, not supported by GNU MIG/hurdidl; use 'simpleroutine' [historic-construct]",
        "6:1: error: 'msgtype' is a historic MIG (Mach 2.5) construct, not supported by GNU MIG/hurdidl; message types are not declared in GNU MIG [historic-construct]",
        "7:28: error: 'msgtype' arguments are a historic MIG (Mach 2.5) construct, not supported by GNU MIG/hurdidl [historic-construct]",
      ])
    #expect(parsed.file.statements.count == 2)
  }

  @Test func deepNestingIsRefusedNotFatal() {
    let deepTypes = "subsystem d 1; type t = " + String(repeating: "^", count: 100_000) + "int;"
    #expect(parseText(deepTypes).errors.map(\.code) == [.nestingTooDeep])
    let deepExpression = "subsystem d 1; type t = array[" + String(repeating: "(", count: 100_000) + "1] of int;"
    #expect(parseText(deepExpression).errors.map(\.code) == [.nestingTooDeep])
    // Operators build a left-leaning tree as deep as parentheses do.
    let longSum = "subsystem d 1; type t = array[1" + String(repeating: "+1", count: 100_000) + "] of int;"
    #expect(parseText(longSum).errors.map(\.code) == [.nestingTooDeep])
    let longProduct = "subsystem d 1; type t = array[1" + String(repeating: "*1", count: 100_000) + "] of int;"
    #expect(parseText(longProduct).errors.map(\.code) == [.nestingTooDeep])
    let shortSum = "subsystem d 1; type t = array[1" + String(repeating: "+1", count: 40) + "] of int;"
    #expect(parseText(shortSum).errors.isEmpty)
  }

  @Test func errorFloodIsCapped() {
    let text = "subsystem s 1;\n" + String(repeating: "foo;\n", count: 5000)
    let parsed = parseText(text)
    #expect(parsed.errors.count == 201)
    #expect(parsed.errors.last?.code == .tooManyErrors)
  }

  @Test func keywordsMisplacedAtStatementStart() {
    #expect(
      errors("KernelUser s 1;\nin;\n") == [
        "1:1: error: 'KernelUser' must follow 'subsystem' (subsystem KernelUser name base;) [expected-statement]",
        "2:1: error: expected a statement, found keyword 'in' [expected-statement]",
      ])
  }
}

@Suite struct ArgumentListRecoveryTests {
  @Test func garbageAfterAnArgumentIsReportedOnce() {
    let parsed = parseText("subsystem s 1;\nroutine r(server: port x y; in a: int);\nroutine t(p: port);")
    #expect(
      parsed.summary == ["2:24: error: expected ';' or ')' after the argument, found identifier 'x' [expected-token]"])
    #expect(parsed.file.statements.count == 2)
  }
}
