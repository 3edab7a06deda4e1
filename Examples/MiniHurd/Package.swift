// swift-tools-version: 6.2
import Foundation
import PackageDescription

// A path dependency's identity is its folder name, which depends on where hurdidl was cloned.
let hurdidl = URL(fileURLWithPath: Context.packageDirectory)
  .deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
  name: "MiniHurd",
  dependencies: [.package(path: "../..")],
  targets: [
    // Every .defs in Sources/MiniHurd becomes Swift at build time, through the plugin;
    // hurdidl.json makes include/ (the shared types) an include folder.
    .executableTarget(
      name: "MiniHurd",
      dependencies: [
        .product(name: "HurdRPC", package: hurdidl),
        .product(name: "HurdRPCL4", package: hurdidl),
        .product(name: "HurdRPCSocket", package: hurdidl),
        .product(name: "HurdCap", package: hurdidl),
        .product(name: "HurdCapSocket", package: hurdidl),
      ],
      swiftSettings: [
        .swiftLanguageMode(.v6), .treatAllWarnings(as: .error), .enableUpcomingFeature("ExistentialAny"),
      ],
      plugins: [.plugin(name: "HurdIDLPlugin", package: hurdidl)])
  ]
)
