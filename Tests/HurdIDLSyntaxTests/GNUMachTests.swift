import Foundation
import HurdIDLSource
import HurdIDLSyntax
import Testing

/// The interface files of Debian's `gnumach-dev` (reference §6): they parse with no diagnostic at
/// all, round-trip through the printer, and have GNU MIG's routine/simpleroutine/skip counts.
@Suite struct GNUMachTests {
  struct Counts: Hashable, CustomStringConvertible {
    var routines: Int
    var simpleRoutines: Int
    var skipSlots: Int
    var description: String { "\(routines) routines, \(simpleRoutines) simpleroutines, \(skipSlots) skip slots" }
  }

  struct Case: Sendable, CustomTestStringConvertible {
    var path: String
    var defines: [String] = []
    var routines: Int
    var simpleRoutines: Int
    var skipSlots: Int
    var testDescription: String { path + defines.map { " -D" + $0 }.joined() }
  }

  /// Reference §6 (GNU MIG 1.8+git20221221 `-list` output on gnumach-dev 1.8+git20221224).
  static let cases: [Case] = [
    Case(path: "device/device.defs", routines: 12, simpleRoutines: 0, skipSlots: 3),
    Case(path: "device/device_reply.defs", routines: 0, simpleRoutines: 5, skipSlots: 1),
    Case(path: "device/device_request.defs", routines: 0, simpleRoutines: 5, skipSlots: 1),
    Case(path: "mach/bootstrap.defs", routines: 1, simpleRoutines: 0, skipSlots: 1),
    Case(path: "mach/default_pager.defs", routines: 6, simpleRoutines: 0, skipSlots: 0),
    Case(path: "mach/default_pager_helper.defs", routines: 0, simpleRoutines: 1, skipSlots: 0),
    Case(path: "mach/exc.defs", routines: 1, simpleRoutines: 0, skipSlots: 0),
    Case(path: "mach/experimental.defs", routines: 3, simpleRoutines: 0, skipSlots: 1),
    Case(path: "mach/gnumach.defs", routines: 7, simpleRoutines: 5, skipSlots: 0),
    Case(path: "mach/mach.defs", routines: 37, simpleRoutines: 7, skipSlots: 57),
    Case(path: "mach/mach.defs", defines: ["KERNEL_USER"], routines: 1, simpleRoutines: 7, skipSlots: 88),
    Case(path: "mach/mach4.defs", routines: 2, simpleRoutines: 0, skipSlots: 10),
    Case(path: "mach/mach_host.defs", routines: 38, simpleRoutines: 0, skipSlots: 5),
    Case(path: "mach/mach_port.defs", routines: 20, simpleRoutines: 0, skipSlots: 3),
    Case(path: "mach/memory_object.defs", routines: 0, simpleRoutines: 9, skipSlots: 1),
    Case(path: "mach/memory_object_default.defs", routines: 0, simpleRoutines: 2, skipSlots: 1),
    Case(path: "mach/notify.defs", routines: 0, simpleRoutines: 6, skipSlots: 3),
    Case(path: "mach/task_notify.defs", routines: 0, simpleRoutines: 1, skipSlots: 0),
    Case(path: "mach/x86_64/mach_i386.defs", routines: 6, simpleRoutines: 0, skipSlots: 3),
    Case(path: "mach_debug/mach_debug.defs", routines: 12, simpleRoutines: 0, skipSlots: 11),
    // Type-only include files: no routines, but they must parse cleanly too.
    Case(path: "mach/std_types.defs", routines: 0, simpleRoutines: 0, skipSlots: 0),
    Case(path: "mach/mach_types.defs", routines: 0, simpleRoutines: 0, skipSlots: 0),
    Case(path: "mach/x86_64/machine_types.defs", routines: 0, simpleRoutines: 0, skipSlots: 0),
    Case(path: "mach/default_pager_types.defs", routines: 0, simpleRoutines: 0, skipSlots: 0),
    Case(path: "device/device_types.defs", routines: 0, simpleRoutines: 0, skipSlots: 0),
    Case(path: "mach_debug/mach_debug_types.defs", routines: 0, simpleRoutines: 0, skipSlots: 0),
  ]

  static let missingFilesMessage = """
    gnumach-dev's .defs files are not installed under \(TestPaths.gnuMachIncludes). \
    Run the README's test command, Scripts/test.sh (it installs gnumach-dev through Scripts/install-deps.sh).
    """

  static func counts(_ file: DefsFile) -> Counts {
    var counts = Counts(routines: 0, simpleRoutines: 0, skipSlots: 0)
    for statement in file.statements {
      switch statement {
      case .routine(let routine) where routine.kind == .routine: counts.routines += 1
      case .routine: counts.simpleRoutines += 1
      case .skip(let skip): counts.skipSlots += Int(skip.count?.value ?? 1)
      default: break
      }
    }
    return counts
  }

  @Test(arguments: cases)
  func parsesCleanlyRoundTripsAndCountsMatch(_ testCase: Case) throws {
    let path = TestPaths.gnuMachIncludes + "/" + testCase.path
    try #require(FileManager.default.fileExists(atPath: path), Comment(rawValue: Self.missingFilesMessage))
    let parsed = preprocessAndParse(file: URL(fileURLWithPath: path), defines: testCase.defines)
    #expect(parsed.diagnostics.isEmpty, "\(parsed.rendered)")
    let expected = Counts(
      routines: testCase.routines, simpleRoutines: testCase.simpleRoutines, skipSlots: testCase.skipSlots)
    #expect(Self.counts(parsed.file) == expected)
    let trip = roundTrip(parsed.file)
    #expect(trip.reparseDiagnostics.isEmpty)
    #expect(trip.original == trip.reparsed)
  }

  @Test func totalsMatchTheReference() throws {
    let interfaces = Self.cases.filter { $0.defines.isEmpty && $0.routines + $0.simpleRoutines > 0 }
    #expect(interfaces.count == 19)
    #expect(interfaces.map(\.routines).reduce(0, +) == 145)
    #expect(interfaces.map(\.simpleRoutines).reduce(0, +) == 41)
    #expect(interfaces.map(\.skipSlots).reduce(0, +) == 101)
  }

  @Test(arguments: [[], ["KERNEL_SERVER"], ["KERNEL_USER"], ["SEQNOS"]])
  func everyFileParsesCleanlyUnderEachFlagSet(_ defines: [String]) throws {
    for testCase in Self.cases where testCase.defines.isEmpty {
      let path = TestPaths.gnuMachIncludes + "/" + testCase.path
      try #require(FileManager.default.fileExists(atPath: path), Comment(rawValue: Self.missingFilesMessage))
      let parsed = preprocessAndParse(file: URL(fileURLWithPath: path), defines: defines)
      #expect(parsed.diagnostics.isEmpty, "\(testCase.path) \(defines): \(parsed.rendered)")
    }
  }
}

@Suite struct ASTCodableTests {
  @Test func treeSurvivesJSONEncoding() throws {
    let path = TestPaths.gnuMachIncludes + "/mach/mach.defs"
    try #require(FileManager.default.fileExists(atPath: path), Comment(rawValue: GNUMachTests.missingFilesMessage))
    let file = preprocessAndParse(file: URL(fileURLWithPath: path)).file
    let data = try JSONEncoder().encode(file)
    #expect(try JSONDecoder().decode(DefsFile.self, from: data) == file)
  }
}
