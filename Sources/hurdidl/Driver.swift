import ArgumentParser
import Foundation
import HurdIDLCompiler
import HurdIDLPreprocessor
import HurdIDLSource

/// Text a command wants printed; collected so tests can run commands without a terminal.
struct Console {
  var standardOutput = ""
  var standardError = ""

  func flush() {
    FileHandle.standardOutput.write(Data(standardOutput.utf8))
    FileHandle.standardError.write(Data(standardError.utf8))
  }
}

/// Runs the front end for each input file and prints diagnostics as the options ask.
struct Driver {
  let options: InputOptions
  var arguments: [String] = CommandLine.arguments

  /// Runs the front end and sema on every input, reporting every diagnostic; returns the
  /// results in input order.
  func check(console: inout Console) -> [CheckedFile] {
    runFrontEnd(reporting: false, console: &console).map { frontEnd in
      let checked = Compiler.check(frontEnd)
      report(checked.diagnostics, sourceMap: checked.sourceMap, console: &console)
      return checked
    }
  }

  /// Runs the front end on every input; returns the results in input order. `preprocessorOptions`
  /// replaces the ones the command line gives (`generate` adds a config file's).
  func runFrontEnd(
    reporting: Bool = true, preprocessorOptions: PreprocessorOptions? = nil, console: inout Console
  ) -> [FrontEndResult] {
    let preprocessorOptions = preprocessorOptions ?? options.preprocessorOptions(arguments: arguments)
    let resolver = FileSystemIncludeResolver()
    return options.files.map { file in
      let result: FrontEndResult
      if let command = options.cpp {
        switch ExternalPreprocessor.run(command: command, file: file, options: preprocessorOptions) {
        case .success(let text):
          result = FrontEnd.run(externallyPreprocessed: text, mainFile: file)
        case .failure(let failure):
          result = FrontEnd.failed(mainFile: file, diagnostic: failure.diagnostic)
        }
      } else {
        result = FrontEnd.run(mainFile: file, options: preprocessorOptions, resolver: resolver)
      }
      if reporting {
        report(result.diagnostics, sourceMap: result.sourceMap, console: &console)
      }
      return result
    }
  }

  func report(_ diagnostics: [Diagnostic], sourceMap: SourceMap, console: inout Console) {
    let renderer = DiagnosticRenderer(sourceMap: sourceMap, showsSourceLine: !options.noSourceLines)
    switch options.diagnosticsFormat {
    case .text:
      console.standardError += renderer.render(diagnostics)
    case .json:
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      for diagnostic in diagnostics {
        if let data = try? encoder.encode(renderer.resolve(diagnostic)) {
          console.standardError += String(decoding: data, as: UTF8.self) + "\n"
        }
      }
    }
  }
}

extension DiagnosticCode {
  static let externalPreprocessorFailed: DiagnosticCode = "external-preprocessor-failed"
}

/// Runs `--cpp COMMAND` through `/bin/sh`, appending the -I/-D/-U options and the file.
enum ExternalPreprocessor {
  struct Failure: Error {
    let diagnostic: Diagnostic
  }

  static func run(command: String, file: String, options: PreprocessorOptions) -> Result<String, Failure> {
    var words = [command]
    words += options.includePaths.map { "-I" + quote($0) }
    for macro in options.commandLineMacros {
      switch macro {
      case .define(let text): words.append("-D" + quote(text))
      case .undefine(let name): words.append("-U" + quote(name))
      }
    }
    words += options.imacrosFiles.map { "-imacros " + quote($0) }
    words.append(quote(file))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", words.joined(separator: " ")]
    let output = Pipe()
    process.standardOutput = output
    // Standard error goes to a file, so a chatty preprocessor can never block on a full pipe
    // while we read standard output.
    let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-cpp-\(UUID().uuidString).err")
    defer { try? FileManager.default.removeItem(at: errorFile) }
    do {
      guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: errorFile.path])
      }
      process.standardError = try FileHandle(forWritingTo: errorFile)
      try process.run()
    } catch {
      return .failure(Failure(diagnostic: .error(.externalPreprocessorFailed, "cannot run '\(command)': \(error)", at: nil)))
    }
    let text = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let errorText = FileManager.default.contents(atPath: errorFile.path) ?? Data()
    guard process.terminationStatus == 0 else {
      let message = String(decoding: errorText, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      return .failure(
        Failure(
          diagnostic: .error(
            .externalPreprocessorFailed,
            "external preprocessor exited with status \(process.terminationStatus)\(message.isEmpty ? "" : ":\n" + message)",
            at: nil)))
    }
    return .success(String(decoding: text, as: UTF8.self))
  }

  private static func quote(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}

/// A command whose work is `execute`, writing into a ``Console`` so tests can run it in-process;
/// `run` prints what it collected and turns failure into exit status 1.
protocol ConsoleCommand: ParsableCommand {
  /// Returns true when any input had an error.
  func execute(console: inout Console, arguments: [String]) throws -> Bool
}

extension ConsoleCommand {
  func run() throws {
    var console = Console()
    let failed = try execute(console: &console, arguments: CommandLine.arguments)
    console.flush()
    if failed { throw ExitCode(1) }
  }
}
