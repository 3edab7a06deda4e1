import Foundation
import Testing

/// The CI step for the committed generated Swift: the `hurdidl` CLI built with this test
/// regenerates every emitter golden and the stub benchmarks' generated file into a temporary
/// folder, and any byte of difference fails. (The emitter's golden tests compare the library's
/// output in memory; this checks the files a user's `hurdidl generate` writes are the same.)
@Suite("The CLI regenerates the committed generated Swift byte for byte")
struct GoldenRegenerationTests {
  static let root = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../..").standardized
  static let goldens = "Tests/HurdIDLEmitterTests/Goldens/"
  static let machIncludes = DefsToSwift.machIncludes

  /// One `hurdidl generate` run: its inputs and flags, and where each output is committed.
  struct Case: Sendable, CustomStringConvertible {
    var inputs: [String]
    var flags: [String]
    /// Output file name → committed file (relative to the repository).
    var committed: [String: String]
    var description: String {
      let names = inputs.map { $0.split(separator: "/").last.map(String.init) ?? $0 }.joined(separator: " ")
      return ([names] + flags).joined(separator: " ")
    }
  }

  /// The MIG experiments with emitter goldens (`EmitterTests.experimentGolden`).
  static let experimentFolder = "Tests/HurdIDLPlannerTests/Fixtures/semantics/"
  static let experiments: [String] =
    ((try? FileManager.default.contentsOfDirectory(atPath: root.appending(path: experimentFolder).path)) ?? [])
    .filter { $0.hasSuffix(".defs") }.map { String($0.dropLast(".defs".count)) }.sorted()

  static let cases: [Case] = [
    Case(
      inputs: [
        "Tests/HurdIDLRoundTripServices/roundtrip.defs", "Tests/HurdIDLRoundTripServices/kinds.defs",
        "Tests/HurdIDLRoundTripServices/translations.defs", "Tests/HurdIDLRoundTripServices/objects.defs",
        "Tests/HurdIDLRoundTripServices/ports.defs",
        "Tests/HurdIDLEmitterTests/Inputs/clash.defs", machIncludes + "/mach/mach_port.defs",
        machIncludes + "/device/device.defs", machIncludes + "/mach/notify.defs",
      ],
      flags: [],
      committed: [
        "roundtrip.hurdidl.swift": goldens + "roundtrip-default.hurdidl.swift",
        "kinds.hurdidl.swift": goldens + "kinds-default.hurdidl.swift",
        "translations.hurdidl.swift": goldens + "translations-default.hurdidl.swift",
        "objects.hurdidl.swift": goldens + "objects-default.hurdidl.swift",
        "ports.hurdidl.swift": goldens + "ports-default.hurdidl.swift",
        "clash.hurdidl.swift": goldens + "clash.hurdidl.swift",
        "mach_port.hurdidl.swift": goldens + "mach_mach_port.hurdidl.swift",
        "device.hurdidl.swift": goldens + "device_device.hurdidl.swift",
        "notify.hurdidl.swift": goldens + "mach_notify.hurdidl.swift",
      ]),
    Case(
      inputs: ["Tests/HurdIDLRoundTripServices/roundtrip.defs"], flags: ["--client", "--access-level", "public"],
      committed: ["roundtrip.hurdidl.swift": goldens + "roundtrip-publicClient.hurdidl.swift"]),
    Case(
      inputs: ["Tests/HurdIDLRoundTripServices/roundtrip.defs"],
      flags: ["--server", "--access-level", "package", "--naming", "defs"],
      committed: ["roundtrip.hurdidl.swift": goldens + "roundtrip-packageServerDefsNames.hurdidl.swift"]),
    Case(
      inputs: experiments.map { experimentFolder + $0 + ".defs" }, flags: ["-I", experimentFolder],
      committed: Dictionary(
        uniqueKeysWithValues: experiments.map { ($0 + ".hurdidl.swift", goldens + "semantics/" + $0 + ".hurdidl.swift") })),
    Case(
      inputs: ["Benchmarks/Benchmarks/StubBenchmarks/stubbench.defs"], flags: [],
      committed: ["stubbench.hurdidl.swift": "Benchmarks/Benchmarks/StubBenchmarks/Generated/stubbench.hurdidl.swift"]),
  ]

  /// The `hurdidl` executable `swift build` put beside this test binary.
  static var hurdidl: URL {
    URL(filePath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "hurdidl")
  }

  @Test(arguments: cases)
  func regeneratedFilesMatchTheCommittedOnes(_ run: Case) throws {
    #expect(FileManager.default.isExecutableFile(atPath: Self.hurdidl.path), "build hurdidl first (swift build)")
    let output = FileManager.default.temporaryDirectory.appending(path: "hurdidl-goldens-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: output) }
    let (status, text) = try GeneratedGNUMachTests.run(
      Self.hurdidl, ["generate"] + run.inputs + ["-I", Self.machIncludes, "--output-dir", output.path] + run.flags,
      in: Self.root)
    #expect(status == 0, "hurdidl generate failed:\n\(text)")
    let written = try FileManager.default.contentsOfDirectory(atPath: output.path).sorted()
    #expect(written == run.committed.keys.sorted(), "unexpected outputs: \(written)")
    for (name, committed) in run.committed.sorted(by: { $0.key < $1.key }) {
      let fresh = try Data(contentsOf: output.appending(path: name))
      let expected = try Data(contentsOf: Self.root.appending(path: committed))
      #expect(
        fresh == expected,
        "\(committed) differs from what `hurdidl generate` writes now: regenerate (docs/swift-mapping.md, Tests)")
    }
  }
}
