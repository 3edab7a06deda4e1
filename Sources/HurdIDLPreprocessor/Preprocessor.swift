public import HurdIDLSource

/// The output of preprocessing one main file.
public struct PreprocessedUnit: Sendable {
  /// Directives removed, macros expanded. Each token's location is where it is spelled; tokens
  /// produced by a macro carry the expansion (recorded in ``sourceMap``).
  public var tokens: [PPToken]
  public var sourceMap: SourceMap
  public var diagnostics: [Diagnostic]
  /// Every file read, main file first, in the order they were opened (for dependency files).
  public var includedFiles: [String]

  public init(tokens: [PPToken], sourceMap: SourceMap, diagnostics: [Diagnostic], includedFiles: [String]) {
    self.tokens = tokens
    self.sourceMap = sourceMap
    self.diagnostics = diagnostics
    self.includedFiles = includedFiles
  }

  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// The built-in C preprocessor for `.defs` files: hermetic (files come through an
/// ``IncludeResolver``), GCC-compatible for everything interface files use. See
/// docs/preprocessor.md.
public struct Preprocessor: Sendable {
  /// Preprocesses `mainFile`, read through `resolver` (asked with `includer: nil` and no search
  /// paths). A main file that cannot be read gives a `missing-input` error and no tokens.
  public static func preprocess(
    mainFile: String, options: PreprocessorOptions = PreprocessorOptions(), resolver: some IncludeResolver
  ) -> PreprocessedUnit {
    var engine = Engine(options: options, resolver: resolver)
    engine.prepare()
    guard let file = resolver.resolve(name: mainFile, isAngled: false, includer: nil, searchPaths: []) else {
      engine.error(.missingInput, "cannot read '\(mainFile)'", at: nil)
      return engine.finish()
    }
    engine.runMain(path: file.path, bytes: file.bytes)
    return engine.finish()
  }

  /// Preprocesses in-memory text as if it were the file `path` (its directory is searched first
  /// by `#include "…"`).
  public static func preprocess(
    text: String, path: String, options: PreprocessorOptions = PreprocessorOptions(),
    resolver: some IncludeResolver = InMemoryIncludeResolver([:])
  ) -> PreprocessedUnit {
    var engine = Engine(options: options, resolver: resolver)
    engine.prepare()
    engine.runMain(path: path, bytes: Array(text.utf8))
    return engine.finish()
  }
}

extension Engine {
  /// Predefined macros, then `-D`/`-U` in order, then `-imacros` files — GCC's order.
  mutating func prepare() {
    var builtins: [String] = []
    if options.definesStandardMacros { builtins += ["__STDC__=1", "__STDC_HOSTED__=1"] }
    builtins += options.target.definitions
    processCommandLine(builtins.map { Self.directiveLine(for: .define($0)) }, path: "<built-in>", kind: .builtin)
    processCommandLine(options.commandLineMacros.map(Self.directiveLine), path: "<command line>", kind: .commandLine)
    for name in options.imacrosFiles {
      guard let file = resolver.resolve(name: name, isAngled: false, includer: nil, searchPaths: options.includePaths)
      else {
        error(.missingInclude, "-imacros file '\(name)' not found", at: nil)
        continue
      }
      let buffer = sourceMap.addBuffer(path: file.path, kind: .file, bytes: file.bytes)
      includedFiles.append(file.path)
      process(buffer: buffer, path: file.path, emits: false)
    }
  }

  mutating func runMain(path: String, bytes: [UInt8]) {
    let buffer = sourceMap.addBuffer(path: path, kind: .file, bytes: bytes)
    includedFiles.insert(path, at: 0)
    process(buffer: buffer, path: path, emits: true)
  }

  func finish() -> PreprocessedUnit {
    PreprocessedUnit(tokens: output, sourceMap: sourceMap, diagnostics: bag.diagnostics, includedFiles: includedFiles)
  }
}
