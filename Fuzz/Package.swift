// swift-tools-version: 6.2
import PackageDescription

// libFuzzer target for the preprocessor + parser. Not part of the main build graph or CI;
// see docs/fuzzing.md for how to build and run it.
let package = Package(
  name: "hurdidl-fuzz",
  dependencies: [.package(path: "..")],
  targets: [
    .executableTarget(
      name: "FuzzFrontEnd",
      dependencies: [.product(name: "HurdIDLCompiler", package: "hurdidl")],
      swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])])
  ]
)
