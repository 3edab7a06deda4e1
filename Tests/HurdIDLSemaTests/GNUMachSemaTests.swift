import Foundation
import HurdIDLPreprocessor
import HurdIDLSema
import HurdIDLSource
import Testing

/// Every `.defs` file of Debian's `gnumach-dev` (reference §6) checks with zero diagnostics under
/// each flag set GNU MIG was run with, and has GNU MIG's routine counts and message-id range.
@Suite struct GNUMachSemaTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var path: String
    var subsystem: String?
    var base: UInt32 = 0
    var routines = 0
    var simpleRoutines = 0
    /// The routine table size (last id − base + 1, trailing skips included).
    var idCount: UInt32 = 0
    var testDescription: String { path }
  }

  /// Reference §6 (GNU MIG `-list` output; id range = base … base + idCount − 1).
  static let cases: [Case] = [
    Case(path: "device/device.defs", subsystem: "device", base: 2800, routines: 12, idCount: 15),
    Case(path: "device/device_reply.defs", subsystem: "device_reply", base: 2900, simpleRoutines: 5, idCount: 6),
    Case(path: "device/device_request.defs", subsystem: "device_request", base: 2800, simpleRoutines: 5, idCount: 6),
    Case(path: "mach/bootstrap.defs", subsystem: "bootstrap", base: 999999, routines: 1, idCount: 2),
    Case(path: "mach/default_pager.defs", subsystem: "default_pager", base: 2275, routines: 6, idCount: 6),
    Case(path: "mach/default_pager_helper.defs", subsystem: "dp_helper", base: 888888, simpleRoutines: 1, idCount: 1),
    Case(path: "mach/exc.defs", subsystem: "exc", base: 2400, routines: 1, idCount: 1),
    Case(path: "mach/experimental.defs", subsystem: "experimental", base: 424242, routines: 3, idCount: 4),
    Case(path: "mach/gnumach.defs", subsystem: "gnumach", base: 4200, routines: 7, simpleRoutines: 5, idCount: 12),
    Case(path: "mach/mach.defs", subsystem: "mach", base: 2000, routines: 37, simpleRoutines: 7, idCount: 101),
    Case(path: "mach/mach4.defs", subsystem: "mach4", base: 4000, routines: 2, idCount: 12),
    Case(path: "mach/mach_host.defs", subsystem: "mach_host", base: 2600, routines: 38, idCount: 43),
    Case(path: "mach/mach_port.defs", subsystem: "mach_port", base: 3200, routines: 20, idCount: 23),
    Case(path: "mach/memory_object.defs", subsystem: "memory_object", base: 2200, simpleRoutines: 9, idCount: 10),
    Case(
      path: "mach/memory_object_default.defs", subsystem: "memory_object_default", base: 2250, simpleRoutines: 2,
      idCount: 3),
    Case(path: "mach/notify.defs", subsystem: "notify", base: 64, simpleRoutines: 6, idCount: 9),
    Case(path: "mach/task_notify.defs", subsystem: "task_notify", base: 4400, simpleRoutines: 1, idCount: 1),
    Case(path: "mach/x86_64/mach_i386.defs", subsystem: "mach_i386", base: 3800, routines: 6, idCount: 9),
    Case(path: "mach_debug/mach_debug.defs", subsystem: "mach_debug", base: 3000, routines: 12, idCount: 23),
    Case(path: "mach/std_types.defs"),
    Case(path: "mach/mach_types.defs"),
    Case(path: "mach/x86_64/machine_types.defs"),
    Case(path: "mach/default_pager_types.defs"),
    Case(path: "device/device_types.defs"),
    Case(path: "mach_debug/mach_debug_types.defs"),
  ]

  /// The flag sets of reference §6 (GNU's driver runs cpp with `-undef`: no target macros).
  static let flagSets: [[String]] = [
    [], ["__x86_64__"], ["KERNEL_SERVER", "__x86_64__"], ["KERNEL_USER", "__x86_64__"], ["SEQNOS"],
  ]

  static func check(_ path: String, defines: [String]) -> Checked {
    run(mainFile: Paths.gnuMach + "/" + path, resolver: FixtureResolver(), defines: defines)
  }

  @Test(arguments: cases)
  func checksCleanWithGNUCountsUnderEveryFlagSet(_ testCase: Case) throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    for defines in Self.flagSets {
      let checked = Self.check(testCase.path, defines: defines)
      #expect(checked.diagnostics.isEmpty, "\(testCase.path) \(defines):\n\(checked.rendered)")
      let interface = try #require(checked.interface, "\(testCase.path) \(defines)")
      #expect(interface.subsystem?.name == testCase.subsystem)
      #expect(interface.isTypeFragment == (testCase.subsystem == nil))
      let isKernelUserMach = testCase.path == "mach/mach.defs" && defines.contains("KERNEL_USER")
      if isKernelUserMach {
        // The user-side variant drops most calls (reference §6): ids 2000–2095.
        #expect(interface.routines.filter { $0.kind == .routine }.count == 1)
        #expect(interface.routines.filter { $0.kind == .simpleRoutine }.count == 7)
        #expect(interface.messageIDCount == 96)
      } else {
        #expect(interface.routines.filter { $0.kind == .routine }.count == testCase.routines, "\(defines)")
        #expect(interface.routines.filter { $0.kind == .simpleRoutine }.count == testCase.simpleRoutines)
        #expect(interface.messageIDCount == testCase.idCount, "\(defines)")
      }
      if let subsystem = interface.subsystem {
        // GNU's port size follows the subsystem's kernel modifiers, which the files select
        // with `#if KERNEL_SERVER` / `#if KERNEL_USER`.
        let kernel = subsystem.isKernelUser || subsystem.isKernelServer
        #expect(interface.portSizeInBits == (kernel ? 64 : 32))
        if subsystem.isKernelServer { #expect(defines.contains("KERNEL_SERVER")) }
        if subsystem.isKernelUser { #expect(defines.contains("KERNEL_USER")) }
      }
      for routine in interface.routines {
        #expect(routine.requestID == testCase.base + routine.index)
        #expect(routine.replyID == (routine.kind == .routine ? routine.requestID + 100 : nil))
        #expect(routine.arguments[routine.retCode].name == "RetCode")
      }
      // The model survives JSON.
      let data = try JSONEncoder().encode(interface)
      #expect(try JSONDecoder().decode(CheckedInterface.self, from: data) == interface)
    }
  }

  @Test func totalsMatchTheReference() throws {
    try #require(Paths.hasGNUMach, Paths.missingGNUMach)
    var routines = 0
    var simpleRoutines = 0
    for testCase in Self.cases where testCase.subsystem != nil {
      let interface = try #require(Self.check(testCase.path, defines: []).interface)
      routines += interface.routines.filter { $0.kind == .routine }.count
      simpleRoutines += interface.routines.filter { $0.kind == .simpleRoutine }.count
    }
    #expect(routines == 145)
    #expect(simpleRoutines == 41)
  }
}
