import Foundation
import HurdIDLEmitter
import Testing

/// The generated code of every gnumach-dev interface (default flags, client and server in one
/// file each) compiles with zero warnings: all 19 files go into one module, compiled once by
/// `swiftc` (object file and module, as a debug build) with the strict settings against the
/// HurdRPC module this test target was built with.
/// (`Scripts/check-generated-gnumach.sh` covers the other flag sets and access levels.)
@Suite("Generated gnumach code compiles")
struct GeneratedGNUMachTests {
  static let includeRoot = DefsToSwift.machIncludes

  /// The interface files (the `*_types.defs` only declare types).
  static func interfaceFiles() throws -> [String] {
    var files: [String] = []
    for folder in ["device", "mach", "mach/x86_64", "mach_debug"] {
      let names = try FileManager.default.contentsOfDirectory(atPath: includeRoot + "/" + folder)
      files += names.filter { $0.hasSuffix(".defs") && !$0.hasSuffix("_types.defs") }.map { folder + "/" + $0 }
    }
    return files.sorted()
  }

  /// Where the build put HurdRPC.swiftmodule: beside the running test binary.
  static var modulesFolder: URL {
    URL(filePath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appending(path: "Modules")
  }

  static var swiftc: String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    return (path.split(separator: ":").map { "\($0)/swiftc" } + ["/opt/swift/usr/bin/swiftc"])
      .first { FileManager.default.isExecutableFile(atPath: $0) }
  }

  /// Default flags, and `KERNEL_SERVER` (where gnumach's types declare intran/outtran/destructor;
  /// the script covers the other flag sets).
  @Test(arguments: [[], ["KERNEL_SERVER"]])
  func allNineteenInterfacesCompileWithZeroWarnings(_ defines: [String]) throws {
    let files = try Self.interfaceFiles()
    #expect(files.count == 19, "\(files)")
    let output = FileManager.default.temporaryDirectory.appending(path: "hurdidl-gnumach-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: output) }
    var sources: [String] = []
    for relative in files {
      let result = DefsToSwift.compile(
        path: Self.includeRoot + "/" + relative, displayPath: relative, includeRoot: Self.includeRoot, defines: defines)
      let file = try #require(result.file, "\(relative): \(result.errors)")
      // Every routine generated, every translation applied (under KERNEL_SERVER the request
      // ports' translations apply to the handlers' target objects). Only device_request.defs'
      // one-way requests with a reply port are reported (their replies cannot come back on L4).
      let unexpected = file.diagnostics.filter {
        !(relative == "device/device_request.defs" && $0.message.contains("of a one-way request does not travel on L4"))
      }
      #expect(unexpected.isEmpty, "\(relative): \(unexpected.map(\.message))")
      if relative == "device/device_request.defs" { #expect(file.diagnostics.count == 1, "\(file.diagnostics.map(\.message))") }
      let url = output.appending(path: relative.replacingOccurrences(of: "/", with: "_") + ".swift")
      try file.contents.write(to: url, atomically: true, encoding: .utf8)
      sources.append(url.path)
    }
    try Self.compile(sources, moduleName: "GeneratedGNUMach")
  }

  /// The libFuzzer demux target (Fuzz/Sources/FuzzDemux: symlinks to today's goldens and servers
  /// written against them) must not rot when the generated code changes.
  @Test func fuzzDemuxTargetTypeChecks() throws {
    let folder = URL(filePath: #filePath).deletingLastPathComponent().appending(path: "../../Fuzz/Sources/FuzzDemux")
      .standardized
    let sources = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }.sorted()
    #expect(sources.count == 7, "\(sources)")
    try Self.typeCheck(sources.map { folder.appending(path: $0).path }, moduleName: "FuzzDemux")
  }

  /// `swiftc -typecheck` with the strict settings; fails the test on any diagnostic.
  static func typeCheck(_ sources: [String], moduleName: String) throws {
    let (status, text) = try strictSwiftc(["-typecheck"], sources, moduleName: moduleName)
    #expect(status == 0, "swiftc failed:\n\(text)")
    #expect(text.isEmpty, "swiftc printed:\n\(text)")
  }

  /// Compiles `sources` into one module as a debug build does (whole module, `-Onone`), emitting
  /// an object file and a `.swiftmodule` into a scratch folder: beyond `-typecheck`, this runs
  /// SIL generation and the mandatory SIL diagnostics (definite initialization, exclusivity,
  /// unreachable code, missing returns), module serialization and LLVM code generation. Fails
  /// the test on any diagnostic.
  static func compile(_ sources: [String], moduleName: String) throws {
    let folder = FileManager.default.temporaryDirectory.appending(path: "hurdidl-compile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let (status, text) = try strictSwiftc(
      [
        "-emit-object", "-whole-module-optimization", "-Onone", "-parse-as-library",
        "-o", folder.appending(path: moduleName + ".o").path,
        "-emit-module", "-emit-module-path", folder.appending(path: moduleName + ".swiftmodule").path,
      ], sources, moduleName: moduleName)
    #expect(status == 0, "swiftc failed:\n\(text)")
    #expect(text.isEmpty, "swiftc printed:\n\(text)")
    #expect(FileManager.default.fileExists(atPath: folder.appending(path: moduleName + ".o").path), "no object file written")
  }

  /// Runs `swiftc` in `mode` with the package's strict settings (Swift 6, warnings as errors,
  /// ExistentialAny) against the HurdRPC module this test target was built with; its exit status and
  /// everything it printed.
  static func strictSwiftc(_ mode: [String], _ sources: [String], moduleName: String) throws -> (status: Int32, output: String) {
    let module = modulesFolder
    #expect(
      FileManager.default.fileExists(atPath: module.appending(path: "HurdRPC.swiftmodule").path),
      "no HurdRPC module in \(module.path)")
    let swiftc = try #require(Self.swiftc, "swiftc not found on PATH")
    return try run(
      URL(filePath: swiftc),
      mode + [
        "-swift-version", "6", "-warnings-as-errors", "-enable-upcoming-feature", "ExistentialAny",
        "-module-name", moduleName, "-I", module.path,
      ] + sources)
  }

  /// Runs `executable` to its end; its exit status and everything it printed.
  static func run(_ executable: URL, _ arguments: [String], in folder: URL? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let folder { process.currentDirectoryURL = folder }
    let output = Pipe()
    process.standardError = output
    process.standardOutput = output
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
  }
}

/// Names that are awkward in Swift must still give code that compiles.
@Suite struct GeneratedNameClashTests {
  /// Generates `text` as `name.defs`, type-checks the result, and returns it.
  private func generateAndTypeCheck(_ name: String, _ text: String) throws -> String {
    let folder = FileManager.default.temporaryDirectory.appending(path: "hurdidl-\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let defs = folder.appending(path: name + ".defs")
    try text.write(to: defs, atomically: true, encoding: .utf8)
    let result = DefsToSwift.compile(path: defs.path, displayPath: name + ".defs", includeRoot: folder.path)
    let file = try #require(result.file, "\(result.errors)")
    let source = folder.appending(path: name + ".swift")
    try file.contents.write(to: source, atomically: true, encoding: .utf8)
    try GeneratedGNUMachTests.typeCheck([source.path], moduleName: name.capitalized)
    return file.contents
  }

  @Test func routinesWithTheSameSwiftNameCompile() throws {
    let contents = try generateAndTypeCheck(
      "clash",
      """
      subsystem clash 500;
      #include <mach/std_types.defs>
      routine dir_lookup(server: mach_port_t; x: int; out y: int);
      routine dirLookup(server: mach_port_t; x: int);
      simpleroutine DIR_LOOKUP(server: mach_port_t);
      """)
    #expect(contents.contains("func dirLookup(") && contents.contains("func dirLookup_("))
  }

  /// Swift keywords as routine and argument names: escaped where they stand alone, bare where
  /// they are part of a longer name (`encodeProtocolRequest`) or a call-site label.
  @Test func swiftKeywordsAsNamesCompile() throws {
    let contents = try generateAndTypeCheck(
      "keywords",
      """
      subsystem keywords 600;
      #include <mach/std_types.defs>
      routine default(server: mach_port_t; protocol: int; out self: int);
      routine Protocol(server: mach_port_t; default: int);
      simpleroutine func(server: mach_port_t; var: int; let: int);
      """)
    #expect(contents.contains("encodeProtocolRequest"))
  }
}
