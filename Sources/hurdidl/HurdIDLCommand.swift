import ArgumentParser

/// `hurdidl` — the command-line shell around the HurdIDLCompiler library. Everything that touches
/// files or processes lives in this target; the library stays pure.
@main
struct HurdIDLCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "hurdidl",
    abstract: "An interface compiler for MIG .defs files.",
    discussion: """
      Exit status: 0 when no error was reported (warnings allowed), 1 when the input had \
      errors, 64 for usage errors.
      """,
    version: "0.1.0",
    subcommands: [CheckCommand.self, PreprocessCommand.self, DumpCommand.self]
  )
}
