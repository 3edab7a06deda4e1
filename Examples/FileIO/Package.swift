// swift-tools-version: 6.2
import Foundation
import PackageDescription

// A path dependency's identity is its folder name, which depends on where hurdidl was cloned.
let hurdidl = URL(fileURLWithPath: Context.packageDirectory)
  .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
  name: "FileIO",
  dependencies: [.package(path: "../..")],
  targets: [
    // Sources/FileIO/Generated/io.hurdidl.swift is written by `hurdidl generate` (Scripts/demo.sh)
    // from Examples/Interfaces/io.defs.
    .executableTarget(
      name: "FileIO",
      dependencies: [
        .product(name: "HurdRPC", package: hurdidl),
        .product(name: "HurdRPCL4", package: hurdidl),
      ],
      swiftSettings: [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)])
  ]
)
