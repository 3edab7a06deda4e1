import Foundation

enum OracleError: Error, CustomStringConvertible {
  /// A tool or input is missing; the message says what to install.
  case missing(String)
  case toolFailed(command: String, status: Int32, output: String)
  case unexpectedOutput(String)

  var description: String {
    switch self {
    case .missing(let what):
      return "\(what) — run Scripts/test.sh (the README's test command), which installs mig-x86-64-gnu, gnumach-dev and gcc"
    case .toolFailed(let command, let status, let output):
      return "`\(command)` exited with status \(status):\n\(output)"
    case .unexpectedOutput(let what):
      return "GNU MIG output not understood: \(what)"
    }
  }
}

struct ToolResult: Sendable {
  var status: Int32
  var standardOutput: String
  var standardError: String
}

/// Runs a command to completion with its output captured in files (no pipe can fill up and block).
enum ToolRunner {
  static func run(
    _ executable: String, _ arguments: [String], in directory: URL, label: String,
    environment: [String: String]? = nil
  ) throws(OracleError) -> ToolResult {
    guard FileManager.default.isExecutableFile(atPath: executable) else {
      throw .missing("\(executable) is not installed")
    }
    let outURL = directory.appendingPathComponent("\(label).stdout")
    let errURL = directory.appendingPathComponent("\(label).stderr")
    let commandLine = ([executable] + arguments).joined(separator: " ")
    do {
      guard FileManager.default.createFile(atPath: outURL.path, contents: nil),
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
      else { throw OracleError.unexpectedOutput("cannot create output files in \(directory.path)") }
      let outHandle = try FileHandle(forWritingTo: outURL)
      let errHandle = try FileHandle(forWritingTo: errURL)
      defer {
        try? outHandle.close()
        try? errHandle.close()
      }
      let process = Process()
      process.executableURL = URL(fileURLWithPath: executable)
      process.arguments = arguments
      process.currentDirectoryURL = directory
      if let environment {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
      }
      process.standardInput = FileHandle.nullDevice
      process.standardOutput = outHandle
      process.standardError = errHandle
      try process.run()
      process.waitUntilExit()
      return ToolResult(
        status: process.terminationStatus,
        standardOutput: try String(contentsOf: outURL, encoding: .utf8),
        standardError: try String(contentsOf: errURL, encoding: .utf8))
    } catch {
      throw .toolFailed(command: commandLine, status: -1, output: "\(error)")
    }
  }

  static func readText(_ url: URL) throws(OracleError) -> String {
    do {
      return try String(contentsOf: url, encoding: .utf8)
    } catch {
      throw .unexpectedOutput("cannot read \(url.path): \(error)")
    }
  }

  static func writeText(_ text: String, to url: URL) throws(OracleError) {
    do {
      try text.write(to: url, atomically: true, encoding: .utf8)
    } catch {
      throw .unexpectedOutput("cannot write \(url.path): \(error)")
    }
  }
}
