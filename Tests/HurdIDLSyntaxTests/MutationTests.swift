import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import HurdIDLSyntax
import Testing

/// Bounded random mutation of the gnumach files (fixed seed): deleting, duplicating and swapping
/// bytes (run through the preprocessor) and preprocessing tokens (fed to the parser). The front
/// end must never crash or hang, and must either succeed or report errors at real locations.
@Suite struct MutationTests {
  /// SplitMix64: small, fast and the same on every platform.
  struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static let byteMutationsPerFile = 30
  static let tokenMutationsPerFile = 100

  /// All gnumach `.defs` files, read once into an in-memory resolver.
  static func corpus() throws -> (files: [String], resolver: InMemoryIncludeResolver) {
    var files: [String: String] = [:]
    for testCase in GNUMachTests.cases {
      let path = TestPaths.gnuMachIncludes + "/" + testCase.path
      guard let data = FileManager.default.contents(atPath: path) else {
        throw CorpusMissing()
      }
      files[path] = String(decoding: data, as: UTF8.self)
      // `mach/machine` is a symbolic link to `mach/x86_64` in the installed tree.
      if testCase.path.hasPrefix("mach/x86_64/") {
        let alias = testCase.path.replacingOccurrences(of: "mach/x86_64/", with: "mach/machine/")
        files[TestPaths.gnuMachIncludes + "/" + alias] = files[path]
      }
    }
    let mainFiles = GNUMachTests.cases.map { TestPaths.gnuMachIncludes + "/" + $0.path }
    return (Array(Set(mainFiles)).sorted(), InMemoryIncludeResolver(files))
  }

  struct CorpusMissing: Error, CustomStringConvertible {
    var description: String { GNUMachTests.missingFilesMessage }
  }

  static let options = PreprocessorOptions(includePaths: [TestPaths.gnuMachIncludes])

  /// No errors, or errors that all point at existing text.
  private func checkOutcome(
    _ diagnostics: [Diagnostic], _ file: DefsFile, _ map: SourceMap, _ what: @autoclosure () -> String
  ) {
    let errors = diagnostics.filter { $0.severity == .error }
    if errors.isEmpty {
      let trip = roundTrip(file)
      #expect(trip.original == trip.reparsed, "\(what()): clean parse does not round-trip")
      return
    }
    #expect(errors.contains { $0.location != nil }, "\(what()): errors without a location")
    for error in errors {
      guard let location = error.location else { continue }
      let valid =
        location.buffer.rawValue >= 0 && Int(location.buffer.rawValue) < map.buffers.count
        && location.column >= 1
        && map[location.buffer].lineText(location.line).map { Int(location.column) <= $0.utf8.count + 1 } == true
      #expect(valid, "\(what()): invalid location \(location) for '\(error.message)'")
      if !valid { return }
    }
  }

  @Test func byteMutationsNeverCrash() throws {
    let (files, resolver) = try Self.corpus()
    var random = SeededGenerator(state: 0x6875_7264_6964_6C01)
    for path in files {
      let original = resolver.files[path]!
      for _ in 0..<Self.byteMutationsPerFile {
        var bytes = original
        let kind = Int.random(in: 0..<4, using: &random)
        let start = Int.random(in: 0..<bytes.count, using: &random)
        let length = min(Int.random(in: 1...16, using: &random), bytes.count - start)
        switch kind {
        case 0: bytes.removeSubrange(start..<start + length)
        case 1: bytes.insert(contentsOf: bytes[start..<start + length], at: start)
        case 2:
          let other = Int.random(in: 0..<bytes.count, using: &random)
          bytes.swapAt(start, other)
        default: bytes[start] = UInt8.random(in: 0...255, using: &random)
        }
        var mutated = resolver
        mutated.files[path] = bytes
        let unit = Preprocessor.preprocess(mainFile: path, options: Self.options, resolver: mutated)
        let result = Parser.parse(tokens: unit.tokens)
        checkOutcome(unit.diagnostics + result.diagnostics, result.file, unit.sourceMap, "\(path) byte mutation \(kind)@\(start)")
      }
    }
  }

  @Test func tokenMutationsNeverCrash() throws {
    let (files, resolver) = try Self.corpus()
    var random = SeededGenerator(state: 0x7061_7273_6572_0002)
    for path in files {
      let unit = Preprocessor.preprocess(mainFile: path, options: Self.options, resolver: resolver)
      let preprocessedCleanly = !unit.hasErrors
      #expect(preprocessedCleanly, "\(path)")
      guard !unit.tokens.isEmpty else { continue }
      for _ in 0..<Self.tokenMutationsPerFile {
        var tokens = unit.tokens
        let kind = Int.random(in: 0..<3, using: &random)
        let index = Int.random(in: 0..<tokens.count, using: &random)
        let count = min(Int.random(in: 1...4, using: &random), tokens.count - index)
        switch kind {
        case 0: tokens.removeSubrange(index..<index + count)
        case 1: tokens.insert(contentsOf: tokens[index..<index + count], at: index)
        default: tokens.swapAt(index, Int.random(in: 0..<tokens.count, using: &random))
        }
        let result = Parser.parse(tokens: tokens)
        checkOutcome(result.diagnostics, result.file, unit.sourceMap, "\(path) token mutation \(kind)@\(index)")
      }
    }
  }
}

/// Random sequences drawn from MIG's vocabulary (fixed seed): far more often than mutated real
/// files, they reach odd corners of the grammar (nesting, recovery inside nested lists).
@Suite struct TokenSoupTests {
  static let vocabulary: [String] =
    Keyword.allCases.map(\.rawValue)
    + [
      "MACH_MSG_TYPE_INTEGER_32", "MACH_MSG_TYPE_PORT_SEND", "x", "y", "int", "sendtime", "SecToken",
      "PointerTo", "procedure", "0", "7", "0x10", "99999999999", ":", ";", ",", "+", "-", "*", "/", "(", ")",
      "=", "^", "~", "<", ">", "[", "]", "{", "}", "|", "\"s\"", "@", "\n",
    ]

  @Test func randomTokenSequencesNeverCrash() {
    var random = MutationTests.SeededGenerator(state: 0x736F_7570_0000_0003)
    for round in 0..<5000 {
      let count = Int.random(in: 1...60, using: &random)
      var words: [String] = []
      // Start most soups like a real file so the parser gets past the first statement.
      if round % 2 == 0 { words.append("subsystem s 1;") }
      for _ in 0..<count { words.append(Self.vocabulary.randomElement(using: &random)!) }
      let text = words.joined(separator: " ")
      let parsed = parseText(text, path: "soup.defs")
      for error in parsed.errors {
        let location = error.location
        let valid =
          location.map { parsed.sourceMap[$0.buffer].lineText($0.line) != nil && $0.column >= 1 } ?? false
        #expect(valid, "\(text): \(error.message)")
      }
      if parsed.errors.isEmpty {
        let trip = roundTrip(parsed.file)
        #expect(trip.original == trip.reparsed, "\(text)")
      }
    }
  }
}
