// swift-tools-version: 6.2
import Foundation
import PackageDescription

// The package Scripts/test-plugin.sh builds to test HurdIDLPlugin and HurdIDLCommandPlugin as a
// user meets them. The script copies it out of the tree (it edits the copy) and says where
// hurdidl is through HURDIDL_PACKAGE; a path dependency's identity is its folder name.
let hurdidlPath = Context.environment["HURDIDL_PACKAGE"] ?? "../.."
let hurdidl = URL(fileURLWithPath: hurdidlPath).standardizedFileURL.lastPathComponent
let settings: [SwiftSetting] = [.swiftLanguageMode(.v6), .treatAllWarnings(as: .error)]

let package = Package(
  name: "PluginPackage",
  dependencies: [.package(path: hurdidlPath)],
  targets: [
    // Two `hello.defs` in different folders, sharing types through Sources/App/include
    // (hurdidl.json names it as an include path, so it is not an input itself).
    .executableTarget(
      name: "App",
      dependencies: [.product(name: "HurdRPC", package: hurdidl), .product(name: "HurdRPCL4", package: hurdidl)],
      swiftSettings: settings,
      plugins: [.plugin(name: "HurdIDLPlugin", package: hurdidl)]),
    // Generated code committed to the tree by the command plugin.
    .target(
      name: "Committed",
      dependencies: [.product(name: "HurdRPC", package: hurdidl)],
      exclude: ["counter.defs"],
      swiftSettings: settings),
  ]
)
