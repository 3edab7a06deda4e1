import HurdIDLPreprocessor
import HurdIDLSource
import HurdIDLSyntax
import Testing

/// The parser on the preprocessor's output: macros named like keywords, fragment macros, header
/// names after `import`, and diagnostics inside macro expansions and included files.
@Suite struct PreprocessedInputTests {
  private func parse(_ text: String, files: [String: String] = [:]) -> ParsedText {
    let unit = Preprocessor.preprocess(text: text, path: "main.defs", resolver: InMemoryIncludeResolver(files))
    var result = Parser.parse(tokens: unit.tokens)
    result.diagnostics = unit.diagnostics + result.diagnostics
    return ParsedText(result: result, sourceMap: unit.sourceMap)
  }

  @Test func keywordMacrosAndFragments() {
    let parsed = parse(
      """
      #define routine simpleroutine
      #define SCOPY , servercopy
      #define RPTDECL requestport server: mach_port_t
      subsystem m 1;
      routine r(RPTDECL; in x: data_t SCOPY);
      """)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.summary)")
    guard case .routine(let routine) = parsed.file.statements.last else {
      Issue.record("no routine")
      return
    }
    #expect(routine.kind == .simpleRoutine)
    #expect(routine.arguments.map { $0.direction?.value } == [.requestPort, .in])
    #expect(routine.arguments[1].flags.map(\.flag) == [.serverCopy])
  }

  @Test func importOperandsThroughThePreprocessor() {
    let parsed = parse("subsystem i 1;\nimport <mach/foo.h>;\nuimport \"bar.h\";\nwaittime -1;\n")
    #expect(parsed.diagnostics.isEmpty, "\(parsed.summary)")
    let operands = parsed.file.statements.compactMap { statement -> String? in
      switch statement {
      case .import(let node): node.fileName.value
      case .messageOption(let node): node.value?.value
      default: nil
      }
    }
    #expect(operands == ["<mach/foo.h>", "\"bar.h\"", "-1"])
  }

  @Test func errorInsideAMacroExpansionPointsAtTheUseWithANote() {
    let parsed = parse("#define BAD frobnicate\nsubsystem m 1;\nroutine r(p: port, BAD);\n")
    #expect(
      parsed.rendered == """
        main.defs:3:20: error: unknown IPC flag 'frobnicate'; expected one of islong, isnotlong, dealloc, notdealloc, servercopy, countinout, retcode [unknown-flag]
           3 | routine r(p: port, BAD);
             |                    ^
        main.defs:1:9: note: in expansion of macro 'BAD' defined here

        """)
  }

  @Test func errorInAnIncludedFileShowsTheIncludeChain() {
    let parsed = parse(
      "subsystem m 1;\n#include \"types.defs\"\n", files: ["types.defs": "type t = array[4] int;\n"])
    #expect(
      parsed.rendered == """
        In file included from main.defs:2:
        types.defs:1:19: error: expected 'of' after 'array[…]', found identifier 'int' [expected-token]
           1 | type t = array[4] int;
             |                   ^

        """)
  }
}
