import ArgumentParser
import HurdIDLCCheck
import HurdIDLPreprocessor

/// The options every command that reads `.defs` files shares: files, preprocessor and
/// diagnostic settings.
struct InputOptions: ParsableArguments {
  @Argument(help: "The .defs files to read.")
  var files: [String]

  @Option(name: .customShort("I", allowingJoined: true), help: ArgumentHelp("Add a directory to the include search path.", valueName: "dir"))
  var includePaths: [String] = []

  @Option(
    name: .customShort("D", allowingJoined: true),
    help: ArgumentHelp("Define a macro (NAME or NAME=VALUE; the value may contain spaces, quotes and ';').", valueName: "name[=value]"))
  var defines: [String] = []

  @Option(name: .customShort("U", allowingJoined: true), help: ArgumentHelp("Undefine a macro.", valueName: "name"))
  var undefines: [String] = []

  @Option(name: .customLong("imacros", withSingleDash: true), help: ArgumentHelp("Read the macros of a file before the input.", valueName: "file"))
  var imacros: [String] = []

  @Option(help: "The target whose predefined macros are set: x86_64 (__x86_64__, __LP64__), i386, or none.")
  var target: TargetPredefines = .x86_64

  @Option(
    help: ArgumentHelp(
      "Use an external preprocessor command instead of the built-in one; it gets the -I/-D/-U options and the file name appended.",
      valueName: "command"))
  var cpp: String?

  @Option(help: "How diagnostics are printed on standard error: text (GCC style) or json (one object per line).")
  var diagnosticsFormat: DiagnosticFormat = .text

  @Flag(help: "Do not print the source line and caret under each diagnostic.")
  var noSourceLines = false

  @Flag(name: .customLong("c-check"), help: "Check every type's C type in the imported headers (needs libclang).")
  var cCheck = false

  @Flag(
    name: .customLong("c-structs"),
    help: "With generate: C structs become Swift structs with their C fields (imports the headers like --c-check).")
  var cStructs = false

  @OptionGroup var cHeaders: CHeaderOptions

  /// The C stage's options: missing C types are warned about only under `--c-check`.
  var cCheckOptions: CCheckOptions {
    CCheckOptions(importOptions: cHeaders.importOptions, reportsMissingTypes: cCheck)
  }

  /// `-D`/`-U` in command-line order: ArgumentParser gives us two lists, so the order is read
  /// back from the raw arguments (`-DX -UX` and `-UX -DX` differ).
  func preprocessorOptions(arguments: [String] = CommandLine.arguments) -> PreprocessorOptions {
    var options = PreprocessorOptions(
      includePaths: includePaths, defines: defines, undefines: undefines, imacrosFiles: imacros, target: target)
    let ordered = CommandLineMacro.inCommandLineOrder(Array(arguments.dropFirst()))
    // Use the raw order only when it is exactly what ArgumentParser parsed (not, say, a value
    // of another option that happens to start with -D).
    if ordered.sorted(by: { "\($0)" < "\($1)" }) == options.commandLineMacros.sorted(by: { "\($0)" < "\($1)" }) {
      options.commandLineMacros = ordered
    }
    return options
  }
}

extension TargetPredefines: ExpressibleByArgument {}

enum DiagnosticFormat: String, ExpressibleByArgument, CaseIterable {
  case text, json
}
