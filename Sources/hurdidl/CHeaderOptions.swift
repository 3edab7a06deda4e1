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

  var importOptions: CImportOptions {
    CImportOptions(includePaths: includePaths, defines: defines, target: target)
  }
}
