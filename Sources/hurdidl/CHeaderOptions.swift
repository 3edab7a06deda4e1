import ArgumentParser
import HurdIDLCCheck
import HurdIDLCImport
import HurdIDLCompiler

/// How C headers are parsed (libclang): shared by `--c-check` and `import-c`.
struct CHeaderOptions: ParsableArguments {
  @Option(name: .customLong("c-include"), help: ArgumentHelp("Add a directory to the C header search path.", valueName: "dir"))
  var includePaths: [String] = []

  @Option(name: .customLong("c-define"), help: ArgumentHelp("Define a C macro for the headers.", valueName: "name[=value]"))
  var defines: [String] = []

  @Option(
    name: .customLong("c-target"),
    help: ArgumentHelp("The C target whose layouts are used: x86_64 (default), i386, or a clang target triple.", valueName: "target"))
  var target: String?

  @Option(
    name: .customLong("c-prelude"),
    help: ArgumentHelp(
      "A header included before the imported ones, as the C code around the interface does (e.g. '<mach/message.h>').",
      valueName: "header"))
  var preludeHeaders: [String] = []

  var importOptions: CImportOptions {
    CImportOptions(
      includePaths: includePaths, defines: defines, target: target ?? CImportOptions.defaultTarget,
      preludeHeaders: preludeHeaders.map(Self.spelledHeader))
  }

  /// `<x.h>` and `"x.h"` as written; a bare path is quoted.
  static func spelledHeader(_ header: String) -> String {
    header.hasPrefix("<") || header.hasPrefix("\"") ? header : "\"\(header)\""
  }
}

extension InputOptions {
  /// The C stage's options for `generate`, with a config file's C keys (docs/config.md): the flags
  /// turn it on as the keys do; the command line's folders, macros and prelude come after the
  /// file's, and `--c-target` wins over `cTarget`. `nil`: no C import asked for.
  func cCheckOptions(config: GenerationConfig, configPath: String?) -> CCheckOptions? {
    guard cCheck || cStructs || config.cCheck || config.cStructs else { return nil }
    var options = cCheckOptions
    options.reportsMissingTypes = cCheck || config.cCheck
    options.importOptions.includePaths += configPath.map { config.resolvedCIncludePaths(configPath: $0) } ?? []
    options.importOptions.defines = config.cDefines + options.importOptions.defines
    if cHeaders.target == nil, let target = config.cTarget { options.importOptions.target = target }
    options.importOptions.preludeHeaders = config.cPrelude.map(CHeaderOptions.spelledHeader) + options.importOptions.preludeHeaders
    return options
  }
}
