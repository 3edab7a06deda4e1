import HurdIDLPreprocessor
import HurdIDLSource
import Testing

/// One input and the diagnostics it must produce, as "severity code file:line:column".
struct DiagnosticCase: Sendable, CustomTestStringConvertible {
  var name: String
  var text: String
  var files: [String: String] = [:]
  var options = PreprocessorOptions()
  var expected: [String]
  var testDescription: String { name }
}

func preprocessInMemory(
  _ text: String, files: [String: String] = [:], options: PreprocessorOptions = PreprocessorOptions()
) -> PreprocessedUnit {
  Preprocessor.preprocess(text: text, path: "main.defs", options: options, resolver: InMemoryIncludeResolver(files))
}

func summaries(_ unit: PreprocessedUnit) -> [String] {
  let renderer = DiagnosticRenderer(sourceMap: unit.sourceMap)
  return unit.diagnostics.map { diagnostic in
    let resolved = renderer.resolve(diagnostic)
    let position = resolved.position.map { "\($0.file):\($0.line):\($0.column)" } ?? "-"
    return "\(diagnostic.severity) \(diagnostic.code) \(position)"
  }
}

@Suite struct DiagnosticTests {
  static let cases: [DiagnosticCase] = [
    .init(
      name: "missing include", text: "a\n#include \"nope.defs\"\nb\n",
      expected: ["error missing-include main.defs:2:10"]),
    .init(
      name: "missing include inside an include",
      text: "#include \"a.defs\"\n", files: ["a.defs": "x\n  #  include <mach/gone.defs>\ny\n"],
      expected: ["error missing-include a.defs:2:14"]),
    .init(
      name: "include cycle", text: "#include \"a.defs\"\n",
      files: ["a.defs": "#include \"b.defs\"\n", "b.defs": "#include \"a.defs\"\n#include \"a.defs\"\n"],
      expected: ["error include-cycle a.defs:1:10"]),
    .init(
      name: "include depth", text: "#include \"d1\"\n",
      files: ["d1": "#include \"d2\"\n", "d2": "#include \"d3\"\n", "d3": "#include \"d4\"\n", "d4": "x\n"],
      options: PreprocessorOptions(maxIncludeDepth: 3),
      expected: ["error include-depth d2:1:10"]),
    .init(
      name: "include limit", text: "#include \"x\"\n#include \"x\"\n#include \"x\"\n", files: ["x": "x\n"],
      options: PreprocessorOptions(maxInclusions: 2),
      expected: ["error include-limit main.defs:3:10"]),
    .init(
      name: "bad include operand", text: "#include foo\n#include\n",
      expected: ["error bad-include main.defs:1:10", "error bad-include main.defs:2:2"]),
    .init(
      name: "unterminated header name", text: "#include \"foo\n",
      expected: ["error unterminated-literal main.defs:1:10"]),
    .init(name: "#error", text: "\n  # error Stop here: bad config\n", expected: ["error error-directive main.defs:2:5"]),
    .init(name: "#warning", text: "#warning careful\n", expected: ["warning warning-directive main.defs:1:2"]),
    .init(
      name: "unterminated #if", text: "#if 1\n#ifdef X\nx\n#endif\n",
      expected: ["error unterminated-conditional main.defs:1:2"]),
    .init(
      name: "unterminated #if in a skipped group", text: "#if 0\n#if 1\n#endif\n",
      expected: ["error unterminated-conditional main.defs:1:2"]),
    .init(
      name: "stray #endif, #else, #elif", text: "#endif\n#else\n#elif 1\n",
      expected: [
        "error unmatched-conditional main.defs:1:2", "error unmatched-conditional main.defs:2:2",
        "error unmatched-conditional main.defs:3:2",
      ]),
    .init(
      name: "#else after #else", text: "#if 1\n#else\n#else\n#endif\n#if 0\n#else\n#elif 1\n#endif\n",
      expected: ["error else-after-else main.defs:3:2", "error else-after-else main.defs:7:2"]),
    .init(
      name: "extra tokens after #endif and #else", text: "#if 1\n#else X\n#endif Y\n",
      expected: ["warning extra-tokens main.defs:2:7", "warning extra-tokens main.defs:3:8"]),
    .init(
      name: "bad expressions",
      text: "#if 1 +\n#endif\n#if (1\n#endif\n#if 1 2\n#endif\n#if\n#endif\n#if \"s\"\n#endif\n#if 1.0\n#endif\n#if 08\n#endif\n#if defined\n#endif\n",
      expected: [
        "error bad-expression main.defs:1:7", "error bad-expression main.defs:3:6", "error bad-expression main.defs:5:7",
        "error bad-expression main.defs:7:2", "error bad-expression main.defs:9:5", "error bad-expression main.defs:11:5",
        "error bad-expression main.defs:13:5", "error bad-expression main.defs:15:5",
      ]),
    .init(
      name: "division by zero", text: "#if 1 / 0\n#endif\n#if 2 % (1 - 1)\n#endif\n#if 0 && 1 / 0\n#endif\n",
      expected: ["error division-by-zero main.defs:1:7", "error division-by-zero main.defs:3:7"]),
    .init(
      name: "overflow and large constants",
      text: "#if 9223372036854775807 + 1\n#endif\n#if 18446744073709551615\n#endif\n#if 'ab'\n#endif\n",
      expected: [
        "warning integer-overflow main.defs:1:25", "warning large-integer main.defs:3:5",
        "warning multi-character-constant main.defs:5:5",
      ]),
    .init(
      name: "recursive macro", text: "#define loop 1 + loop\n\nloop\n",
      expected: ["warning recursive-macro main.defs:3:1"]),
    .init(
      name: "macro expansion limit",
      text: "#define a b b\n#define b c c\n#define c d d\na\n",
      options: PreprocessorOptions(maxMacroExpansions: 4),
      expected: ["error macro-expansion-limit main.defs:4:1"]),
    .init(
      name: "unterminated comment", text: "ok\n  /* never\n closed\n",
      expected: ["error unterminated-comment main.defs:2:3"]),
    .init(
      name: "unknown directive", text: "#foo bar\n#if 0\n#bar\n#endif\n# 12x\n",
      expected: ["error unknown-directive main.defs:1:2", "error bad-line-marker main.defs:5:3"]),
    .init(
      name: "missing and bad macro names",
      text: "#define\n#define 3\n#undef \"x\"\n#define defined\n#ifdef\n#endif\n#ifndef 1\n#endif\n",
      expected: [
        "error missing-macro-name main.defs:1:1", "error bad-macro-name main.defs:2:9",
        "error bad-macro-name main.defs:3:8", "error bad-macro-name main.defs:4:9",
        "error missing-macro-name main.defs:5:1", "error bad-macro-name main.defs:7:9",
      ]),
    .init(
      name: "bad macro parameters", text: "#define f(a, a) a\n#define g(a b) a\n#define h(1) x\n#define k(a\n",
      expected: [
        "error bad-macro-parameters main.defs:1:14", "error bad-macro-parameters main.defs:2:13",
        "error bad-macro-parameters main.defs:3:11", "error bad-macro-parameters main.defs:4:11",
      ]),
    .init(
      name: "macro redefined", text: "#define A 1\n#define A 1\n#define A 2\n",
      expected: ["warning macro-redefined main.defs:3:9"]),
    .init(
      name: "# and ## misuse", text: "#define s(x) #y\n#define p1 ## x\n#define p2(x) x ##\n",
      expected: [
        "error stringize-not-parameter main.defs:1:14", "error paste-at-edge main.defs:2:12",
        "error paste-at-edge main.defs:3:17",
      ]),
    .init(
      name: "invalid paste", text: "#define cat(a, b) a ## b\ncat(+, /)\n",
      expected: ["error invalid-paste main.defs:2:1"]),
    .init(
      name: "wrong argument count", text: "#define two(a, b) a b\ntwo(1)\ntwo(1, 2, 3)\n",
      expected: ["error macro-argument-count main.defs:2:1", "error macro-argument-count main.defs:3:1"]),
    .init(
      name: "unterminated macro call", text: "#define f(x) x\nf(1, \n2\n",
      expected: ["error unterminated-macro-call main.defs:2:1"]),
    .init(
      name: "bad #line", text: "#line x\n#line 5 foo\n",
      expected: ["error bad-line-directive main.defs:1:7", "error bad-line-directive main.defs:2:9"]),
    .init(
      name: "#pragma", text: "#pragma weak x\n#pragma once\n", expected: ["note pragma-ignored main.defs:1:2"]),
    .init(
      name: "unterminated literal", text: "x 'y\n",
      expected: ["warning unterminated-literal main.defs:1:3"]),
    .init(
      name: "backslash-newline at end of file", text: "x \\\n",
      expected: ["warning backslash-newline-at-eof main.defs:1:3"]),
    .init(
      name: "null character", text: "a\u{0}b\n", expected: ["warning null-character main.defs:1:2"]),
    .init(
      name: "clean input", text: "#include \"o.h\"\n#include \"o.h\"\n#ident \"x\"\n#\n#if 0\ndon't\n#endif\n",
      files: ["o.h": "#pragma once\n"], expected: []),
  ]

  @Test(arguments: cases)
  func reportsCodeAndPosition(_ example: DiagnosticCase) {
    let unit = preprocessInMemory(example.text, files: example.files, options: example.options)
    #expect(summaries(unit) == example.expected)
  }

  @Test func missingIncludeShowsChainAndProcessingContinues() {
    let unit = preprocessInMemory(
      "before\n#include \"a.defs\"\nafter\n#error later\n",
      files: ["a.defs": "in_a\n#include <gone.defs>\nrest_of_a\n"],
      options: PreprocessorOptions(includePaths: ["inc"]))
    #expect(unit.tokens.map(\.text) == ["before", "in_a", "rest_of_a", "after"])
    #expect(unit.diagnostics.map(\.code) == [.missingInclude, .errorDirective])
    let text = DiagnosticRenderer(sourceMap: unit.sourceMap).render(unit.diagnostics[0])
    #expect(text.hasPrefix("In file included from main.defs:2:\na.defs:2:10: error: 'gone.defs' file not found"))
    #expect(unit.diagnostics[0].notes.first?.message == "searched: inc/gone.defs")
  }

  @Test func selfIncludingFileTerminates() {
    // Twice per level would be 2^200 inclusions without the cycle rule.
    let unit = preprocessInMemory(
      "#include \"self\"\n", files: ["self": "#include \"self\"\n#include \"self\"\nx\n"])
    #expect(unit.diagnostics.map(\.code) == [.includeCycle])
    #expect(unit.tokens.count < 1000)
  }

  @Test func macroExpansionNoteNamesTheMacro() throws {
    let unit = preprocessInMemory("#define BAD 1 +\n#if BAD\n#endif\n#define CALL(x) x\nCALL(loop)\n#define loop loop\n")
    let rendered = DiagnosticRenderer(sourceMap: unit.sourceMap).render(unit.diagnostics)
    #expect(rendered.contains("main.defs:2:5: error:"), "\(rendered)")
    let expansionUnit = preprocessInMemory("#define E(x) x + E\nE(1)\n")
    let warning = try #require(expansionUnit.diagnostics.first)
    let text = DiagnosticRenderer(sourceMap: expansionUnit.sourceMap).render(warning)
    #expect(text.contains("main.defs:2:1: warning:"), "\(text)")
    #expect(text.contains("note: in expansion of macro 'E' defined here"), "\(text)")
  }
}
