import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import Testing

/// Reads files from disk in GCC's search order (tests only; the library never touches files).
struct FileSystemResolver: IncludeResolver {
  func resolve(name: String, isAngled: Bool, includer: String?, searchPaths: [String]) -> ResolvedFile? {
    for candidate in IncludeSearch.candidates(name: name, isAngled: isAngled, includer: includer, searchPaths: searchPaths) {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
        let data = FileManager.default.contents(atPath: candidate)
      else { continue }
      return ResolvedFile(path: candidate, bytes: Array(data))
    }
    return nil
  }
}

enum TestPaths {
  static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
  static let inputs = testsDirectory + "/Inputs"
  static let gnumachInclude = "/usr/include/x86_64-linux-gnu"
  static let readmeHint =
    "run the test command from README.md (it installs the Debian packages gcc and gnumach-dev)"
}

/// Runs `gcc -E` the way GNU MIG's driver does (plus the predefines hurdidl has by default).
enum GCC {
  static let path = "/usr/bin/gcc"
  static let baseArguments = ["-E", "-x", "c", "-undef", "-ansi", "-D__x86_64__", "-D__LP64__"]

  struct Output {
    var text: String
    var errors: String
    var status: Int32
  }

  static func preprocess(_ file: String, arguments: [String]) throws -> Output {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = baseArguments + arguments + [file]
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    // Drain stdout before waiting so a large output cannot block gcc (its stderr is small).
    let outData = stdout.fileHandleForReading.readDataToEndOfFile()
    let errData = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Output(
      text: String(decoding: outData, as: UTF8.self), errors: String(decoding: errData, as: UTF8.self),
      status: process.terminationStatus)
  }

  /// The token spellings of gcc's output, line markers and passed-through `#pragma`/`#ident`
  /// lines removed, tokenized by our own tokenizer.
  static func tokens(ofOutput text: String) -> [String] {
    var kept = ""
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      let trimmed = line.drop { $0 == " " || $0 == "\t" }
      if trimmed.hasPrefix("#") { continue }
      kept += line
      kept += "\n"
    }
    var map = SourceMap()
    let id = map.addBuffer(path: "<gcc output>", bytes: Array(kept.utf8))
    return Tokenizer.tokenize(map[id]).tokens.map(\.text)
  }

  static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: path) }
}

/// Turns gcc-style `-D`/`-U`/`-I`/`-imacros` arguments into options for our preprocessor.
func options(fromGCCArguments arguments: [String]) -> PreprocessorOptions {
  var options = PreprocessorOptions()
  var index = 0
  while index < arguments.count {
    let argument = arguments[index]
    if argument.hasPrefix("-D") {
      options.commandLineMacros.append(.define(String(argument.dropFirst(2))))
    } else if argument.hasPrefix("-U") {
      options.commandLineMacros.append(.undefine(String(argument.dropFirst(2))))
    } else if argument.hasPrefix("-I") {
      options.includePaths.append(String(argument.dropFirst(2)))
    } else if argument == "-imacros", index + 1 < arguments.count {
      options.imacrosFiles.append(arguments[index + 1])
      index += 1
    }
    index += 1
  }
  return options
}

/// Compares our token sequence with gcc's and records a readable issue at the first difference.
func expectSameTokens(
  ours: [String], gcc: [String], _ label: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
) {
  guard ours != gcc else { return }
  let firstDifference = (0..<min(ours.count, gcc.count)).first { ours[$0] != gcc[$0] } ?? min(ours.count, gcc.count)
  let from = max(0, firstDifference - 8)
  let oursContext = ours[from..<min(ours.count, firstDifference + 8)].joined(separator: " ")
  let gccContext = gcc[from..<min(gcc.count, firstDifference + 8)].joined(separator: " ")
  Issue.record(
    """
    \(label): token \(firstDifference) differs (ours \(ours.count) tokens, gcc \(gcc.count))
      ours: \(oursContext)
      gcc:  \(gccContext)
    """, sourceLocation: sourceLocation)
}
