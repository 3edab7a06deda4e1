// swift-tools-version: 6.2
import PackageDescription

// Our own targets: Swift 6 language mode, every warning an error. These settings are not applied
// to dependencies (SwiftPM ignores warning control for remote packages).
let strict: [SwiftSetting] = [
  .swiftLanguageMode(.v6),
  .treatAllWarnings(as: .error),
  .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
  name: "hurdidl",
  products: [
    .executable(name: "hurdidl", targets: ["hurdidl"]),
    .library(name: "HurdIDLCompiler", targets: ["HurdIDLCompiler"]),
    .library(name: "HurdRPC", targets: ["HurdRPC"]),
    .library(name: "HurdRPCL4", targets: ["HurdRPCL4"]),
    .library(name: "HurdRPCSocket", targets: ["HurdRPCSocket"]),
    .library(name: "HurdCap", targets: ["HurdCap"]),
    .library(name: "HurdCapSocket", targets: ["HurdCapSocket"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2")
  ],
  targets: [
    // MARK: Compiler — one module per stage; data flows one way, down this list.
    .target(name: "HurdIDLSource", swiftSettings: strict),
    .target(name: "HurdIDLPreprocessor", dependencies: ["HurdIDLSource"], swiftSettings: strict),
    .target(name: "HurdIDLSyntax", dependencies: ["HurdIDLSource"], swiftSettings: strict),
    .target(name: "HurdIDLSema", dependencies: ["HurdIDLSource", "HurdIDLSyntax"], swiftSettings: strict),
    .target(name: "HurdIDLPlanner", dependencies: ["HurdIDLSource", "HurdIDLSema"], swiftSettings: strict),
    .target(
      name: "HurdIDLEmitter", dependencies: ["HurdIDLSource", "HurdIDLSema", "HurdIDLPlanner", "HurdIDLCTypes"],
      swiftSettings: strict),
    .target(
      name: "HurdIDLCompiler",
      dependencies: [
        "HurdIDLSource", "HurdIDLPreprocessor", "HurdIDLSyntax", "HurdIDLSema", "HurdIDLPlanner", "HurdIDLEmitter",
        "HurdIDLCTypes",
      ],
      swiftSettings: strict),
    // The CLI's commands (a library in Sources/hurdidl, so tests can import them) and the
    // executable that runs them (Sources/HurdIDLMain). Tests must not import the executable: the
    // build plugin's tool is linked into the test bundle as well, and its symbols would clash.
    .target(
      name: "HurdIDLCLI",
      dependencies: [
        "HurdIDLCompiler",
        "HurdIDLEmitter",
        "HurdIDLCCheck",
        "HurdIDLCImport",
        "HurdIDLCTypes",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/hurdidl",
      swiftSettings: strict),
    .executableTarget(name: "hurdidl", dependencies: ["HurdIDLCLI"], path: "Sources/HurdIDLMain", swiftSettings: strict),

    // MARK: Runtime and transports — independent of the compiler.
    .target(name: "HurdRPC", swiftSettings: strict),
    // C shim for the L4 backend's hand-off (futex, CPU spin hint); no Swift equivalent exists.
    .target(name: "CL4Support"),
    .target(name: "HurdRPCL4", dependencies: ["HurdRPC", "CL4Support"], swiftSettings: strict),
    // The capability layer (cap library, copy protocol, notifications); transport-neutral.
    .target(name: "HurdCap", dependencies: ["HurdRPC"], swiftSettings: strict),

    // MARK: C import (docs/c-import.md) — a stage after sema. libclang is loaded at run time
    // through a C shim with its own declarations, so building hurdidl needs no libclang.
    .target(name: "HurdIDLCTypes", swiftSettings: strict),
    .target(name: "CLibClang"),
    .target(name: "HurdIDLCImport", dependencies: ["HurdIDLCTypes", "CLibClang"], swiftSettings: strict),
    .target(
      name: "HurdIDLCCheck",
      dependencies: ["HurdIDLCTypes", "HurdIDLCImport", "HurdIDLCompiler", "HurdIDLSema", "HurdIDLSource"],
      swiftSettings: strict),

    // MARK: Cross-process transport (issue 8): Unix-domain SOCK_SEQPACKET, fds as capabilities,
    // memfd shared memory. The C shim wraps what Glibc's Swift import lacks (CMSG_*, ucred, seals).
    .target(name: "CSocketSupport"),
    .target(name: "HurdRPCSocket", dependencies: ["HurdRPC", "CSocketSupport"], swiftSettings: strict),
    // The capability layer bound to the socket transport: a bucket served per process, each
    // capability a port descriptor (docs/socket-transport.md, "Capabilities of the cap library").
    .target(name: "HurdCapSocket", dependencies: ["HurdCap", "HurdRPC", "HurdRPCSocket"], swiftSettings: strict),
    // A test service both the tests and their helper processes serve and call.
    .target(
      name: "HurdRPCSocketTestSupport", dependencies: ["HurdRPC", "HurdRPCSocket", "HurdCap", "HurdCapSocket"], path: "Tests/HurdRPCSocketTestSupport",
      swiftSettings: strict),
    // The other process of the cross-process tests (a server or client the tests spawn and kill).
    .executableTarget(
      name: "HurdRPCSocketTestHelper",
      dependencies: ["HurdRPC", "HurdRPCSocket", "HurdRPCSocketTestSupport", "HurdCap", "HurdCapSocket"],
      path: "Tests/HurdRPCSocketTestHelper", swiftSettings: strict),
    .testTarget(
      name: "HurdRPCSocketTests",
      dependencies: [
        "HurdRPC", "HurdRPCSocket", "HurdRPCSocketTestSupport", "CSocketSupport", "HurdRPCSocketTestHelper", "HurdRPCL4",
        "CL4Support", "HurdCap", "HurdCapSocket",
      ],
      swiftSettings: strict),

    // MARK: Tests
    .testTarget(
      name: "HurdIDLPreprocessorTests",
      dependencies: ["HurdIDLPreprocessor"],
      exclude: ["Inputs"],
      swiftSettings: strict),
    .testTarget(
      name: "HurdIDLSyntaxTests",
      dependencies: ["HurdIDLSyntax", "HurdIDLPreprocessor"],
      exclude: ["Inputs", "Goldens"],
      swiftSettings: strict),
    .testTarget(
      name: "HurdIDLSemaTests",
      dependencies: ["HurdIDLSema", "HurdIDLCompiler"],
      exclude: ["Fixtures", "Goldens"],
      swiftSettings: strict),
    .testTarget(
      name: "HurdIDLPlannerTests",
      dependencies: ["HurdIDLPlanner", "HurdIDLCompiler", "HurdIDLSema", "HurdIDLPreprocessor", "HurdRPC"],
      exclude: ["Inputs", "Fixtures", "Goldens"],
      swiftSettings: strict),
    .testTarget(
      name: "HurdIDLEmitterTests",
      dependencies: ["HurdIDLEmitter", "HurdIDLPlanner", "HurdIDLSema", "HurdIDLCompiler", "HurdIDLPreprocessor"],
      exclude: ["Goldens", "Inputs"],
      swiftSettings: strict),
    // The round-trip interfaces and their servers: every .defs here is generated during the
    // build by our own plugin (settings in hurdidl.json: package access), as a user's target
    // would get them. The tests and the helper process (the server in another process, over
    // the socket transport) both use them.
    .target(
      name: "HurdIDLRoundTripServices",
      dependencies: ["HurdRPC", "HurdRPCSocket", "HurdCap", "HurdCapSocket", "HurdRPCSocketTestSupport"],
      path: "Tests/HurdIDLRoundTripServices", swiftSettings: strict, plugins: ["HurdIDLPlugin"]),
    .executableTarget(
      name: "HurdIDLRoundTripHelper", dependencies: ["HurdRPC", "HurdRPCSocket", "HurdIDLRoundTripServices"],
      path: "Tests/HurdIDLRoundTripHelper", swiftSettings: strict),
    .testTarget(
      name: "HurdIDLRoundTripTests",
      dependencies: [
        "HurdRPC", "HurdRPCL4", "HurdRPCSocket", "HurdCap", "HurdCapSocket", "HurdIDLRoundTripServices",
        "HurdIDLRoundTripHelper",
        "HurdRPCSocketTestSupport", "CSocketSupport", "HurdIDLEmitter", "HurdIDLPlanner", "HurdIDLSema",
        "HurdIDLCompiler", "HurdIDLPreprocessor",
      ],
      swiftSettings: strict),
    // Every emitter golden (Tests/HurdIDLEmitterTests/Goldens), compiled with the strict settings
    // through symlinks, so a golden that does not compile fails the build. A module cannot declare
    // a subsystem's names twice, so the n-th golden of one subsystem name goes into the n-th
    // target (`CompiledGoldensTests.everyGoldenIsCompiledOnce` checks the links, and writes them when updating).
    .testTarget(name: "HurdIDLCompiledGoldens", dependencies: ["HurdRPC"], swiftSettings: strict),
    .testTarget(name: "HurdIDLCompiledGoldens2", dependencies: ["HurdRPC"], swiftSettings: strict),
    .testTarget(name: "HurdIDLCompiledGoldens3", dependencies: ["HurdRPC"], swiftSettings: strict),
    .testTarget(
      name: "HurdIDLCompilerTests",
      dependencies: ["HurdIDLCompiler", "HurdIDLEmitter", "HurdIDLPreprocessor", "HurdIDLCLI"],
      swiftSettings: strict),
    .testTarget(
      name: "HurdIDLConformanceTests",
      dependencies: ["HurdIDLPlanner", "HurdIDLCompiler", "HurdIDLSema", "HurdIDLPreprocessor", "HurdIDLSource"],
      exclude: ["Fixtures", "OracleSnapshots"],
      swiftSettings: strict),
    .testTarget(
      name: "HurdIDLCImportTests",
      dependencies: [
        "HurdIDLCImport", "HurdIDLCTypes", "HurdIDLCCheck", "HurdIDLCompiler", "HurdIDLPreprocessor", "HurdIDLSema",
        "HurdIDLSource", "HurdIDLCLI",
      ],
      exclude: ["Inputs", "Goldens"],
      swiftSettings: strict),
    .testTarget(
      name: "HurdIDLCStructRoundTripTests",
      dependencies: [
        "HurdRPC", "HurdRPCL4", "HurdIDLEmitter", "HurdIDLCCheck", "HurdIDLCImport", "HurdIDLCompiler",
        "HurdIDLPreprocessor", "HurdIDLSource",
      ],
      exclude: ["cstructs.defs", "cstructs.h"],
      swiftSettings: strict),
    .testTarget(name: "HurdRPCTests", dependencies: ["HurdRPC", "HurdRPCL4"], swiftSettings: strict),
    .testTarget(
      name: "HurdRPCCapTests", dependencies: ["HurdCap", "HurdRPC", "HurdRPCL4"], swiftSettings: strict),
    .testTarget(name: "HurdRPCL4Tests", dependencies: ["HurdRPCL4", "HurdRPC", "CL4Support"], swiftSettings: strict),
  ]
)

// MARK: Plugins — both only run the hurdidl tool (docs/plugin.md). Plugins cannot depend on
// libraries, so the code they share (output naming, config lookup) is linked in through
// Plugins/PluginsShared.
package.products += [
  .plugin(name: "HurdIDLPlugin", targets: ["HurdIDLPlugin"]),
  .plugin(name: "HurdIDLCommandPlugin", targets: ["HurdIDLCommandPlugin"]),
]
package.targets += [
  .plugin(name: "HurdIDLPlugin", capability: .buildTool(), dependencies: ["hurdidl"]),
  .plugin(
    name: "HurdIDLCommandPlugin",
    capability: .command(
      intent: .custom(
        verb: "generate-hurdidl-sources", description: "Generate Swift from each target's .defs into Sources/<target>/Generated"),
      permissions: [.writeToPackageDirectory(reason: "writes the generated Swift into Sources/<target>/Generated")]),
    dependencies: ["hurdidl"]),
  // The plugins' planning code, linked in from Plugins/PluginsShared (plugins cannot be imported).
  .testTarget(name: "HurdIDLPluginTests", swiftSettings: strict),
]

// Scripts/update-emitter-goldens.sh: while goldens are rewritten, leave out the targets that
// compile them (and whose interfaces the plugin generates with the emitter under repair).
if Context.environment["HURDIDL_WITHOUT_ROUNDTRIP_TESTS"] != nil {
  let roundTripTargets: Set = [
    "HurdIDLRoundTripServices", "HurdIDLRoundTripHelper", "HurdIDLRoundTripTests", "HurdIDLCStructRoundTripTests",
    "HurdIDLCompiledGoldens", "HurdIDLCompiledGoldens2", "HurdIDLCompiledGoldens3",
  ]
  package.targets.removeAll { roundTripTargets.contains($0.name) }
}
