public import HurdIDLCTypes
public import HurdIDLEmitter
import HurdIDLPreprocessor
public import HurdIDLSource

/// What `hurdidl generate` is asked to do, after command-line flags and the config file are
/// merged. The CLI and the build plugin (which runs the CLI) both go through ``Generator``, so
/// naming and the write decision cannot drift apart.
public struct GenerationRequest: Sendable {
  /// Each input after the front end, in command-line order.
  public var inputs: [FrontEndResult]
  /// The `-I` directories; with each input's own folder they are the roots that display paths
  /// (file headers, doc comments) are relative to, so no absolute path lands in generated code.
  public var includePaths: [String]
  public var client: Bool
  public var server: Bool
  /// Where the declarations both sides use go (`EmitterOptions.SharedDeclarations`); anything
  /// but `.included` also changes the output names (`<stem>.shared.hurdidl.swift`, …).
  public var shared: EmitterOptions.SharedDeclarations = .included
  public var accessLevel: EmitterOptions.AccessLevel
  public var naming: NamingStyle
  /// Where outputs go, named by ``OutputNaming``.
  public var outputDirectory: String
  /// The exact output path for a single input (the build plugin names outputs before the tool
  /// runs); overrides `outputDirectory`.
  public var outputFile: String?
  /// The C stage after sema (`--c-check`, `--c-structs`; docs/c-import.md), supplied by the caller
  /// so that this module does not depend on libclang: it may add diagnostics (and take the
  /// interface away on an error) and returns the C type table. `nil`: no C import.
  public var cStage: (@Sendable (CheckedFile) -> (file: CheckedFile, cTypes: CTypeTable?))?
  /// Generate Swift structs for C structs with the table the C stage returns (`--c-structs`).
  public var mapsCStructs = false
  /// The Swift module every output is compiled into (`--module-name`, `EmitterOptions.moduleName`):
  /// named in each header; an input whose types meet an earlier input's in that module is an error.
  public var moduleName: String?

  public init(
    inputs: [FrontEndResult], includePaths: [String] = [], client: Bool = true, server: Bool = true,
    accessLevel: EmitterOptions.AccessLevel = .internal, naming: NamingStyle = .swift, outputDirectory: String,
    outputFile: String? = nil
  ) {
    self.inputs = inputs
    self.includePaths = includePaths
    self.client = client
    self.server = server
    self.accessLevel = accessLevel
    self.naming = naming
    self.outputDirectory = outputDirectory
    self.outputFile = outputFile
  }
}

/// One file the generator wants on disk.
public struct PlannedOutput: Sendable, Equatable {
  /// The input's display path (relative to its include root).
  public var input: String
  public var path: String
  public var contents: String
  /// The file already holds exactly `contents`: leave it alone, so its modification time (and
  /// every build step that watches it) stays put.
  public var isUnchanged: Bool

  public var needsWrite: Bool { !isUnchanged }
}

/// The diagnostics of one input, with the source map their locations refer to.
public struct InputDiagnostics: Sendable {
  public var mainFile: String
  public var sourceMap: SourceMap
  /// Front end, sema and emitter diagnostics, in that order.
  public var diagnostics: [Diagnostic]
}

/// What ``Generator/plan(_:existingContents:)`` decided.
public struct GenerationResult: Sendable {
  /// Per input, in input order.
  public var inputs: [InputDiagnostics]
  /// The files to write (those with ``PlannedOutput/isUnchanged`` need no write).
  public var outputs: [PlannedOutput]
  /// Errors that belong to no input's source (two inputs that would share an output).
  public var errors: [String]

  public var hasErrors: Bool {
    !errors.isEmpty || inputs.contains { $0.diagnostics.contains { $0.severity == .error } }
  }
}

/// `.defs` front-end results → the Swift files to write and every diagnostic, without touching
/// the file system: the caller reads existing outputs through `existingContents` and does the
/// writing, so tests run it in memory.
public enum Generator {
  public static func plan(
    _ request: GenerationRequest, existingContents: (String) -> [UInt8]?
  ) -> GenerationResult {
    let displayPaths = request.inputs.map { displayPath(of: $0.mainFile, includePaths: request.includePaths) }
    let namingPaths = namingPaths(displayPaths: displayPaths, mainFiles: request.inputs.map(\.mainFile))
    let stems = OutputNaming.stems(forInputs: namingPaths)
    let naming = EmitterOptions(client: request.client, server: request.server, shared: request.shared, sourcePath: "")
    let fileNames = stems.map { naming.fileName(stem: $0) }
    let collisions = OutputNaming.collisions(forInputs: namingPaths, names: fileNames)
    let colliding = Set(collisions.map(\.input))
    var result = GenerationResult(
      inputs: [], outputs: [],
      errors: collisions.map { "\($0.input) and \($0.earlier) would both be written to \($0.fileName); rename one of them" })
    // Type name → the input that declared it first, in the module (`moduleName`).
    var declaredTypes: [String: String] = [:]
    for (index, frontEnd) in request.inputs.enumerated() {
      var checked = Compiler.check(frontEnd)
      var cTypes: CTypeTable?
      if let cStage = request.cStage { (checked, cTypes) = cStage(checked) }
      var report = InputDiagnostics(mainFile: frontEnd.mainFile, sourceMap: checked.sourceMap, diagnostics: checked.diagnostics)
      defer { result.inputs.append(report) }
      guard let interface = checked.interface else { continue }
      let display = displayPaths[index]
      var options = EmitterOptions(
        client: request.client, server: request.server, shared: request.shared, accessLevel: request.accessLevel,
        naming: request.naming,
        sourcePath: display,
        bufferPaths: EmitterOptions.bufferPaths(
          checked.sourceMap, mainFile: checked.mainFile, mainDisplayPath: display,
          includeRoots: includeRoots(of: checked.mainFile, includePaths: request.includePaths)))
      options.cTypes = request.mapsCStructs ? cTypes : nil
      options.moduleName = request.moduleName
      let file = SwiftEmitter.generate(interface: interface, plan: Compiler.l4Plan(interface), options: options)
      report.diagnostics += file.diagnostics
      guard !colliding.contains(namingPaths[index]), !file.diagnostics.contains(where: { $0.severity == .error }) else { continue }
      if let module = request.moduleName {
        let clashes = file.topLevelTypes.compactMap { name in declaredTypes[name].map { (name, $0) } }
        if let (name, earlier) = clashes.first {
          result.errors.append(
            "\(display) and \(earlier) would both declare '\(name)' in module \(module); rename one subsystem (or generate them into different modules)")
          continue
        }
        for name in file.topLevelTypes { declaredTypes[name] = display }
      }
      let path = request.outputFile ?? join(request.outputDirectory, fileNames[index])
      let unchanged = existingContents(path).map { $0.elementsEqual(file.contents.utf8) } ?? false
      result.outputs.append(PlannedOutput(input: display, path: path, contents: file.contents, isUnchanged: unchanged))
    }
    return result
  }

  /// The input relative to the first include root that holds it (the `-I` directories, then its
  /// own folder), else its file name.
  public static func displayPath(of path: String, includePaths: [String]) -> String {
    for root in includeRoots(of: path, includePaths: includePaths) where !root.isEmpty {
      let prefix = root.hasSuffix("/") ? root : root + "/"
      if path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
    }
    return path.split(separator: "/").last.map(String.init) ?? path
  }

  /// The paths outputs are named after: the display paths, except that inputs sharing a display
  /// path (`a/x.defs` and `b/x.defs`, each relative to its own folder) are named after their
  /// paths below the deepest folder they all share.
  static func namingPaths(displayPaths: [String], mainFiles: [String]) -> [String] {
    var result = displayPaths
    for display in Set(displayPaths) {
      let indices = displayPaths.indices.filter { displayPaths[$0] == display }
      guard indices.count > 1 else { continue }
      let folders = indices.map { mainFiles[$0].split(separator: "/", omittingEmptySubsequences: false).dropLast() }
      var shared = 0
      while let first = folders.first, shared < first.count,
        folders.allSatisfy({ shared < $0.count && $0[$0.startIndex + shared] == first[first.startIndex + shared] })
      {
        shared += 1
      }
      for index in indices {
        result[index] = mainFiles[index].split(separator: "/", omittingEmptySubsequences: false).dropFirst(shared)
          .joined(separator: "/")
      }
    }
    return result
  }

  static func includeRoots(of path: String, includePaths: [String]) -> [String] {
    includePaths + [IncludeSearch.directory(of: path)]
  }

  static func join(_ directory: String, _ name: String) -> String {
    directory.isEmpty ? name : directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }
}
