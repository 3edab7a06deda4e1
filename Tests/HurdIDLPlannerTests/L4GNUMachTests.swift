import HurdIDLPlanner
import Testing

/// The L4 planner on every interface of gnumach-dev (real interfaces, not random ones): every
/// routine plans without problems and passes the invariant checker, under each flag set.
@Suite("L4 plans of the gnumach-dev interfaces")
struct L4GNUMachTests {
  static let interfaces: [(path: String, routines: Int)] = [
    ("device/device.defs", 12), ("device/device_reply.defs", 5), ("device/device_request.defs", 5),
    ("mach/bootstrap.defs", 1), ("mach/default_pager.defs", 6), ("mach/default_pager_helper.defs", 1),
    ("mach/exc.defs", 1), ("mach/experimental.defs", 3), ("mach/gnumach.defs", 12), ("mach/mach.defs", 44),
    ("mach/mach4.defs", 2), ("mach/mach_host.defs", 38), ("mach/mach_port.defs", 20),
    ("mach/memory_object.defs", 9), ("mach/memory_object_default.defs", 2), ("mach/notify.defs", 6),
    ("mach/task_notify.defs", 1), ("mach/x86_64/mach_i386.defs", 6), ("mach_debug/mach_debug.defs", 12),
  ]
  static let flagSets: [[String]] = [[], ["KERNEL_SERVER"], ["KERNEL_USER"], ["SEQNOS"]]

  @Test("every routine fits and is placed exactly once", arguments: flagSets)
  func plans(defines: [String]) throws {
    var routines = 0
    for (relative, expectedRoutines) in Self.interfaces {
      let path = PlannerTestPaths.machIncludes + "/" + relative
      let text = try #require(InstalledMachDefs.files[path], "gnumach-dev is not installed (\(path))")
      let checked = check(text: text, path: path, defines: defines)
      guard let interface = checked.interface else {
        Issue.record("\(relative) \(defines): \(checked.renderedErrors)")
        continue
      }
      let plan = L4Planner.plan(interface)
      #expect(plan.problems.isEmpty, "\(relative): \(plan.problems)")
      if defines.isEmpty { #expect(plan.routines.count == expectedRoutines, "\(relative)") }
      for (routine, routinePlan) in zip(interface.routines, plan.routines) {
        let violations = planViolations(routinePlan, for: routine, problems: plan.problems)
        #expect(violations.isEmpty, "\(relative): \(violations.joined(separator: "\n"))")
      }
      routines += plan.routines.count
    }
    if defines.isEmpty { #expect(routines == 186) }
  }
}
