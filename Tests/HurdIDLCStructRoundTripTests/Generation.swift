import Foundation
import HurdIDLCCheck
import HurdIDLCImport
import HurdIDLCompiler
import HurdIDLEmitter
import HurdIDLPreprocessor
import HurdIDLSource

/// cstructs.defs → Swift with its C structs mapped, exactly as
/// `hurdidl generate --c-structs --output-dir … cstructs.defs` does it.
enum CStructsFixture {
  static let folder = URL(filePath: #filePath).deletingLastPathComponent().path
  static let defs = folder + "/cstructs.defs"
  static let header = folder + "/cstructs.h"
  static let generated = folder + "/cstructs.hurdidl.swift"

  struct Output {
    var file: GeneratedFile?
    var diagnostics: [Diagnostic]
  }

  static func generate(_ path: String = defs, includePaths: [String] = [folder]) -> Output {
    let frontEnd = FrontEnd.run(mainFile: path, options: PreprocessorOptions(includePaths: includePaths), resolver: Resolver())
    let checked = CCheck.runKeepingTypes(Compiler.check(frontEnd), options: CCheckOptions(reportsMissingTypes: false))
    guard let interface = checked.file.interface else { return Output(file: nil, diagnostics: checked.file.diagnostics) }
    var options = EmitterOptions(sourcePath: (path as NSString).lastPathComponent)
    options.cTypes = checked.cTypes
    let file = SwiftEmitter.generate(interface: interface, plan: Compiler.l4Plan(interface), options: options)
    return Output(file: file, diagnostics: checked.file.diagnostics + file.diagnostics)
  }

  struct Resolver: IncludeResolver {
    func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
      for candidate in IncludeSearch.candidates(name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths) {
        if let data = FileManager.default.contents(atPath: candidate) { return ResolvedFile(path: candidate, bytes: [UInt8](data)) }
      }
      return nil
    }
  }
}
