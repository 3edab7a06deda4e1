// swift-tools-version: 6.2
import Foundation
import PackageDescription

// A path dependency's identity is its folder name, which depends on where hurdidl was cloned.
let hurdidl = URL(fileURLWithPath: Context.packageDirectory)
  .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
  name: "Echo",
  dependencies: [.package(path: "../..")],
  targets: [
    // Sources/Echo/echo.defs becomes echo.hurdidl.swift at build time, through the plugin.
    .executableTarget(
      name: "Echo",
      dependencies: [
        .product(name: "HurdRPC", package: hurdidl),
        .product(name: "HurdRPCL4", package: hurdidl),
      ],
      swiftSettings: [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)],
      plugins: [.plugin(name: "HurdIDLPlugin", package: hurdidl)])
  ]
)
