import Foundation
import HurdIDLSyntax
import Testing

/// Keeps `Grammar/defs.ebnf` and the parser in step: the grammar's productions are exactly the
/// parser's ``Production`` cases, and the parser tests' inputs enter every one of them.
@Suite struct GrammarCoverageTests {
  static let grammarURL = TestPaths.repositoryRoot.appendingPathComponent("Grammar/defs.ebnf")

  /// The names defined in the EBNF (`name = …` at the start of a line, comments removed).
  static func productionNames() throws -> [String] {
    var text = try String(contentsOf: grammarURL, encoding: .utf8)
    while let open = text.range(of: "(*"), let close = text.range(of: "*)", range: open.upperBound..<text.endIndex) {
      text.replaceSubrange(open.lowerBound..<close.upperBound, with: " ")
    }
    var names: [String] = []
    for line in text.split(separator: "\n") {
      guard let first = line.first, first.isLetter, let equals = line.firstIndex(of: "=") else { continue }
      let name = line[..<equals].trimmingCharacters(in: .whitespaces)
      if name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) { names.append(name) }
    }
    return names
  }

  /// Every valid input the parser tests use.
  static func testInputs() -> [(name: String, text: String)] {
    var inputs = Samples.all
    for url in TestPaths.files(in: TestPaths.inputs.appendingPathComponent("semantics")) {
      let text = TestPaths.text(url)
      // Self-contained experiments only: the raw tokenizer does not run directives.
      if !text.contains("#") { inputs.append((url.lastPathComponent, text)) }
    }
    return inputs
  }

  @Test func grammarNamesMatchTheParsersProductions() throws {
    let names = try Self.productionNames()
    #expect(names.count == Set(names).count, "a production is defined twice")
    #expect(Set(names) == Set(Production.allCases.map(\.rawValue)))
    #expect(names.count > 40)
  }

  @Test func everyProductionIsExercised() throws {
    var entered: Set<Production> = []
    for input in Self.testInputs() {
      let parsed = parseText(input.text, path: input.name, options: ParseOptions(recordsProductions: true))
      if parsed.errors.isEmpty { entered.formUnion(parsed.result.enteredProductions) }
    }
    let missing = try Self.productionNames().filter { name in !entered.contains { $0.rawValue == name } }
    #expect(missing.isEmpty, "productions no parser test input enters: \(missing)")
  }

  @Test func recordingIsOffByDefault() {
    #expect(parseText(Samples.types).result.enteredProductions.isEmpty)
  }
}
