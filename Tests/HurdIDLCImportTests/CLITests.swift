import Foundation
import Testing

@testable import HurdIDLCLI

/// The CLI's C options, in-process, and the built binary with libclang hidden.
@Suite struct CImportCLITests {
  func run<Command: ConsoleCommand>(_ type: Command.Type, _ arguments: [String]) throws -> (failed: Bool, console: Console) {
    let normalized = CompilerStyleArguments.normalize(arguments)
    let command = try #require(try HurdIDLCommand.parseAsRoot(normalized) as? Command)
    var console = Console()
    let failed = try command.execute(console: &console, arguments: ["hurdidl"] + arguments)
    return (failed, console)
  }

  @Test func checkWithCOptions() throws {
    let defs = TestPaths.inputs + "/target.defs"
    let x86 = try run(CheckCommand.self, ["check", "--c-check", "--no-source-lines", defs])
    #expect(x86.failed && x86.console.standardError.contains("[c-size-mismatch]"))
    let i386 = try run(CheckCommand.self, ["check", "--c-check", "--c-target", "i386", defs])
    #expect(!i386.failed && i386.console.standardError.isEmpty)
    // Without --c-check no header is read.
    let plain = try run(CheckCommand.self, ["check", defs])
    #expect(!plain.failed && plain.console.standardError.isEmpty)
  }

  @Test func cIncludeAndCDefineReachLibclang() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let defs = folder.appendingPathComponent("uses.defs").path
    try """
      subsystem uses 100;
      import <layout.h>;
      type port = MACH_MSG_TYPE_COPY_SEND ctype: int;
      type extra_t = MACH_MSG_TYPE_INTEGER_64;
      routine r(p: port; x: extra_t);
      """.write(toFile: defs, atomically: true, encoding: .utf8)
    let missing = try run(CheckCommand.self, ["check", "--c-check", defs])
    #expect(missing.failed && missing.console.standardError.contains("[c-header-error]"))
    let found = try run(
      CheckCommand.self, ["check", "--c-check", "--c-include", TestPaths.inputs, "--c-define", "LAYOUT_EXTRA", defs])
    // extra_t is an int: 4 bytes, not the 8 the .defs declares.
    #expect(found.failed && found.console.standardError.contains("'extra_t' is 8 bytes on the wire but its C type 'extra_t' is 4 bytes"))
  }

  @Test func importCOutputMatchesTheGoldenAndChecksClean() throws {
    let types = [
      "point_t", "mixed_t", "either_t", "ids_t", "point_array_t", "color_t", "ratio_t", "sample_t", "nested_t", "wide_t",
      "flags_t", "flag_t",
    ]
    let result = try run(ImportCCommand.self, ["import-c", "layout.h", "--c-include", TestPaths.inputs, "--type"] + types)
    #expect(!result.failed, "\(result.console.standardError)")
    try expectGolden(result.console.standardOutput, "import-c/layout.defs")
    // What import-c prints is a .defs whose C check is clean.
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let defs = folder.appendingPathComponent("imported.defs").path
    var text = "subsystem imported 500;\nimport <layout.h>;\ntype port = MACH_MSG_TYPE_COPY_SEND ctype: int;\n"
    text += result.console.standardOutput
    text += "routine r(p: port; " + types.enumerated().map { "a\($0.offset): \($0.element)" }.joined(separator: "; ") + ");\n"
    try text.write(toFile: defs, atomically: true, encoding: .utf8)
    let check = try run(CheckCommand.self, ["check", "--c-check", "--c-include", TestPaths.inputs, defs])
    #expect(!check.failed)
    #expect(!check.console.standardError.contains("error"), "\(check.console.standardError)")
  }

  /// `generate --c-structs` writes what the C struct round trip compiles (its committed file).
  @Test func generateWithCStructsWritesTheRoundTripFile() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let roundTrip = TestPaths.testsDirectory + "/../HurdIDLCStructRoundTripTests"
    let result = try run(
      GenerateCommand.self, ["generate", "--c-structs", "--output-dir", folder.path, roundTrip + "/cstructs.defs"])
    #expect(!result.failed)
    #expect(result.console.standardError.contains("[c-struct-not-mapped]"))
    let written = try String(contentsOf: folder.appendingPathComponent("cstructs.hurdidl.swift"), encoding: .utf8)
    #expect(written == (try String(contentsOfFile: roundTrip + "/cstructs.hurdidl.swift", encoding: .utf8)))
    // Without --c-structs the same interface keeps its arrays.
    let plain = try run(GenerateCommand.self, ["generate", "--output-dir", folder.path, roundTrip + "/cstructs.defs"])
    #expect(!plain.failed && plain.console.standardError.isEmpty)
    let arrays = try String(contentsOf: folder.appendingPathComponent("cstructs.hurdidl.swift"), encoding: .utf8)
    #expect(!arrays.contains("struct RegionInfoT") && !arrays.contains("cSize"))
  }

  /// The config's C keys (docs/config.md) turn the C import on and locate the headers.
  @Test func configCKeysDriveGenerate() throws {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let roundTrip = TestPaths.testsDirectory + "/../HurdIDLCStructRoundTripTests"
    let headers = folder.appendingPathComponent("include")
    try FileManager.default.createDirectory(at: headers, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: roundTrip + "/cstructs.h", toPath: headers.appendingPathComponent("cstructs.h").path)
    try FileManager.default.copyItem(atPath: roundTrip + "/cstructs.defs", toPath: folder.appendingPathComponent("cstructs.defs").path)
    let config = folder.appendingPathComponent("hurdidl.json").path
    // cTarget i386 fails here (no i386 C library headers: <stdint.h> has errors); --c-target on the
    // command line wins over it.
    try #"{"cStructs": true, "cIncludePaths": ["include"], "cTarget": "i386", "cDefines": ["UNUSED=1"], "cPrelude": ["<stdint.h>"]}"#
      .write(toFile: config, atomically: true, encoding: .utf8)
    let output = folder.appendingPathComponent("out")
    let input = folder.appendingPathComponent("cstructs.defs").path
    let i386 = try run(GenerateCommand.self, ["generate", "--config", config, "--output-dir", output.path, input])
    #expect(i386.failed && i386.console.standardError.contains("[c-header-error]"))
    let result = try run(
      GenerateCommand.self, ["generate", "--config", config, "--c-target", "x86_64", "--output-dir", output.path, input])
    #expect(!result.failed, "\(result.console.standardError)")
    let written = try String(contentsOf: output.appendingPathComponent("cstructs.hurdidl.swift"), encoding: .utf8)
    #expect(written == (try String(contentsOfFile: roundTrip + "/cstructs.hurdidl.swift", encoding: .utf8)))
    // A misspelt C key is an error located in the file.
    try #"{"cStruct": true}"#.write(toFile: config, atomically: true, encoding: .utf8)
    let misspelt = try run(GenerateCommand.self, ["generate", "--config", config, "--output-dir", output.path, input])
    #expect(misspelt.failed && misspelt.console.standardError.contains("unknown key 'cStruct'"))
  }

  @Test func importCReportsWhatItCannotDeclare() throws {
    let result = try run(ImportCCommand.self, ["import-c", "target.h", "--c-include", TestPaths.inputs, "--type", "nope_t", "wide_t"])
    #expect(result.failed)
    #expect(result.console.standardError.contains("'nope_t' is not a C type declared by target.h"))
    #expect(result.console.standardOutput.contains("type wide_t = MACH_MSG_TYPE_INTEGER_64"))
  }

  /// The built `hurdidl` binary in a process whose libclang is hidden: a clear message, exit 1.
  @Test func builtCLIWithoutLibclangSaysWhatToInstall() throws {
    let binary = try #require(Self.builtBinary(), "the hurdidl binary is built beside the tests")
    var environment = ProcessInfo.processInfo.environment
    environment["HURDIDL_LIBCLANG"] = "none"
    let check = try runTool(binary, ["check", "--c-check", TestPaths.inputs + "/target.defs"], environment: environment)
    #expect(check.status == 1)
    #expect(check.standardError.contains("install libclang-dev"), "\(check.standardError)")
    #expect(check.standardError.contains("[c-import-unavailable]"))
    let importC = try runTool(binary, ["import-c", TestPaths.inputs + "/target.h", "--type", "wide_t"], environment: environment)
    #expect(importC.status == 1)
    #expect(importC.standardError.contains("install libclang-dev"), "\(importC.standardError)")
    // Without --c-check the same binary never looks for libclang.
    let plain = try runTool(binary, ["check", TestPaths.inputs + "/target.defs"], environment: environment)
    #expect(plain.status == 0)
  }

  /// hurdidl builds and runs without libclang: the binary does not link it (it is dlopen'ed).
  @Test func builtCLIDoesNotLinkLibclang() throws {
    let binary = try #require(Self.builtBinary(), "the hurdidl binary is built beside the tests")
    let dynamic = try runTool("/usr/bin/readelf", ["-d", binary])
    #expect(dynamic.status == 0)
    #expect(dynamic.standardOutput.contains("(NEEDED)"))
    #expect(!dynamic.standardOutput.contains("clang"))
  }

  /// `hurdidl` sits in the build products folder, beside the test bundle.
  static func builtBinary() -> String? {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<3 {
      let candidate = folder.appendingPathComponent("hurdidl").path
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
      folder.deleteLastPathComponent()
    }
    return nil
  }
}
