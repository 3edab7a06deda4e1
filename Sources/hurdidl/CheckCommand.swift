import ArgumentParser

/// `hurdidl check`: runs the front end and semantic analysis and reports every diagnostic.
/// Exit 0 when clean or only warnings, 1 on any error.
struct CheckCommand: ConsoleCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check .defs files and report diagnostics.",
    discussion: "Several files are checked in one process, each independently.")

  @OptionGroup var input: InputOptions

  /// Returns true when any file had an error.
  func execute(console: inout Console, arguments: [String] = CommandLine.arguments) -> Bool {
    let results = Driver(options: input, arguments: arguments).check(console: &console)
    return results.contains { $0.hasErrors }
  }
}
