import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import Testing

@Suite struct RenderTests {
  private func retokenized(_ text: String) -> [String] {
    var map = SourceMap()
    let id = map.addBuffer(path: "out", bytes: Array(text.utf8))
    return Tokenizer.tokenize(map[id]).tokens.map(\.text).filter { _ in true }
  }

  /// Re-tokenizing the rendered text (without its line markers) gives back the same tokens.
  private func expectRoundTrip(_ unit: PreprocessedUnit, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    for markers in [false, true] {
      let text = unit.render(lineMarkers: markers)
      let withoutMarkers = text.split(separator: "\n", omittingEmptySubsequences: false)
        .filter { !$0.hasPrefix("# ") }.joined(separator: "\n")
      #expect(retokenized(withoutMarkers) == unit.tokens.map(\.text), "\(text)", sourceLocation: sourceLocation)
    }
  }

  @Test func pastingHazardsGetASpace() {
    let unit = preprocessInMemory(
      """
      #define PLUS +
      #define CAT(a, b) a b
      #define E
      #define NUM 1
      PLUS+ -PLUS CAT(-, >) CAT(<, <=) CAT(., .). x E y NUM.5 NUM E+1 CAT(/, /) CAT(/, *) CAT(#, #) CAT(L, "s")
      a=NUM;b
      """)
    expectRoundTrip(unit)
  }

  @Test func linesAndMarkers() {
    let unit = preprocessInMemory(
      "one\n\n\ntwo\n#include \"a.h\"\n\n\n\n\n\n\n\n\n\n\nthree\n",
      files: ["a.h": "in_a\n"])
    let text = unit.render(lineMarkers: true)
    #expect(
      text == """
        # 1 "main.defs"
        one


        two
        # 1 "a.h" 1
        in_a
        # 16 "main.defs" 2
        three

        """)
    #expect(unit.render(lineMarkers: false) == "one\ntwo\nin_a\nthree\n")
    expectRoundTrip(unit)
  }

  @Test(arguments: GCCConformanceTests.gnumachFiles.prefix(25))
  func gnumachOutputRoundTrips(file: String) throws {
    let path = TestPaths.gnumachInclude + "/" + file
    try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: \(TestPaths.readmeHint)")
    let unit = Preprocessor.preprocess(
      mainFile: path, options: PreprocessorOptions(includePaths: [TestPaths.gnumachInclude], defines: ["KERNEL_USER"]),
      resolver: FileSystemResolver())
    expectRoundTrip(unit)
  }

  @Test func renderedOutputReadsBackAsExternalOutput() throws {
    let path = TestPaths.gnumachInclude + "/mach/mach_port.defs"
    try #require(FileManager.default.fileExists(atPath: path), "\(path) is missing: \(TestPaths.readmeHint)")
    let unit = Preprocessor.preprocess(
      mainFile: path, options: PreprocessorOptions(includePaths: [TestPaths.gnumachInclude]), resolver: FileSystemResolver())
    let external = Preprocessor.tokenizeExternalOutput(text: unit.render(lineMarkers: true), mainPath: path)
    #expect(external.tokens.map(\.text) == unit.tokens.map(\.text))
    // Every token maps back to the file and line the built-in preprocessor reported.
    for (ours, theirs) in zip(unit.tokens, external.tokens) {
      let user = unit.sourceMap.userLocation(ours.location)
      #expect(unit.sourceMap[user.buffer].path == external.sourceMap[theirs.location.buffer].path)
      #expect(user.line == theirs.location.line)
    }
  }
}
