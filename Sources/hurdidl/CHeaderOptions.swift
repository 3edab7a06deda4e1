import ArgumentParser
import HurdIDLCImport

/// How C headers are parsed (libclang): shared by `--c-check` and `import-c`.
struct CHeaderOptions: ParsableArguments {
  @Option(name: .customLong("c-include"), help: ArgumentHelp("Add a directory to the C header search path.", valueName: "dir"))
  var includePaths: [String] = []

  @Option(name: .customLong("c-define"), help: ArgumentHelp("Define a C macro for the headers.", valueName: "name[=value]"))
  var defines: [String] = []

  @Option(
    name: .customLong("c-target"),
    help: ArgumentHelp("The C target whose layouts are used: x86_64, i386, or a clang target triple.", valueName: "target"))
  var target: String = CImportOptions.defaultTarget

  @Option(
    name: .customLong("c-prelude"),
    help: ArgumentHelp(
      "A header included before the imported ones, as the C code around the interface does (e.g. '<mach/message.h>').",
      valueName: "header"))
  var preludeHeaders: [String] = []

  var importOptions: CImportOptions {
    CImportOptions(
      includePaths: includePaths, defines: defines, target: target,
      preludeHeaders: preludeHeaders.map { $0.hasPrefix("<") || $0.hasPrefix("\"") ? $0 : "\"\($0)\"" })
  }
}
