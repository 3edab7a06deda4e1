import Foundation
import Testing

/// `generate --c-structs` on the installed GNU Mach interfaces: the real C structs become Swift
/// structs, and the files type-check under the strict settings.
@Suite struct GNUMachCStructTests {
  static let include = "/usr/include/x86_64-linux-gnu"

  @Test func realStructsAreMappedAndCompile() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-gnumach-cstructs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var sources: [String] = []
    var structs: [String] = []
    for file in ["mach/mach.defs", "mach/mach_port.defs", "mach/gnumach.defs", "mach/x86_64/mach_i386.defs"] {
      let output = CStructsFixture.generate(Self.include + "/" + file, includePaths: [Self.include])
      let generated = try #require(output.file, "\(file): \(output.diagnostics)")
      #expect(!output.diagnostics.contains { $0.severity == .error }, "\(file)")
      // Each file in a module of its own: the namespaces differ, the runtime helpers would clash.
      let source = folder.appendingPathComponent(generated.fileName).path
      try generated.contents.write(toFile: source, atomically: true, encoding: .utf8)
      sources.append(source)
      for line in generated.contents.split(separator: "\n") where line.hasPrefix("  struct ") && line.contains("Swift.Hashable") {
        structs.append(String(line.split(separator: " ")[1].dropLast()))
      }
    }
    for name in ["MachPortStatusT", "VMStatisticsDataT", "VMCacheStatisticsDataT", "DescriptorT"] {
      #expect(structs.contains(name), "\(name) in \(structs)")
    }
    for (index, source) in sources.enumerated() {
      try typeCheck(source, moduleName: "GNUMachCStructs\(index)")
    }
  }

  func typeCheck(_ source: String, moduleName: String) throws {
    let modules = URL(filePath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "Modules")
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let swiftc = try #require(
      (path.split(separator: ":").map { "\($0)/swiftc" } + ["/opt/swift/usr/bin/swiftc"]).first {
        FileManager.default.isExecutableFile(atPath: $0)
      }, "swiftc not found on PATH")
    let process = Process()
    process.executableURL = URL(filePath: swiftc)
    process.arguments = [
      "-typecheck", "-swift-version", "6", "-warnings-as-errors", "-enable-upcoming-feature", "ExistentialAny",
      "-module-name", moduleName, "-I", modules.path, source,
    ]
    let diagnostics = Pipe()
    process.standardError = diagnostics
    process.standardOutput = diagnostics
    try process.run()
    let text = String(decoding: diagnostics.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0 && text.isEmpty, "swiftc:\n\(text)")
  }
}
