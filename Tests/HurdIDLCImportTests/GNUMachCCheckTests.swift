import Foundation
import HurdIDLCCheck
import HurdIDLCImport
import HurdIDLCTypes
import HurdIDLCompiler
import HurdIDLSema
import HurdIDLSource
import Testing

/// The C check on the installed GNU Mach interfaces (x86_64), cross-checked against gcc.
@Suite(.serialized) struct GNUMachCCheckTests {
  struct Checked {
    var file: String
    var result: CheckedFile
    var interface: CheckedInterface
    var imported: CImportResult
  }

  /// Every interface checked and imported once (the two gcc tests share it).
  static let checked: [Checked] = TestPaths.gnumachInterfaces.compactMap { file in
    let path = TestPaths.gnumachInclude + "/" + file
    let frontEnd = FrontEnd.run(
      mainFile: path, options: .init(includePaths: [TestPaths.gnumachInclude]), resolver: FileSystemResolver())
    let plain = Compiler.check(frontEnd)
    guard let interface = plain.interface else { return nil }
    let request = CCheck.request(for: interface, mainFile: path, options: CImportOptions())
    guard let imported = try? CImporter.run(request) else { return nil }
    return Checked(file: file, result: CCheck.run(plain, options: CCheckOptions()), interface: interface, imported: imported)
  }

  /// `'name' is …` → name, for the mismatch diagnostics.
  static func typeName(_ diagnostic: Diagnostic) -> String {
    String(diagnostic.message.dropFirst().prefix { $0 != "'" })
  }

  static let mismatchCodes: Set<DiagnosticCode> = [.cSizeMismatch, .cElementSizeMismatch]

  @Test func reportsExactlyTheRealMismatches() throws {
    #expect(Self.checked.count == 19, "every interface checks and imports")
    var found: [String: Set<String>] = [:]
    for entry in Self.checked {
      #expect(!entry.imported.hasErrors, "\(entry.file): \(entry.imported.messages)")
      for diagnostic in entry.result.diagnostics where Self.mismatchCodes.contains(diagnostic.code) {
        found[entry.file, default: []].insert(Self.typeName(diagnostic))
        #expect(diagnostic.notes.first?.location != nil, "the note points at the C declaration")
      }
    }
    #expect(
      found == [
        "mach/mach_host.defs": ["time_value_t"],
        "mach_debug/mach_debug.defs": ["vm_region_info_t", "vm_object_info_t", "cache_info_array_t"],
      ])
  }

  /// The Swift toolchain's libclang (a newer LLVM, outside its LLVM tree) finds the same
  /// mismatches, through `HURDIDL_LIBCLANG` (docs/c-import.md, "Supported libclang versions").
  @Test(.enabled(if: FileManager.default.fileExists(atPath: Self.toolchainLibclang)))
  func theToolchainLibclangAgrees() throws {
    var environment = ProcessInfo.processInfo.environment
    environment[LibClangEnvironment.variable] = Self.toolchainLibclang
    var found: [String: Set<String>] = [:]
    for file in ["mach/mach_host.defs", "mach_debug/mach_debug.defs", "mach/mach.defs"] {
      let checked = checkWithC(
        TestPaths.gnumachInclude + "/" + file, includePaths: [TestPaths.gnumachInclude], environment: environment)
      #expect(!checked.diagnostics.contains { $0.code == .cHeaderError || $0.code == .cImportUnavailable })
      for diagnostic in checked.diagnostics where Self.mismatchCodes.contains(diagnostic.code) {
        found[file, default: []].insert(Self.typeName(diagnostic))
      }
    }
    #expect(
      found == [
        "mach/mach_host.defs": ["time_value_t"],
        "mach_debug/mach_debug.defs": ["vm_region_info_t", "vm_object_info_t", "cache_info_array_t"],
      ])
  }

  static let toolchainLibclang = "/opt/swift/usr/lib/libclang.so"

  /// Compiles a C program with gcc (x86_64, the host) and returns the lines it prints.
  static func compileAndRun(_ program: String) throws -> [Substring] {
    let folder = try scratchFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let source = folder.appendingPathComponent("probe.c").path
    let binary = folder.appendingPathComponent("probe").path
    try program.write(toFile: source, atomically: true, encoding: .utf8)
    let compiled = try runTool("/usr/bin/gcc", ["-std=gnu11", "-o", binary, source])
    try #require(compiled.status == 0, "gcc: \(compiled.standardError)")
    return try runTool(binary, []).standardOutput.split(separator: "\n")
  }

  /// Without a prelude only mach_port.defs names C types its imports do not declare (they are in
  /// `<mach/message.h>`, which GNU MIG's C output includes itself); with it, none is missing.
  @Test func theMIGPreludeDeclaresTheRest() throws {
    var missing: [String: Set<String>] = [:]
    for entry in Self.checked {
      for diagnostic in entry.result.diagnostics where diagnostic.code == .cTypeNotFound {
        missing[entry.file, default: []].insert(String(diagnostic.message.split(separator: "'")[1]))
      }
    }
    #expect(missing == ["mach/mach_port.defs": ["mach_msg_id_t", "mach_msg_type_name_t"]])
    let options = CCheckOptions(importOptions: CImportOptions(preludeHeaders: ["<mach/message.h>"]))
    for file in TestPaths.gnumachInterfaces {
      let checked = checkWithC(TestPaths.gnumachInclude + "/" + file, includePaths: [TestPaths.gnumachInclude], options: options)
      #expect(!checked.diagnostics.contains { $0.severity == .warning }, "\(file)")
      #expect(checked.diagnostics.filter { Self.mismatchCodes.contains($0.code) }.count == (file == "mach_debug/mach_debug.defs" ? 3 : file == "mach/mach_host.defs" ? 1 : 0))
    }
  }

  @Test func theFiveRoutinesOfTheIssueUseMismatchedTypes() throws {
    var routinesHit: Set<String> = []
    for entry in Self.checked {
      let bad = Set(entry.result.diagnostics.filter { Self.mismatchCodes.contains($0.code) }.map(Self.typeName))
      for routine in entry.interface.routines
      where routine.arguments.contains(where: { $0.origin == .written && bad.contains($0.type.name ?? "") }) {
        routinesHit.insert(routine.name)
      }
    }
    for routine in ["host_set_time", "host_adjust_time", "host_get_time", "mach_vm_region_info", "mach_vm_object_info"] {
      #expect(routinesHit.contains(routine), "\(routine)")
    }
  }

  /// gcc's sizeof/_Alignof/offsetof for every C type the importer resolved, in one program.
  @Test func everySizeAndOffsetAgreesWithGCC() throws {
    var headers: [String] = []
    var probes: [(key: String, type: String)] = []
    var expected: [String: String] = [:]
    var seen: Set<String> = []
    for entry in Self.checked {
      for header in CCheck.request(for: entry.interface, mainFile: "", options: .init()).headers where !headers.contains(header) {
        headers.append(header)
      }
      let table = entry.imported.table
      for (name, named) in table.names.sorted(by: { $0.key < $1.key }) where seen.insert("name " + name).inserted {
        let type = try #require(table.types[named.canonical])
        probes.append(("name \(name)", name))
        expected["name \(name)"] = "\(type.size!) \(type.alignment!)"
      }
      for (spelling, type) in table.types.sorted(by: { $0.key < $1.key }) where seen.insert(spelling).inserted {
        // Anonymous records have no spelling C accepts; they are reached through their typedef names.
        guard let size = type.size, let alignment = type.alignment, !spelling.contains("("), type.kind != .other else { continue }
        probes.append((spelling, spelling))
        expected[spelling] = "\(size) \(alignment)"
        for field in type.fields where field.bitWidth == nil && !field.name.isEmpty {
          probes.append(("\(spelling).\(field.name)", "offsetof(\(spelling), \(field.name))"))
          expected["\(spelling).\(field.name)"] = "\(field.offset)"
        }
      }
    }
    #expect(probes.count > 150, "the gnumach interfaces resolve many C types (\(probes.count))")
    var program = "#include <stddef.h>\n#include <stdio.h>\n" + headers.map { "#include \($0)\n" }.joined()
    program += "int main(void) {\n"
    for (key, type) in probes {
      if type.hasPrefix("offsetof(") {
        program += "  printf(\"%s|%zu\\n\", \"\(key)\", \(type));\n"
      } else {
        program += "  printf(\"%s|%zu %zu\\n\", \"\(key)\", sizeof(\(type)), _Alignof(\(type)));\n"
      }
    }
    program += "  return 0;\n}\n"
    var actual: [String: String] = [:]
    for line in try Self.compileAndRun(program) {
      let parts = line.split(separator: "|", maxSplits: 1)
      actual[String(parts[0])] = String(parts[1])
    }
    #expect(actual.count == expected.count)
    for (key, value) in expected.sorted(by: { $0.key < $1.key }) where actual[key] != value {
      Issue.record("\(key): hurdidl \(value), gcc \(actual[key] ?? "nothing")")
    }
  }

  /// Independently of the check's own rule: every type whose inline fixed wire size differs from
  /// gcc's sizeof of its C type is reported, and nothing else is reported as a size mismatch.
  @Test func noInlineFixedMismatchIsMissed() throws {
    var cases: [(file: String, type: String, cName: String, wireBytes: UInt64)] = []
    var headers: [String] = []
    for entry in Self.checked {
      for header in CCheck.request(for: entry.interface, mainFile: "", options: .init()).headers where !headers.contains(header) {
        headers.append(header)
      }
      for subject in CCheck.subjects(of: entry.interface) {
        let type = subject.type
        let bits = UInt64(type.sizeInBits) * UInt64(type.number)
        guard type.isInline, !type.isVariable, bits > 0, bits % 8 == 0 else { continue }
        for cName in subject.cNames where entry.imported.table.resolve(cName) != nil {
          cases.append((entry.file, type.name!, cName, bits / 8))
        }
      }
    }
    var program = "#include <stdio.h>\n" + headers.map { "#include \($0)\n" }.joined() + "int main(void) {\n"
    for (index, item) in cases.enumerated() {
      program += "  printf(\"\(index) %zu\\n\", sizeof(\(item.cName)));\n"
    }
    program += "  return 0;\n}\n"
    let output = try Self.compileAndRun(program)
    #expect(output.count == cases.count)
    var gccMismatches: Set<String> = []
    for line in output {
      let parts = line.split(separator: " ").compactMap { UInt64($0) }
      let item = cases[Int(parts[0])]
      if parts[1] != item.wireBytes { gccMismatches.insert("\(item.file) \(item.type)") }
    }
    var reported: Set<String> = []
    for entry in Self.checked {
      for diagnostic in entry.result.diagnostics where diagnostic.code == .cSizeMismatch {
        reported.insert("\(entry.file) \(Self.typeName(diagnostic))")
      }
    }
    #expect(reported == gccMismatches)
    #expect(reported.count == 3)
  }
}
