import Foundation
import HurdIDLCompiler
import HurdIDLPlanner
import HurdIDLPreprocessor
import HurdIDLSema
import Testing

/// Structural invariants of every Mach plan, on every `.defs` file in the repository (examples,
/// experiments, bad inputs, preprocessor torture tests, fixtures) and on the gnumach-dev interfaces:
/// whatever sema accepts, the planner plans without trapping, and the plan is self-consistent,
/// deterministic and survives a JSON round trip.
@Suite struct MachPlanInvariantTests {
  static let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  static let files: [String] = {
    var found: [String] = []
    for directory in ["Examples", "Tests"] {
      let root = repository.appendingPathComponent(directory)
      let walker = FileManager.default.enumerator(atPath: root.path)
      while let relative = walker?.nextObject() as? String {
        if relative.hasSuffix(".defs") { found.append(root.appendingPathComponent(relative).path) }
      }
    }
    let gnuMach = "/usr/include/x86_64-linux-gnu"
    for interface in ["mach/mach.defs", "mach/mach_host.defs", "mach_debug/mach_debug.defs", "device/device.defs"] {
      found.append(gnuMach + "/" + interface)
    }
    return found.sorted()
  }()

  @Test func thereAreManyInputs() {
    #expect(Self.files.count > 200)
  }

  @Test func everyAcceptedInterfacePlansConsistently() throws {
    var planned = 0
    for path in Self.files {
      for defines in [[], ["KERNEL_SERVER"], ["KERNEL_USER"]] {
        let options = PreprocessorOptions(
          includePaths: [URL(fileURLWithPath: path).deletingLastPathComponent().path, "/usr/include/x86_64-linux-gnu"],
          defines: defines)
        let front = FrontEnd.run(mainFile: path, options: options, resolver: DiskResolver())
        guard !front.hasErrors, let syntax = front.syntax else { continue }
        let sema = Sema.check(syntax)
        guard !sema.hasErrors, let interface = sema.interface else { continue }
        guard let plan = MachPlanner.plan(interface) else {
          #expect(interface.subsystem == nil, "\(path): no plan although there is a subsystem")
          continue
        }
        planned += 1
        let at = "\(path) \(defines)"
        #expect(plan.routines.map(\.name) == interface.routines.map(\.name), "\(at)")
        #expect(MachPlanner.plan(interface) == plan, "\(at): not deterministic")
        let json = try JSONEncoder().encode(plan)
        #expect(try JSONDecoder().decode(MachInterfacePlan.self, from: json) == plan, "\(at): JSON round trip")
        for routine in plan.routines {
          check(routine.request, at: "\(at) \(routine.name) request")
          #expect((routine.kind == .simpleroutine) == (routine.reply == nil), "\(at) \(routine.name)")
          if let reply = routine.reply {
            check(reply, at: "\(at) \(routine.name) reply")
            #expect(reply.items.first?.role == .returnCode && reply.items.first?.name == "RetCode")
            #expect(routine.replyID.map { UInt32(truncatingIfNeeded: $0 - routine.requestID) } == 100)
          }
        }
      }
    }
    #expect(planned > 100)
  }

  private func check(_ message: MachMessagePlan, at: String) {
    var offset = 32
    var minimum = 32
    for item in message.items {
      #expect(item.descriptorOffset == offset, "\(at) \(item.name): descriptor offset")
      #expect(item.dataOffset == offset + item.descriptorForm.byteCount, "\(at) \(item.name): data offset")
      #expect(item.paddedDataSize % 4 == 0 && item.paddedDataSize >= item.dataSize || item.inline == .value(false))
      if item.inline == .value(false) { #expect(item.dataSize == 8 && item.paddedDataSize == 8) }
      if item.variable { #expect(item.runtime.contains("msgtNumber"), "\(at) \(item.name)") }
      if item.inline == .runtime { #expect(item.descriptorForm == .long || item.variable, "\(at) \(item.name)") }
      minimum += item.descriptorForm.byteCount + (item.variable ? 0 : item.paddedDataSize)
      offset = item.dataOffset + item.paddedDataSize
    }
    #expect(message.maximumSize == offset, "\(at): maximum size")
    #expect(message.size == minimum, "\(at): minimum size")
    #expect(message.sizeIsMinimum == message.items.contains(where: \.variable), "\(at)")
    if message.items.contains(where: { $0.inline == .value(false) }) { #expect(message.complex == .always, "\(at)") }
  }
}
