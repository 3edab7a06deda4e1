import Foundation
import HurdIDLCompiler
import HurdIDLPreprocessor
import HurdIDLSema
import HurdIDLSource
import HurdIDLSyntax
import Testing

enum Paths {
  static let tests = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  static let fixtures = tests.appendingPathComponent("Fixtures")
  static let goldens = tests.appendingPathComponent("Goldens")
  static let gnuMach = "/usr/include/x86_64-linux-gnu"

  static func defsFiles(in folder: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent(folder).path)) ?? []
    return names.filter { $0.hasSuffix(".defs") }.sorted()
  }

  static var hasGNUMach: Bool { FileManager.default.fileExists(atPath: gnuMach + "/mach/std_types.defs") }
  static let missingGNUMach = Comment(
    rawValue: "gnumach-dev's .defs files are not installed under \(gnuMach); run Scripts/test.sh (it installs them)")
}

/// Reads relative paths below a root directory (so buffers keep short relative names), in-memory
/// files first, and absolute paths from the file system.
struct FixtureResolver: IncludeResolver {
  var root: URL = Paths.fixtures
  var memory: [String: String] = [:]

  func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
    for candidate in IncludeSearch.candidates(name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths) {
      if let text = memory[candidate] { return ResolvedFile(path: candidate, bytes: Array(text.utf8)) }
      let url = candidate.hasPrefix("/") ? URL(fileURLWithPath: candidate) : root.appendingPathComponent(candidate)
      if let data = FileManager.default.contents(atPath: url.path) {
        return ResolvedFile(path: candidate, bytes: [UInt8](data))
      }
    }
    return nil
  }
}

/// The whole front end plus sema on one file.
struct Checked {
  var front: FrontEndResult
  var sema: SemaResult?

  var interface: CheckedInterface? { front.hasErrors ? nil : sema?.interface }
  var diagnostics: [Diagnostic] { front.diagnostics + (sema?.diagnostics ?? []) }
  var codes: [DiagnosticCode] { diagnostics.map(\.code) }
  var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

  /// GCC-style text; gnumach paths shown as `<gnumach>/…`.
  var rendered: String {
    DiagnosticRenderer(
      sourceMap: front.sourceMap,
      displayPath: { path in
        path.hasPrefix(Paths.gnuMach + "/") ? "<gnumach>/" + path.dropFirst(Paths.gnuMach.count + 1) : path
      }
    ).render(diagnostics)
  }

  var summary: String {
    diagnostics.map { "\($0.severity.rawValue) [\($0.code)] \($0.message)" }.joined(separator: "\n")
  }
}

/// Options like GNU MIG's driver plus the flags of a test case: `target: .none` reproduces its
/// `-undef`; `-D__x86_64__` is then one of the defines.
func preprocessorOptions(defines: [String], target: TargetPredefines = .none) -> PreprocessorOptions {
  PreprocessorOptions(includePaths: [Paths.gnuMach], defines: defines, target: target)
}

/// Checks a fixture (path relative to Fixtures/).
func checkFixture(_ path: String, defines: [String] = ["__x86_64__"]) -> Checked {
  run(mainFile: path, resolver: FixtureResolver(), defines: defines)
}

/// Checks in-memory text (includes resolve from gnumach-dev).
func checkText(_ text: String, defines: [String] = ["__x86_64__"]) -> Checked {
  run(mainFile: "test.defs", resolver: FixtureResolver(memory: ["test.defs": text]), defines: defines)
}

func run(mainFile: String, resolver: FixtureResolver, defines: [String], warnsAboutStructLayout: Bool = false)
  -> Checked
{
  let front = FrontEnd.run(mainFile: mainFile, options: preprocessorOptions(defines: defines), resolver: resolver)
  let options = SemaOptions(mainFileOf: front.sourceMap, warnsAboutStructLayout: warnsAboutStructLayout)
  return Checked(front: front, sema: front.syntax.map { Sema.check($0, options: options) })
}

/// The stable JSON of `dump model`.
func modelJSON(_ interface: CheckedInterface) throws -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
  return String(decoding: try encoder.encode(interface), as: UTF8.self) + "\n"
}

/// Compares `actual` with a golden file; `HURDIDL_UPDATE_GOLDENS=1` rewrites it instead.
/// `nil` means "there must be no golden file".
func expectGolden(_ actual: String?, _ relativePath: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
  let url = Paths.goldens.appendingPathComponent(relativePath)
  if ProcessInfo.processInfo.environment["HURDIDL_UPDATE_GOLDENS"] == "1" {
    if let actual {
      try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try? actual.write(to: url, atomically: true, encoding: .utf8)
    } else {
      try? FileManager.default.removeItem(at: url)
    }
    return
  }
  let expected = try? String(contentsOf: url, encoding: .utf8)
  #expect(
    expected == actual,
    "golden \(relativePath) differs (HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLSemaTests regenerates it)",
    sourceLocation: sourceLocation)
}
