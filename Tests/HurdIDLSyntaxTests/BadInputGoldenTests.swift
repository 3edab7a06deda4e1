import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import HurdIDLSyntax
import Testing

/// The malformed inputs of reference §5 (`Inputs/bad`). Those that are lexical, syntax or
/// preprocessor errors have their rendered diagnostics pinned in `Goldens/<name>.txt`; the
/// semantic ones must get through the front end without a single lexer/parser diagnostic (sema
/// owns them). The classification is documented in docs/diagnostics.md.
///
/// Regenerate the goldens with:
///     HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLSyntaxTests.BadInputGoldenTests
@Suite struct BadInputGoldenTests {
  /// File → the code of its first diagnostic (`nil`: accepted without any diagnostic, as GCC's
  /// cpp honours `#pragma once` silently).
  static let frontEndErrors: [String: DiagnosticCode?] = [
    "b01_missing_semi.defs": .missingSemicolon,
    "b12_unterminated_comment.defs": .unterminatedComment,
    "b13_illegal_char.defs": .illegalCharacter,
    "b21_keyword_as_name.defs": .reservedWord,
    "b22_bad_skip.defs": .expectedToken,
    "b24_number_overflow.defs": .numberTooLarge,
    "b25_pragma.defs": nil,
    "b27_missing_paren.defs": .expectedToken,
    "b31_unknown_flag.defs": .unknownFlag,
    "b36_ctype_missing_colon.defs": .expectedToken,
    "b37_unknown_statement.defs": .expectedStatement,
  ]

  static var badFolder: URL { TestPaths.inputs.appendingPathComponent("bad") }

  static func allBadFiles() -> [String] {
    TestPaths.files(in: badFolder).map(\.lastPathComponent)
  }

  private func parse(_ name: String) throws -> ParsedText {
    try #require(
      FileManager.default.fileExists(atPath: TestPaths.gnuMachIncludes + "/mach/std_types.defs"),
      Comment(rawValue: GNUMachTests.missingFilesMessage))
    let url = Self.badFolder.appendingPathComponent(name)
    return preprocessAndParse(text: TestPaths.text(url), path: "bad/" + name)
  }

  @Test func inventoryIsComplete() {
    #expect(Self.allBadFiles().count == 39)
    #expect(Set(Self.frontEndErrors.keys).isSubset(of: Set(Self.allBadFiles())))
  }

  @Test(arguments: frontEndErrors.keys.sorted())
  func frontEndErrorMatchesGolden(_ name: String) throws {
    let parsed = try parse(name)
    #expect(parsed.diagnostics.first?.code == Self.frontEndErrors[name] ?? nil, "\(parsed.summary)")
    // Every location is real: an existing buffer, a line inside it, a column from 1.
    for diagnostic in parsed.diagnostics {
      let location = try #require(diagnostic.location)
      #expect(parsed.sourceMap[location.buffer].lineText(location.line) != nil)
      #expect(location.column >= 1)
    }
    let rendered = DiagnosticRenderer(sourceMap: parsed.sourceMap).render(parsed.diagnostics)
    let golden = TestPaths.goldens.appendingPathComponent((name as NSString).deletingPathExtension + ".txt")
    if ProcessInfo.processInfo.environment["HURDIDL_UPDATE_GOLDENS"] != nil {
      try rendered.write(to: golden, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOf: golden, encoding: .utf8)
    #expect(rendered == expected)
  }

  @Test(arguments: allBadFiles().filter { !frontEndErrors.keys.contains($0) })
  func semanticErrorPassesTheFrontEnd(_ name: String) throws {
    let parsed = try parse(name)
    #expect(parsed.diagnostics.filter { $0.severity != .note }.isEmpty, "\(parsed.summary)")
  }
}
