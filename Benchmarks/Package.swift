// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so `swift build` / `swift test` of hurdidl never build the
// harness. Run: `cd Benchmarks && swift package --disable-sandbox benchmark` (see docs/performance.md).
// A path dependency's identity is its directory name (lowercased), which differs between clones
// (`hurdidl`, a worktree, CI's checkout), so derive it instead of hard-coding it.
let hurdidl = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "hurdidl").lowercased()

let package = Package(
  name: "HurdIDLBenchmarks",
  dependencies: [
    .package(path: ".."),
    .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    .package(url: "https://github.com/grpc/grpc-swift-2", exact: "2.4.3"),
    // StubBenchmarks: swift-protobuf's binary format as the marshalling reference (library only).
    .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
  ],
  targets: [
    // HurdRPC runtime and the L4 in-process backend.
    .executableTarget(
      name: "RPCBenchmarks",
      dependencies: [
        "CPinning",
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "HurdRPC", package: hurdidl),
        .product(name: "HurdRPCL4", package: hurdidl),
        .product(name: "HurdCap", package: hurdidl),
      ],
      path: "Benchmarks/RPCBenchmarks",
      swiftSettings: [.swiftLanguageMode(.v6)],
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    // Thread placement (sched_setaffinity) for the same-CPU / split-CPU hand-off rows.
    .target(name: "CPinning", path: "Benchmarks/CPinning"),
    // The cross-process socket transport (issue 8): client here, server in a second process,
    // beside raw socket round trips measured in the same run.
    .executableTarget(
      name: "SocketBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "HurdRPC", package: hurdidl),
        .product(name: "HurdRPCSocket", package: hurdidl),
      ],
      path: "Benchmarks/SocketBenchmarks",
      swiftSettings: [.swiftLanguageMode(.v6)],
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    // The peer a Swift user would otherwise pick: grpc-swift-2's in-process transport. A separate
    // target because GRPCCore's names (RPCError, CallOptions, …) overlap HurdRPC's.
    .executableTarget(
      name: "GRPCPeerBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCInProcessTransport", package: "grpc-swift-2"),
      ],
      path: "Benchmarks/GRPCPeerBenchmarks",
      swiftSettings: [.swiftLanguageMode(.v6)],
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    // Calls through generated stubs (Generated/, committed; regenerate.sh rewrites it with the
    // hurdidl CLI) beside the raw backend call, and marshalling beside swift-protobuf's.
    .executableTarget(
      name: "StubBenchmarks",
      dependencies: [
        .product(name: "Benchmark", package: "benchmark"),
        .product(name: "HurdRPC", package: hurdidl),
        .product(name: "HurdRPCL4", package: hurdidl),
        .product(name: "HurdCap", package: hurdidl),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ],
      path: "Benchmarks/StubBenchmarks",
      exclude: ["stubbench.defs", "regenerate.sh"],
      swiftSettings: [.swiftLanguageMode(.v6)],
      plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
  ]
)
