import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import Testing

@Suite struct PreprocessorTests {
  private func texts(_ unit: PreprocessedUnit) -> [String] { unit.tokens.map(\.text) }

  @Test func predefinesAndTheirSwitch() {
    let text = "__x86_64__ __LP64__ __i386__ __STDC__\n"
    #expect(texts(preprocessInMemory(text)) == ["1", "1", "__i386__", "1"])
    #expect(
      texts(preprocessInMemory(text, options: PreprocessorOptions(target: .none, definesStandardMacros: false)))
        == ["__x86_64__", "__LP64__", "__i386__", "__STDC__"])
    #expect(texts(preprocessInMemory(text, options: PreprocessorOptions(target: .i386))) == ["__x86_64__", "__LP64__", "1", "1"])
  }

  @Test func commandLineMacrosApplyInOrder() {
    var options = PreprocessorOptions()
    options.commandLineMacros = [
      .define("A"), .undefine("A"), .undefine("B"), .define("B=x y"), .define("C=\"q; r\" ;"), .define("F(a)=[a]"),
      .undefine("__x86_64__"),
    ]
    let unit = preprocessInMemory("A B C F(1) __x86_64__\n", options: options)
    #expect(texts(unit) == ["A", "x", "y", "\"q; r\"", ";", "[", "1", "]", "__x86_64__"])
    #expect(unit.diagnostics.isEmpty)
    #expect(options.defines == ["A", "B=x y", "C=\"q; r\" ;", "F(a)=[a]"])
    #expect(options.undefines == ["A", "B", "__x86_64__"])
    // The convenience initialiser applies defines, then undefines.
    #expect(PreprocessorOptions(defines: ["X=1"], undefines: ["Y"]).commandLineMacros == [.define("X=1"), .undefine("Y")])
  }

  @Test func commandLineOrderFromRawArguments() {
    let arguments = ["check", "-DA", "-U", "A", "-I", "x", "-D", "B=1 2", "-UB", "f.defs", "--", "-DC"]
    #expect(CommandLineMacro.inCommandLineOrder(arguments) == [.define("A"), .undefine("A"), .define("B=1 2"), .undefine("B")])
  }

  @Test func badCommandLineMacroIsReported() {
    var options = PreprocessorOptions()
    options.commandLineMacros = [.define("3x=1")]
    let unit = preprocessInMemory("x\n", options: options)
    #expect(summaries(unit) == ["error bad-macro-name <command line>:1:9"])
  }

  @Test func quoteIncludeSearchesIncluderDirectoryFirst() {
    let files = [
      "dir/a.defs": "#include \"b.defs\"\n#include <b.defs>\n",
      "dir/b.defs": "dir_b\n",
      "inc/b.defs": "inc_b\n",
    ]
    let unit = Preprocessor.preprocess(
      mainFile: "dir/a.defs", options: PreprocessorOptions(includePaths: ["inc"]), resolver: InMemoryIncludeResolver(files))
    #expect(texts(unit) == ["dir_b", "inc_b"])
    #expect(unit.includedFiles == ["dir/a.defs", "dir/b.defs", "inc/b.defs"])
    #expect(
      IncludeSearch.candidates(name: "x.h", isAngled: false, includer: "/a/b/c.defs", searchPaths: ["i", "/j/"])
        == ["/a/b/x.h", "i/x.h", "/j/x.h"])
    #expect(IncludeSearch.candidates(name: "/abs.h", isAngled: true, includer: nil, searchPaths: ["i"]) == ["/abs.h"])
    #expect(IncludeSearch.candidates(name: "./x.h", isAngled: false, includer: "top.defs", searchPaths: []) == ["x.h"])
  }

  @Test func missingMainFileIsAnErrorOfItsOwnKind() {
    // Not `missing-include`: tools matching on codes must tell a bad input from a bad #include.
    let unit = Preprocessor.preprocess(mainFile: "nope.defs", resolver: InMemoryIncludeResolver([:]))
    #expect(unit.tokens.isEmpty)
    #expect(unit.diagnostics.map(\.code) == [.missingInput])
  }

  @Test func guardedFileIsNotReadAgain() {
    let files = ["g.h": "#ifndef G\n#define G\ng\n#endif\n", "u.h": "#ifndef U\n#define U\nu\n#endif\ntrailer\n"]
    let unit = preprocessInMemory("#include \"g.h\"\n#include \"g.h\"\n#include \"u.h\"\n#include \"u.h\"\n", files: files)
    #expect(texts(unit) == ["g", "u", "trailer", "trailer"])
    // g.h is skipped without opening a buffer; u.h has text after its #endif so it is re-read.
    #expect(unit.includedFiles == ["main.defs", "g.h", "u.h", "u.h"])
  }

  @Test func imacrosKeepsOnlyDefinitions() {
    let files = ["hooks.h": "visible_text\n#define HOOK hooked\n"]
    let unit = preprocessInMemory("HOOK\n", files: files, options: PreprocessorOptions(imacrosFiles: ["hooks.h"]))
    #expect(texts(unit) == ["hooked"])
    let missing = preprocessInMemory("x\n", options: PreprocessorOptions(imacrosFiles: ["gone.h"]))
    #expect(missing.diagnostics.map(\.code) == [.missingInclude])
  }

  @Test func tokensKeepSpellingLocationAndExpansion() throws {
    let unit = preprocessInMemory("#define PAIR(a) a , b\n\n  PAIR(x)\n")
    #expect(texts(unit) == ["x", ",", "b"])
    // `x` was written in the argument: its own location, no expansion.
    #expect(unit.tokens[0].location.line == 3 && unit.tokens[0].location.column == 8)
    #expect(unit.tokens[0].location.expansion == nil)
    // `,` comes from the body: spelled on line 1, produced by the expansion at 3:3.
    let comma = unit.tokens[1].location
    #expect(comma.line == 1 && comma.column == 19)
    let expansion = try #require(comma.expansion)
    #expect(unit.sourceMap[expansion].macroName == "PAIR")
    #expect(unit.sourceMap[expansion].site.line == 3 && unit.sourceMap[expansion].site.column == 3)
    #expect(unit.sourceMap[expansion].definition?.column == 9)
    #expect(unit.sourceMap.userLocation(comma).line == 3)
  }

  @Test func includedTokensKnowTheirIncludeChain() {
    let unit = preprocessInMemory("\n#include \"a.h\"\n", files: ["a.h": "a_token\n"])
    let location = unit.tokens[0].location
    #expect(unit.sourceMap[location.buffer].path == "a.h")
    #expect(unit.sourceMap.includeChain(location.buffer).map(\.line) == [2])
  }

  @Test func lineDirectiveMovesLocations() {
    let unit = preprocessInMemory("a\n#line 50 \"other.defs\"\nb __LINE__ __FILE__\n")
    #expect(texts(unit) == ["a", "b", "50", "\"other.defs\""])
    let b = unit.tokens[1].location
    #expect(unit.sourceMap[b.buffer].path == "other.defs" && b.line == 50)
  }

  @Test func keywordNamedAndFragmentMacros() {
    let unit = preprocessInMemory(
      "#define routine simpleroutine\n#define SC , servercopy\nroutine f(x : t SC);\n")
    #expect(texts(unit) == ["simpleroutine", "f", "(", "x", ":", "t", ",", "servercopy", ")", ";"])
  }

  @Test func exponentialMacrosStopAtTheLimit() {
    var text = "#define m0 x\n"
    for level in 1...40 { text += "#define m\(level) m\(level - 1) m\(level - 1)\n" }
    text += "m40\n"
    let unit = preprocessInMemory(text, options: PreprocessorOptions(maxMacroExpansions: 10_000))
    #expect(unit.diagnostics.map(\.code) == [.macroExpansionLimit])
    #expect(unit.tokens.count < 30_000)
  }

  @Test func deepNestingIsBoundedNotAStackOverflow() {
    let parentheses = "#if " + String(repeating: "(", count: 100_000) + "1\n#endif\n"
    #expect(preprocessInMemory(parentheses).diagnostics.map(\.code) == [.badExpression])
    let unary = "#if " + String(repeating: "- ", count: 100_000) + "1\n#endif\n"
    #expect(preprocessInMemory(unary).diagnostics.map(\.code) == [.badExpression])
    let calls = "#define f(x) x\n" + String(repeating: "f(", count: 2_000) + "1" + String(repeating: ")", count: 2_000) + "\n"
    let unit = preprocessInMemory(calls)
    #expect(unit.diagnostics.map(\.code) == [.macroExpansionLimit])
    #expect(unit.tokens.first?.text == "f")
    let lines = preprocessInMemory("#line 2147483647\nx\n#line 1000000000\ny\nz\n")
    #expect(lines.diagnostics.map(\.code) == [.badLineDirective])
    #expect(lines.tokens.last?.location.line == 1_000_000_001)
  }

  @Test func hostileInputsTerminateWithDiagnostics() {
    let inputs = [
      "#if", "#if (((((", "#define f(x) f(x\nf(1)", "#include", "#define", "\u{0}\u{1}\u{2}#\u{ff}",
      "#if 1\n#elif\n#endif", "#define a(x) #x\na(\"\\\")", "'", "\"", "#line 99999999999999", "#if 0x\n#endif",
      "#if -9223372036854775807-1 / -1\n#endif", "#if 1 << 99 || -1 >> 99 || 1 << -1\n#endif", "##", "#define x(...) __VA_ARGS__\nx(,,,)",
    ]
    for input in inputs {
      let unit = preprocessInMemory(input)
      _ = unit.render(lineMarkers: true)
      for diagnostic in unit.diagnostics { #expect(diagnostic.location != nil || diagnostic.code == .missingInclude) }
    }
  }
}

@Suite struct ExpansionBudgetTests {
  /// `X(a) a a` nested in its own argument is only n expansions but 2ⁿ tokens: the token budget
  /// must stop it quickly with one diagnostic.
  @Test func argumentDuplicationIsBoundedByTheTokenBudget() {
    let nested = String(repeating: "X(", count: 60) + "z" + String(repeating: ")", count: 60)
    let unit = Preprocessor.preprocess(
      text: "#define X(a) a a\n\(nested)\n", path: "bomb.defs",
      options: PreprocessorOptions(maxExpandedTokens: 100_000))
    #expect(unit.diagnostics.map(\.code) == [.macroExpansionLimit])
    #expect(unit.diagnostics.first?.location?.line == 2)
    #expect(unit.tokens.count <= 100_000)
  }

  @Test func ordinaryExpansionsStayWithinTheDefaultBudget() {
    let unit = Preprocessor.preprocess(
      text: "#define X(a) a a\nX(X(X(z)))\n", path: "small.defs")
    #expect(unit.diagnostics.isEmpty)
    #expect(unit.tokens.count == 8)
  }
}

@Suite struct LineDirectiveTests {
  /// Line numbers start at 1: `#line 0` would put later tokens on line 0, which no diagnostic
  /// may point at (found by the front-end fuzzer; Fuzz/corpus/regression-line-zero.defs).
  @Test func lineZeroIsRejected() {
    let unit = preprocessInMemory("#line 0\nsubsystem s 1;\n")
    #expect(unit.diagnostics.map(\.code) == [.badLineDirective])
    #expect(unit.tokens.allSatisfy { $0.location.line >= 1 })
  }

  @Test func lineOneIsFine() {
    let unit = preprocessInMemory("#line 1\nsubsystem s 1;\n")
    #expect(unit.diagnostics.isEmpty)
    #expect(unit.tokens.first?.location.line == 1)
  }
}
