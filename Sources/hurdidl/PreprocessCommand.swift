import ArgumentParser
import HurdIDLPreprocessor

/// `hurdidl preprocess`: prints what the built-in preprocessor makes of each file, like `cpp -E`.
struct PreprocessCommand: ConsoleCommand {
  static let configuration = CommandConfiguration(
    commandName: "preprocess",
    abstract: "Print the preprocessed text of .defs files (like cpp -E).")

  @OptionGroup var input: InputOptions

  @Flag(help: "Leave out the '# N \"file\"' line markers.")
  var noLineMarkers = false

  func execute(console: inout Console, arguments: [String] = CommandLine.arguments) -> Bool {
    let options = input.preprocessorOptions(arguments: arguments)
    let driver = Driver(options: input, arguments: arguments)
    var failed = false
    for file in input.files {
      let unit = Preprocessor.preprocess(mainFile: file, options: options, resolver: FileSystemIncludeResolver())
      console.standardOutput += unit.render(lineMarkers: !noLineMarkers)
      driver.report(unit.diagnostics, sourceMap: unit.sourceMap, console: &console)
      failed = failed || unit.diagnostics.contains { $0.severity == .error }
    }
    return failed
  }
}
