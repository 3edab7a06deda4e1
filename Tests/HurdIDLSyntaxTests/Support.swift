import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import HurdIDLSyntax

/// A parse of in-memory text through the raw tokenizer (no directives), with its source map.
struct ParsedText {
  var result: ParseResult
  var sourceMap: SourceMap
  var file: DefsFile { result.file }
  var diagnostics: [Diagnostic] { result.diagnostics }
  var errors: [Diagnostic] { result.diagnostics.filter { $0.severity == .error } }

  /// Diagnostics as `line:column: severity: message [code]`, one per line.
  var summary: [String] {
    diagnostics.map { diagnostic in
      let place = diagnostic.location.map { "\($0.line):\($0.column)" } ?? "-"
      return "\(place): \(diagnostic.severity.rawValue): \(diagnostic.message) [\(diagnostic.code)]"
    }
  }

  var rendered: String {
    DiagnosticRenderer(sourceMap: sourceMap).render(diagnostics)
  }
}

func parseText(_ text: String, path: String = "test.defs", options: ParseOptions = ParseOptions()) -> ParsedText {
  var map = SourceMap()
  let id = map.addBuffer(path: path, bytes: Array(text.utf8))
  let (tokens, tokenizerDiagnostics) = Tokenizer.tokenize(map[id])
  var result = Parser.parse(tokens: tokens, options: options)
  result.diagnostics = tokenizerDiagnostics + result.diagnostics
  return ParsedText(result: result, sourceMap: map)
}

/// Prints, re-parses, and returns both trees without locations plus the printed text.
func roundTrip(_ file: DefsFile) -> (original: DefsFile, reparsed: DefsFile, text: String, reparseDiagnostics: [Diagnostic]) {
  let text = DefsPrinter().print(file)
  let again = parseText(text, path: "printed.defs")
  return (file.withoutLocations(), again.file.withoutLocations(), text, again.diagnostics)
}

enum TestPaths {
  static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  static let inputs = testsDirectory.appendingPathComponent("Inputs")
  static let goldens = testsDirectory.appendingPathComponent("Goldens")
  static let repositoryRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
  static let gnuMachIncludes = "/usr/include/x86_64-linux-gnu"

  static func files(in folder: URL, extension ext: String = "defs") -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.filter { $0.hasSuffix("." + ext) }.sorted().map { folder.appendingPathComponent($0) }
  }

  static func text(_ url: URL) -> String {
    (try? String(contentsOf: url, encoding: .utf8)) ?? ""
  }
}

/// Reads includes from the real file system (GCC search order).
struct DiskIncludeResolver: IncludeResolver {
  func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
    for candidate in IncludeSearch.candidates(name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths) {
      if let data = FileManager.default.contents(atPath: candidate) { return ResolvedFile(path: candidate, bytes: [UInt8](data)) }
    }
    return nil
  }
}

/// Preprocesses (default x86_64 predefines, `-I /usr/include/x86_64-linux-gnu`) and parses.
func preprocessAndParse(
  text: String, path: String, defines: [String] = [], options: ParseOptions = ParseOptions()
) -> ParsedText {
  let unit = Preprocessor.preprocess(
    text: text, path: path,
    options: PreprocessorOptions(includePaths: [TestPaths.gnuMachIncludes], defines: defines),
    resolver: DiskIncludeResolver())
  var result = Parser.parse(tokens: unit.tokens, options: options)
  result.diagnostics = unit.diagnostics + result.diagnostics
  return ParsedText(result: result, sourceMap: unit.sourceMap)
}

func preprocessAndParse(file url: URL, defines: [String] = []) -> ParsedText {
  preprocessAndParse(text: TestPaths.text(url), path: url.path, defines: defines)
}
