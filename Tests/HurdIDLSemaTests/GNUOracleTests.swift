import Foundation
import HurdIDLCompiler
import HurdIDLSema
import HurdIDLSource
import Testing

/// Conformance with the real GNU MIG: its `-v` output prints every type's descriptor facts
/// (names, size, count, inline, long form, deallocate, struct/array) and C names, and every
/// routine's arguments with their kinds and flags. The model, printed the same way
/// (``GNUVerbose``), must match it line for line for every gnumach interface under every flag set
/// and for every experiment both compilers accept.
@Suite struct GNUOracleTests {
  static let mig = "/usr/bin/x86_64-gnu-mig"
  static var hasMIG: Bool { FileManager.default.isExecutableFile(atPath: mig) }
  static let missingMIG = Comment(
    rawValue: "GNU MIG (\(mig), Debian package mig-x86-64-gnu) is not installed; .ci/run installs it")

  struct Outcome {
    var status: Int32
    var output: String
  }

  /// Runs GNU MIG with `-n -v` (no files written) in a scratch directory.
  static func runMIG(_ path: String, defines: [String]) throws -> Outcome {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hurdidl-oracle-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: mig)
    process.arguments = ["-n", "-v", "-I" + Paths.gnuMach] + defines.map { "-D" + $0 } + [path]
    process.currentDirectoryURL = scratch
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Outcome(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
  }

  static func checkAllTypes(_ path: String, defines: [String]) -> Checked {
    let front = FrontEnd.run(
      mainFile: path, options: preprocessorOptions(defines: defines), resolver: FixtureResolver())
    let options = SemaOptions(mainFileOf: front.sourceMap, listsIncludedTypes: true)
    return Checked(front: front, sema: front.syntax.map { Sema.check($0, options: options) })
  }

  /// Compares the blocks; returns a description of the first differences.
  static func compare(_ path: String, defines: [String]) throws -> (gnuAccepted: Bool, weAccepted: Bool, mismatches: [String]) {
    let gnu = try runMIG(path, defines: defines)
    let checked = checkAllTypes(path, defines: defines)
    guard gnu.status == 0, let model = checked.interface else {
      return (gnu.status == 0, checked.interface != nil, [])
    }
    let gnuBlocks = GNUVerbose.blocks(gnu.output)
    // GNU prints every type declaration as it parses it, `x: t = spec` argument types included;
    // compare them as multisets (a name can be declared globally and again in an argument).
    let argumentTypes = model.routines.flatMap { $0.arguments.filter { $0.type.origin == .argumentDeclaration } }
    let ourTypes = (model.types + argumentTypes.map(\.type)).map(GNUVerbose.type).sorted()
    let gnuTypes = gnuBlocks.filter { $0.hasPrefix("Type ") }.sorted()
    let gnuRoutines = gnuBlocks.filter { !$0.hasPrefix("Type ") }
    var mismatches: [String] = []
    if ourTypes != gnuTypes {
      let onlyGNU = gnuTypes.filter { !ourTypes.contains($0) }
      let onlyOurs = ourTypes.filter { !gnuTypes.contains($0) }
      mismatches.append(
        "types differ (\(gnuTypes.count) from GNU, \(ourTypes.count) from hurdidl)\nGNU only:\n"
          + onlyGNU.prefix(4).joined(separator: "\n") + "\nhurdidl only:\n" + onlyOurs.prefix(4).joined(separator: "\n"))
    }
    let ourRoutines = model.routines.map(GNUVerbose.routine)
    if ourRoutines.count != gnuRoutines.count {
      mismatches.append("GNU has \(gnuRoutines.count) routines, hurdidl \(ourRoutines.count)")
    }
    for (gnuRoutine, ours) in zip(gnuRoutines, ourRoutines) where gnuRoutine != ours {
      mismatches.append("GNU:\n\(gnuRoutine)\nhurdidl:\n\(ours)")
    }
    return (true, true, mismatches)
  }

  @Test(arguments: GNUMachSemaTests.cases.filter { $0.subsystem != nil })
  func gnuMachInterfacesMatchGNU(_ testCase: GNUMachSemaTests.Case) throws {
    try #require(Self.hasMIG, Self.missingMIG)
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    for defines in GNUMachSemaTests.flagSets {
      let result = try Self.compare(Paths.gnuMach + "/" + testCase.path, defines: defines)
      #expect(result.gnuAccepted && result.weAccepted, "\(defines)")
      #expect(result.mismatches.isEmpty, "\(testCase.path) \(defines):\n\(result.mismatches.prefix(5).joined(separator: "\n\n"))")
    }
  }

  /// Experiments one compiler accepts and the other rejects, on purpose.
  static let acceptanceDifferences: [String: String] = [
    "hx.defs": "hexadecimal numbers are an hurdidl extension (GNU: syntax error)",
    "order.defs": "types before 'subsystem' are accepted with a warning (GNU: error)",
    "ie.defs": "'array[2-5]' is a negative size (GNU wraps it to 4294967293)",
    "mi.defs": "a missing #include is an error (GNU's cpp fails but MIG exits 0)",
    "mi2.defs": "a missing #include is an error (GNU silently drops the rest of the file)",
  ]

  @Test(arguments: Paths.defsFiles(in: "semantics"))
  func experimentsMatchGNU(_ name: String) throws {
    try #require(Self.hasMIG, Self.missingMIG)
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    let path = Paths.fixtures.appendingPathComponent("semantics/" + name).path
    let result = try Self.compare(path, defines: ["__x86_64__", "__LP64__"])
    if let reason = Self.acceptanceDifferences[name] {
      #expect(result.gnuAccepted != result.weAccepted, "\(reason)")
    } else {
      #expect(result.gnuAccepted == result.weAccepted, "GNU accepts: \(result.gnuAccepted), hurdidl: \(result.weAccepted)")
    }
    #expect(result.mismatches.isEmpty, "\(name):\n\(result.mismatches.prefix(5).joined(separator: "\n\n"))")
  }
}
