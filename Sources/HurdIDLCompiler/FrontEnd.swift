public import HurdIDLPreprocessor
public import HurdIDLSource
public import HurdIDLSyntax

/// What the front end made of one `.defs` file: the source map every location refers to, the
/// syntax tree, and every diagnostic of every stage in order.
public struct FrontEndResult: Sendable {
  public var mainFile: String
  public var sourceMap: SourceMap
  /// The preprocessed tokens the parser read.
  public var tokens: [PPToken]
  /// The syntax tree (statements with syntax errors are left out of it); `nil` when the input
  /// could not be read at all.
  public var syntax: DefsFile?
  public var diagnostics: [Diagnostic]

  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// The compiler's front end as a library: preprocess → lex → parse. It reads files only through
/// the injected ``IncludeResolver`` and has no other side effects, so the CLI, the build plugin,
/// tests and fuzzers all run exactly the same code.
public enum FrontEnd {
  /// Runs the built-in preprocessor on `mainFile` (found through `resolver`) and parses the result.
  public static func run(
    mainFile: String, options: PreprocessorOptions, resolver: some IncludeResolver
  ) -> FrontEndResult {
    let unit = Preprocessor.preprocess(mainFile: mainFile, options: options, resolver: resolver)
    return parse(unit, mainFile: mainFile)
  }

  /// Parses text that an external preprocessor already produced (GCC line markers are honoured,
  /// so locations still point into the original files).
  public static func run(externallyPreprocessed text: String, mainFile: String) -> FrontEndResult {
    parse(Preprocessor.tokenizeExternalOutput(text: text, mainPath: mainFile), mainFile: mainFile)
  }

  /// A result for an input that could not be read at all (the diagnostic says why).
  public static func failed(mainFile: String, diagnostic: Diagnostic) -> FrontEndResult {
    FrontEndResult(
      mainFile: mainFile, sourceMap: SourceMap(), tokens: [], syntax: nil,
      diagnostics: [diagnostic])
  }

  private static func parse(_ unit: PreprocessedUnit, mainFile: String) -> FrontEndResult {
    let parsed = Parser.parse(tokens: unit.tokens)
    return FrontEndResult(
      mainFile: mainFile, sourceMap: unit.sourceMap, tokens: unit.tokens, syntax: parsed.file,
      diagnostics: unit.diagnostics + parsed.diagnostics)
  }
}
