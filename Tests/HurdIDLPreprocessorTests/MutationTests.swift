import Foundation
import HurdIDLPreprocessor
import HurdIDLSource
import Testing

/// Bounded random mutation (fixed seed): mutated gnumach and torture inputs never crash or hang
/// the preprocessor, and every diagnostic points at a real buffer position.
@Suite struct MutationTests {
  /// SplitMix64: small, deterministic, good enough to pick mutations.
  struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  static let snippets: [String] = [
    "#if", "#if 1\n", "#endif\n", "#else\n", "#elif 0\n", "#define X X\n", "#define F(a) F(a) a ## a #a\n",
    "#include \"main.defs\"\n", "#include <mach/std_types.defs>\n", "##", "(", ")", ",", "/*", "*/", "\"", "'",
    "\\\n", "\n#", "F(", "__VA_ARGS__", "#undef X\n", "#line 0\n", "\u{0}", "\u{ff}", "#error e\n",
  ]

  @Test func mutatedInputsAreHandled() throws {
    var files: [String: [UInt8]] = [:]
    for file in GCCConformanceTests.gnumachFiles {
      let path = TestPaths.gnumachInclude + "/" + file
      let data = try #require(FileManager.default.contents(atPath: path), "\(path) is missing: \(TestPaths.readmeHint)")
      files[path] = Array(data)
    }
    // mach/machine is a symlink to mach/x86_64 in the installed tree.
    files[TestPaths.gnumachInclude + "/mach/machine/machine_types.defs"] =
      files[TestPaths.gnumachInclude + "/mach/x86_64/machine_types.defs"]
    var sources = GCCConformanceTests.gnumachFiles.map { files[TestPaths.gnumachInclude + "/" + $0]! }
    let torture = TestPaths.inputs + "/torture"
    for name in GCCConformanceTests.tortureCases.keys.sorted() {
      sources.append(Array(try #require(FileManager.default.contents(atPath: torture + "/" + name))))
    }

    var random = Generator(state: 0x4855_5244_4944_4C21)
    // A shallow include limit keeps self-including mutants cheap; the limit itself is tested elsewhere.
    let options = PreprocessorOptions(
      includePaths: [TestPaths.gnumachInclude], defines: ["KERNEL_USER"], maxIncludeDepth: 32)
    for _ in 0..<1000 {
      var bytes = sources[Int.random(in: 0..<sources.count, using: &random)]
      for _ in 0..<Int.random(in: 1...4, using: &random) {
        Self.mutate(&bytes, using: &random)
      }
      var resolverFiles = files
      resolverFiles["main.defs"] = bytes
      let unit = Preprocessor.preprocess(
        mainFile: "main.defs", options: options, resolver: InMemoryIncludeResolver(bytes: resolverFiles))
      for diagnostic in unit.diagnostics {
        guard let location = diagnostic.location else { continue }
        #expect(Int(location.buffer.rawValue) < unit.sourceMap.buffers.count)
        #expect(location.line >= 1 && location.column >= 1)
        let user = unit.sourceMap.userLocation(location)
        #expect(user.line >= 1)
      }
      _ = unit.render(lineMarkers: true)
      _ = DiagnosticRenderer(sourceMap: unit.sourceMap).render(unit.diagnostics)
    }
  }

  static func mutate(_ bytes: inout [UInt8], using random: inout Generator) {
    let count = bytes.count
    func position() -> Int { count == 0 ? 0 : Int.random(in: 0...count, using: &random) }
    switch Int.random(in: 0..<5, using: &random) {
    case 0 where count > 0:  // delete a range
      let start = Int.random(in: 0..<count, using: &random)
      let end = min(count, start + Int.random(in: 1...40, using: &random))
      bytes.removeSubrange(start..<end)
    case 1 where count > 0:  // duplicate a range
      let start = Int.random(in: 0..<count, using: &random)
      let end = min(count, start + Int.random(in: 1...200, using: &random))
      bytes.insert(contentsOf: bytes[start..<end], at: position())
    case 2 where count > 1:  // swap two bytes
      let a = Int.random(in: 0..<count, using: &random)
      let b = Int.random(in: 0..<count, using: &random)
      bytes.swapAt(a, b)
    case 3:  // a random byte
      bytes.insert(UInt8.random(in: 0...255, using: &random), at: position())
    default:  // a preprocessor-shaped snippet
      bytes.insert(contentsOf: Array(snippets[Int.random(in: 0..<snippets.count, using: &random)].utf8), at: position())
    }
  }
}
