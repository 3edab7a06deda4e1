import Foundation
import HurdIDLCompiler
import HurdIDLPlanner
import HurdIDLPreprocessor
import HurdIDLSema
import HurdIDLSource

enum PlannerTestPaths {
  static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
  static let goldens = testsDirectory.appendingPathComponent("Goldens")
  /// Where gnumach-dev installs `mach/std_types.defs`.
  static let machIncludes = "/usr/include/x86_64-linux-gnu"

  static func defsFiles(in folder: String) -> [URL] {
    let directory = fixtures.appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.filter { $0.hasSuffix(".defs") }.sorted().map { directory.appendingPathComponent($0) }
  }
}

/// The installed `mach/`, `device/` and `mach_debug/` `.defs` files, read once into memory so every test uses the in-memory
/// resolver (the front end itself never touches the disk).
enum InstalledMachDefs {
  static let files: [String: String] = {
    var files: [String: String] = [:]
    for folder in ["mach", "device", "mach_debug"] {
      collect(directory: PlannerTestPaths.machIncludes + "/" + folder, depth: 0, into: &files)
    }
    return files
  }()

  /// Follows directory symlinks (`mach/machine` → `x86_64`), as the preprocessor's path lookup would.
  private static func collect(directory: String, depth: Int, into files: inout [String: String]) {
    guard depth < 4, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
    for name in names.sorted() {
      let path = directory + "/" + name
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
      if isDirectory.boolValue {
        collect(directory: path, depth: depth + 1, into: &files)
      } else if name.hasSuffix(".defs"), let text = try? String(contentsOfFile: path, encoding: .utf8) {
        files[path] = text
      }
    }
  }
}

/// Front end + sema on in-memory text.
struct CheckedText {
  var frontEnd: FrontEndResult
  var sema: SemaResult?
  var interface: CheckedInterface? { sema?.interface }
  var diagnostics: [Diagnostic] { frontEnd.diagnostics + (sema?.diagnostics ?? []) }
  var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

  var renderedErrors: String {
    DiagnosticRenderer(sourceMap: frontEnd.sourceMap).render(errors)
  }
}

func check(text: String, path: String = "/test/input.defs", defines: [String] = []) -> CheckedText {
  var files = InstalledMachDefs.files
  files[path] = text
  let frontEnd = FrontEnd.run(
    mainFile: path, options: PreprocessorOptions(includePaths: [PlannerTestPaths.machIncludes], defines: defines),
    resolver: InMemoryIncludeResolver(files))
  guard let syntax = frontEnd.syntax, !frontEnd.hasErrors else { return CheckedText(frontEnd: frontEnd, sema: nil) }
  return CheckedText(frontEnd: frontEnd, sema: Sema.check(syntax, options: SemaOptions(mainFileOf: frontEnd.sourceMap)))
}

/// `dump plan --wire l4` JSON: sorted keys, pretty printed, trailing newline.
func planJSON(_ plan: L4InterfacePlan) throws -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
  return String(decoding: try encoder.encode(plan), as: UTF8.self) + "\n"
}

enum Goldens {
  static var updating: Bool { ProcessInfo.processInfo.environment["HURDIDL_UPDATE_GOLDENS"] == "1" }

  /// Compares `actual` with the golden file (or rewrites it when updating). Returns a failure
  /// message, or nil when equal.
  static func compare(_ actual: String, golden relative: String) -> String? {
    let url = PlannerTestPaths.goldens.appendingPathComponent(relative)
    if updating {
      try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      try? actual.write(to: url, atomically: true, encoding: .utf8)
      return nil
    }
    guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
      return
        "missing golden \(relative); create it with HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLPlannerTests"
    }
    if expected == actual { return nil }
    return
      "\(relative) differs; review and regenerate with HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLPlannerTests"
  }
}
