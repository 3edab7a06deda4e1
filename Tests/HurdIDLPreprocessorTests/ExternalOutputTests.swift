import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import Testing

@Suite struct ExternalOutputTests {
  @Test func lineMarkersMapTokensBackToTheirFiles() throws {
    let text = """
      # 0 "top.defs"
      # 0 "<built-in>"
      # 0 "<command-line>"
      # 1 "top.defs"
      subsystem top 100;

      # 1 "inc/types.defs" 1
      type t = int;
      # 3 "top.defs" 2

      routine r(
          p : t);
      #pragma weak
      """
    let unit = Preprocessor.tokenizeExternalOutput(text: text, mainPath: "top.defs")
    #expect(unit.tokens.map(\.text).joined(separator: " ") == "subsystem top 100 ; type t = int ; routine r ( p : t ) ;")
    func position(_ index: Int) -> String {
      let location = unit.tokens[index].location
      return "\(unit.sourceMap[location.buffer].path):\(location.line):\(location.column)"
    }
    #expect(position(0) == "top.defs:1:1")
    #expect(position(4) == "inc/types.defs:1:1")
    #expect(position(9) == "top.defs:4:1")
    #expect(position(12) == "top.defs:5:5")
    let typesBuffer = unit.tokens[4].location.buffer
    #expect(unit.sourceMap.includeChain(typesBuffer).first.map { unit.sourceMap[$0.buffer].path } == "top.defs")
    #expect(unit.diagnostics.map(\.code) == [.pragmaIgnored])
  }

  @Test func tokenizerDiagnosticsPointIntoTheOriginalFile() {
    let unit = Preprocessor.tokenizeExternalOutput(text: "# 40 \"inc.defs\"\nok\n  'open\n", mainPath: "top.defs")
    #expect(summaries(unit) == ["warning unterminated-literal inc.defs:41:3"])
  }

  @Test func gccOutputOfAGnumachFile() throws {
    try #require(GCC.isAvailable, "gcc is missing: \(TestPaths.readmeHint)")
    let path = TestPaths.gnumachInclude + "/mach/notify.defs"
    try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: \(TestPaths.readmeHint)")
    let gcc = try GCC.preprocess(path, arguments: ["-I" + TestPaths.gnumachInclude])
    let external = Preprocessor.tokenizeExternalOutput(text: gcc.text, mainPath: path)
    let builtin = Preprocessor.preprocess(
      mainFile: path, options: PreprocessorOptions(includePaths: [TestPaths.gnumachInclude]), resolver: FileSystemResolver())
    #expect(external.tokens.map(\.text) == builtin.tokens.map(\.text))
    // gcc names files through resolved symlinks (mach/machine → mach/x86_64), so compare names.
    func name(_ path: String) -> Substring { path.split(separator: "/").last ?? "" }
    for (ours, theirs) in zip(builtin.tokens, external.tokens) {
      let user = builtin.sourceMap.userLocation(ours.location)
      #expect(name(builtin.sourceMap[user.buffer].path) == name(external.sourceMap[theirs.location.buffer].path))
      #expect(user.line == theirs.location.line)
    }
  }
}
