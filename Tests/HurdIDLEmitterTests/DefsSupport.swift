import Foundation
import HurdIDLCompiler
import HurdIDLEmitter
import HurdIDLPlanner
import HurdIDLPreprocessor
import HurdIDLSema
import HurdIDLSource

/// Reads includes from the file system in GCC's search order.
struct DiskResolver: IncludeResolver {
  func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
    for candidate in IncludeSearch.candidates(name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths) {
      if let data = FileManager.default.contents(atPath: candidate) {
        return ResolvedFile(path: candidate, bytes: [UInt8](data))
      }
    }
    return nil
  }
}

/// `.defs` → checked interface → L4 plan → Swift, as `hurdidl generate` does it.
enum DefsToSwift {
  /// Where gnumach-dev installs `mach/std_types.defs`.
  static let machIncludes = "/usr/include/x86_64-linux-gnu"

  struct Result {
    var interface: CheckedInterface?
    var file: GeneratedFile?
    var errors: String
  }

  /// Compiles `path`, shown as `displayPath`, with `includeRoot` (its own folder) and the Mach
  /// headers on the include path.
  static func compile(
    path: String, displayPath: String, includeRoot: String, defines: [String] = [],
    configure: (inout EmitterOptions) -> Void = { _ in }
  ) -> Result {
    let includeRoots = [includeRoot, machIncludes]
    let frontEnd = FrontEnd.run(
      mainFile: path, options: PreprocessorOptions(includePaths: includeRoots, defines: defines),
      resolver: DiskResolver())
    guard let syntax = frontEnd.syntax, !frontEnd.hasErrors else {
      return Result(errors: DiagnosticRenderer(sourceMap: frontEnd.sourceMap).render(frontEnd.diagnostics))
    }
    let sema = Sema.check(syntax, options: SemaOptions(mainFileOf: frontEnd.sourceMap))
    guard let interface = sema.interface else {
      return Result(errors: DiagnosticRenderer(sourceMap: frontEnd.sourceMap).render(sema.diagnostics))
    }
    var options = EmitterOptions(
      sourcePath: displayPath,
      bufferPaths: EmitterOptions.bufferPaths(
        frontEnd.sourceMap, mainFile: path, mainDisplayPath: displayPath, includeRoots: includeRoots))
    configure(&options)
    let file = SwiftEmitter.generate(interface: interface, plan: L4Planner.plan(interface), options: options)
    return Result(interface: interface, file: file, errors: "")
  }
}

/// `Tests/HurdIDLRoundTripServices/<name>.defs`: the interfaces the round-trip tests exercise.
enum RoundTripFixture {
  static let names = ["roundtrip", "kinds", "translations", "objects", "ports"]

  static let folder = URL(filePath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
    .deletingLastPathComponent().appending(path: "HurdIDLRoundTripServices")

  static func compile(_ name: String = "roundtrip", configure: (inout EmitterOptions) -> Void = { _ in })
    -> DefsToSwift.Result
  {
    DefsToSwift.compile(
      path: folder.appending(path: name + ".defs").path, displayPath: name + ".defs", includeRoot: folder.path,
      configure: configure)
  }

  static var interface: CheckedInterface? { compile().interface }

  static func generate(_ name: String = "roundtrip", configure: (inout EmitterOptions) -> Void = { _ in })
    -> GeneratedFile?
  {
    compile(name, configure: configure).file
  }
}
