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
    // Sources/FileIO/io.defs becomes io.hurdidl.swift at build time, through the plugin;
    // hurdidl.json finds its include, Examples/Interfaces/fs_types.defs.
    .executableTarget(
      name: "FileIO",
      dependencies: [
        .product(name: "HurdRPC", package: hurdidl),
        .product(name: "HurdRPCL4", package: hurdidl),
      ],
      swiftSettings: [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)],
      plugins: [.plugin(name: "HurdIDLPlugin", package: hurdidl)])
  ]
)
