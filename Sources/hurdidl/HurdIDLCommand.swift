import ArgumentParser

/// `hurdidl` — the command-line shell around the HurdIDLCompiler library. Everything that touches
/// files or processes lives in this target; the library stays pure. The executable
/// (Sources/HurdIDLMain) only calls ``main()``.
public struct HurdIDLCommand: ParsableCommand {
  public init() {}

  public static let configuration = CommandConfiguration(
    commandName: "hurdidl",
    abstract: "An interface compiler for MIG .defs files.",
    discussion: """
      Exit status: 0 when no error was reported (warnings allowed), 1 when the input had \
      errors, 64 for usage errors.
      """,
    version: "0.1.0",
    subcommands: [CheckCommand.self, PreprocessCommand.self, DumpCommand.self, GenerateCommand.self, ImportCCommand.self]
  )

  public static func main() {
    main(CompilerStyleArguments.normalize(Array(CommandLine.arguments.dropFirst())))
  }
}

/// Lets the C-compiler spellings `-DNAME=VALUE`, `-UNAME` and `-IDIR` through: ArgumentParser
/// reads `-DNAME=VALUE` as an unknown single-dash long option, so joined values are split into
/// two arguments before parsing.
enum CompilerStyleArguments {
  static let joinable = ["-D", "-U", "-I"]
  /// Options whose next argument is a value that must be left alone.
  /// Every option of every subcommand that takes a value (a test checks this against the
  /// commands' own definitions), so `--c-define -DX` keeps `-DX` whole.
  static let takesValue: Set<String> = [
    "-D", "-U", "-I", "-imacros", "--cpp", "--target", "--diagnostics-format", "--format", "--wire", "--type",
    "--output-dir", "--output", "--config", "--shared", "--access-level", "--naming", "--module-name",
    "--c-include", "--c-define", "--c-target", "--c-prelude",
  ]

  static func normalize(_ arguments: [String]) -> [String] {
    var result: [String] = []
    var index = 0
    while index < arguments.count {
      let argument = arguments[index]
      if argument == "--" {
        result += arguments[index...]
        break
      }
      if takesValue.contains(argument) {
        result.append(argument)
        if index + 1 < arguments.count { result.append(arguments[index + 1]) }
        index += 2
        continue
      }
      if let prefix = joinable.first(where: { argument.hasPrefix($0) && argument.count > $0.count }) {
        result += [prefix, String(argument.dropFirst(prefix.count))]
      } else {
        result.append(argument)
      }
      index += 1
    }
    return result
  }
}
