// swift-tools-version: 6.2
import Foundation
import PackageDescription

// A path dependency's identity is its folder name, which depends on where the repository was
// cloned; derive it instead of assuming "hurdidl".
let hurdidl = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

// libFuzzer targets for the preprocessor + parser and for the generated demux. Not part of the main build graph or CI;
// see docs/fuzzing.md for how to build and run it.
let package = Package(
  name: "hurdidl-fuzz",
  dependencies: [.package(path: "..")],
  targets: [
    .executableTarget(
      name: "FuzzFrontEnd",
      dependencies: [.product(name: "HurdIDLCompiler", package: hurdidl)],
      swiftSettings: [.swiftLanguageMode(.v6)]),
    // The generated demuxes of the round-trip interfaces (symlinks to the emitter's goldens).
    .executableTarget(
      name: "FuzzDemux",
      dependencies: [.product(name: "HurdRPC", package: hurdidl)],
      swiftSettings: [.swiftLanguageMode(.v6)]),
  ]
)
