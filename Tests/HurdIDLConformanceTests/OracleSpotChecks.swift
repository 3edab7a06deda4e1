import Foundation
import Testing

/// Known facts from the reference (mig-language.md §4, §6) checked against what the oracle reads out
/// of GNU MIG's output — these pin the oracle itself, before any planner exists to compare with it.
@Suite struct OracleSpotChecks {
  private func plan(experiment name: String) async throws -> OraclePlan {
    try await OracleCases.cache.result(defs: OracleCases.experimentPath(name), flags: []).plan
  }

  private func plan(interface path: String, flags: [String] = []) async throws -> OraclePlan {
    try await OracleCases.cache.result(defs: OracleCases.interfacePath(path), flags: flags).plan
  }

  private func routine(_ name: String, in plan: OraclePlan) throws -> OracleRoutine {
    try #require(plan.routines.first { $0.name == name }, "no routine \(name)")
  }

  @Test func toolsAndInterfacesAreInstalled() {
    for tool in [MIGOracle.migPath, MIGOracle.gccPath] {
      #expect(
        FileManager.default.isExecutableFile(atPath: tool),
        "\(tool) is missing — run Scripts/test.sh (the README's test command), which installs mig-x86-64-gnu, gnumach-dev and gcc")
    }
    for interface in OracleCases.interfaces {
      #expect(
        FileManager.default.fileExists(atPath: OracleCases.interfacePath(interface.path)),
        "\(interface.path) is missing — run Scripts/test.sh (the README's test command), which installs gnumach-dev")
    }
  }

  @Test func missingInputIsAnErrorThatSaysWhatToDo() {
    #expect {
      _ = try MIGOracle.run(defs: "/nonexistent/none.defs", flags: [])
    } throws: { error in
      "\(error)".contains("README")
    }
  }

  @Test func interfaceWithoutRoutinesStillNamesItsSubsystem() async throws {
    let path = OracleCases.testDirectory.appendingPathComponent("Fixtures/oracle/no_routines.defs").path
    let result = try await OracleCases.cache.result(defs: path, flags: [])
    #expect(result.plan.subsystem == .init(name: "no_routines", base: 4242))
    #expect(result.plan.routines.isEmpty && result.problems.isEmpty)
  }

  @Test func defaultCountsMatchReference() async throws {
    var routines = 0
    var simpleroutines = 0
    for interface in OracleCases.interfaces {
      let plan = try await plan(interface: interface.path)
      #expect(plan.subsystem.name == interface.subsystem, "\(interface.path)")
      #expect(plan.subsystem.base == interface.base, "\(interface.path)")
      let routineCount = plan.routines.count { $0.kind == "routine" }
      let simpleCount = plan.routines.count { $0.kind == "simpleroutine" }
      #expect(routineCount == interface.routines, "\(interface.path)")
      #expect(simpleCount == interface.simpleroutines, "\(interface.path)")
      routines += routineCount
      simpleroutines += simpleCount
    }
    #expect(routines == 145)
    #expect(simpleroutines == 41)
  }

  @Test func kernelUserMachDropsMostCalls() async throws {
    let plan = try await plan(interface: "mach/mach.defs", flags: ["-DKERNEL_USER"])
    #expect(plan.kernelUser && !plan.kernelServer)
    #expect(plan.routines.count { $0.kind == "routine" } == 1)
    #expect(plan.routines.count { $0.kind == "simpleroutine" } == 7)
  }

  @Test func idsFollowSkipsAndSimpleroutinesHaveNoReply() async throws {
    let plan = try await plan(experiment: "t1")
    #expect(plan.subsystem == .init(name: "t1", base: 1000))
    #expect(plan.routines.map(\.name) == ["r0", "r1", "r3", "r7"])
    #expect(plan.routines.map(\.requestID) == [1000, 1001, 1003, 1007])
    #expect(plan.routines.map(\.replyID) == [1100, nil, 1103, 1107])
    #expect(plan.routines.map(\.kind) == ["routine", "simpleroutine", "routine", "routine"])
    let simple = try routine("r1", in: plan)
    #expect(simple.reply == nil)
    #expect(simple.request.localDisposition == .value(0))
    #expect(try routine("r0", in: plan).request.remoteDisposition == .value(19))
    #expect(try routine("r0", in: plan).request.localDisposition == .value(21))
  }

  @Test func scalarsAreWordAligned() async throws {
    let request = try routine("scalars", in: try await plan(experiment: "t3")).request
    #expect(request.size == 76 && !request.sizeIsMinimum && request.complex == .never)
    #expect(request.items.map(\.name) == ["a", "b", "c", "d", "e"])
    #expect(request.items.map(\.descriptorOffset) == [32, 40, 48, 60, 68])
    #expect(request.items.map(\.dataOffset) == [36, 44, 52, 64, 72])
    #expect(request.items.map(\.dataSize) == [1, 2, 8, 4, 4])
    #expect(request.items.map(\.msgtName) == [8, 1, 11, 2, 0])
    #expect(request.items.map(\.msgtSize) == [8, 16, 64, 32, 32])
    #expect(request.items.allSatisfy { $0.descriptorForm == "short" && $0.inline == .value(true) })
  }

  @Test func largeFixedArrayNeedsTheLongForm() async throws {
    let request = try routine("arrays", in: try await plan(experiment: "t3")).request
    let big = try #require(request.items.last)
    #expect(big.name == "b" && big.descriptorForm == "long")
    #expect(big.descriptorOffset == 92 && big.dataOffset == 104 && big.dataSize == 20000)
    #expect(big.msgtName == 2 && big.msgtSize == 32 && big.msgtNumber == 5000)
    #expect(request.size == 20104)
  }

  @Test func variableCStringShiftsNothingButSetsTheCountAtRunTime() async throws {
    let request = try routine("strs", in: try await plan(experiment: "t3")).request
    #expect(request.size == 104 && request.sizeIsMinimum && request.maximumSize == 168)
    let variable = try #require(request.items.last)
    #expect(variable.msgtName == 12 && variable.msgtNumber == 64 && variable.runtime == ["msgtNumber"])
  }

  @Test func outOfLineArraysUseLongFormWithPointerSizedData() async throws {
    let request = try routine("oi", in: try await plan(experiment: "t5")).request
    #expect(request.size == 64 && !request.sizeIsMinimum && request.complex == .always)
    let x = request.items[0]
    #expect(x.descriptorForm == "long" && x.descriptorOffset == 32 && x.dataOffset == 44)
    #expect(x.dataSize == 8 && x.inline == .value(false) && x.deallocate == .value(true))
    #expect(x.runtime == ["msgtNumber"])
    // `^array[100] of int` sends msgt_number 0 (GNU quirk, reference Appendix A).
    let f = request.items[1]
    #expect(f.descriptorForm == "short" && f.msgtNumber == 0 && f.inline == .value(false))
    // Receivers expect deallocate == !inline for out-of-line data.
    let fCheck = try #require(request.receiverCheck.items.last)
    #expect(fCheck.method == "quick" && fCheck.expect["deallocate"] == 1 && fCheck.expect["inline"] == 0)
  }

  @Test func indefiniteArrayGoesOutOfLineAtRunTime() async throws {
    let request = try routine("ui", in: try await plan(experiment: "t5")).request
    #expect(request.size == 52 && request.sizeIsMinimum && request.complex == .runtime)
    let x = request.items[0]
    #expect(x.inline == .runtime && x.dataSize == 2048 && x.msgtNumber == 512)
    #expect(request.items[1].descriptorOffset == 32 + 12 + 2048)
  }

  @Test func deallocBracketsMakesDeallocateARunTimeValue() async throws {
    let reply = try #require(try routine("oo", in: try await plan(experiment: "t5")).reply)
    #expect(reply.items[1].deallocate == .runtime && reply.complex == .always)
  }

  @Test func countInOutTravelsAsItsOwnItem() async throws {
    let vc = try routine("vc", in: try await plan(experiment: "t4"))
    #expect(vc.request.items.map(\.name) == ["xCnt"])
    #expect(vc.request.items[0].descriptorOffset == 32 && vc.request.items[0].dataOffset == 36)
    #expect(vc.request.size == 40)
    let reply = try #require(vc.reply)
    #expect(reply.size == 44 && reply.sizeIsMinimum)
  }

  @Test func everyReplyStartsWithRetCode() async throws {
    for interface in OracleCases.interfaces {
      for routine in try await plan(interface: interface.path).routines {
        guard let reply = routine.reply else { continue }
        let retCode = try #require(reply.items.first)
        #expect(retCode.name == "RetCode" && retCode.descriptorOffset == 32 && retCode.dataOffset == 36)
        #expect(retCode.msgtName == 2 && retCode.msgtSize == 32 && retCode.msgtNumber == 1)
        if reply.items.count == 1 { #expect(reply.size == 40 && !reply.sizeIsMinimum, "\(routine.name)") }
      }
    }
  }

  @Test func polymorphicNamesAreSetAtRunTime() async throws {
    let p1 = try routine("p1", in: try await plan(experiment: "t6"))
    let c = try #require(p1.request.items.last)
    #expect(c.msgtName == 255 && c.runtime == ["msgtName"])
    #expect(p1.reply?.complex == .runtime)
  }

  @Test func kernelServerRepliesUseOutNamesAndPointerSizedPorts() async throws {
    let user = try routine("task_create", in: try await plan(interface: "mach/mach.defs"))
    let kernel = try routine(
      "task_create", in: try await plan(interface: "mach/mach.defs", flags: ["-DKERNEL_SERVER"]))
    let userPort = try #require(user.reply?.items.last)
    let kernelPort = try #require(kernel.reply?.items.last)
    #expect(userPort.msgtName == 19 && userPort.msgtSize == 32 && userPort.dataSize == 4)
    #expect(kernelPort.msgtName == 17 && kernelPort.msgtSize == 64 && kernelPort.dataSize == 8)
    #expect(kernel.reply?.size == 52)
  }

  // MARK: Fixtures/oracle/kinds.defs — every argument kind

  private func kinds(_ flags: [String] = []) async throws -> OraclePlan {
    try await OracleCases.cache.result(defs: OracleCases.ownFixturePath("kinds"), flags: flags).plan
  }

  @Test func twoVariableArraysShiftWhatFollows() async throws {
    let variable = try routine("variable", in: try await kinds())
    #expect(variable.request.items.map(\.descriptorOffset) == [32, 100, 136])
    #expect(variable.request.size == 48 && variable.request.sizeIsMinimum && variable.request.maximumSize == 144)
    let reply = try #require(variable.reply)
    #expect(reply.items.map(\.descriptorOffset) == [32, 40, 108, 144])
    #expect(reply.size == 56 && reply.sizeIsMinimum)
  }

  @Test func optionArgumentsTravelInNoItem() async throws {
    let options = try routine("options", in: try await kinds())
    #expect(options.request.items.map(\.name) == ["value"])
    #expect(options.requestID == 7009)
  }

  @Test func polymorphicRequestPortIsARunTimeDisposition() async throws {
    let notice = try routine("notice", in: try await kinds())
    #expect(notice.kind == "simpleroutine" && notice.reply == nil)
    #expect(notice.request.remoteDisposition == .runtime && notice.request.localDisposition == .value(21))
  }

  @Test func kernelModesWidenPortsButNotPortNames() async throws {
    for flags in [["-DKERNEL_SERVER"], ["-DKERNEL_USER"]] {
      let rights = try routine("rights", in: try await kinds(flags)).request
      #expect(rights.items.map(\.msgtSize) == [64, 64, 64, 64, 32, 64], "\(flags)")
      #expect(rights.items.map(\.dataSize) == [8, 8, 8, 8, 4, 8], "\(flags)")
      #expect(rights.size == 100, "\(flags)")
    }
    let user = try routine("rights", in: try await kinds()).request
    #expect(user.size == 80 && user.items.allSatisfy { $0.msgtSize == 32 })
  }

  @Test(arguments: MIGOracleTests.fixtureCases)
  func ownFixturesAreConsistent(_ testCase: MIGOracleTests.FixtureCase) async throws {
    let plan = try await OracleCases.cache.result(
      defs: OracleCases.ownFixturePath(testCase.name), flags: testCase.flags
    ).plan
    #expect(plan.routines.allSatisfy { $0.cLayoutMismatches.isEmpty })
    #expect(plan.routines.count == 8)
  }

  // MARK: GNU MIG's own inconsistencies (its C disagrees with its size arithmetic)

  /// Routines whose generated C layout disagrees with GNU MIG's own sizes, per file, under every
  /// flag set: `time_value_t` is 16 bytes in C but `struct[3] of integer_t` (12) on the wire;
  /// `vm_region_info_t`/`vm_object_info_t` likewise; `cache_info_t` elements of host_slab_info's
  /// `array[]` are 120 bytes in C and 116 in MIG's `struct {}` arithmetic (no `_Static_assert`
  /// covers variable arrays, so only the layout comparison finds this one).
  static let gnuInconsistentRoutines: [String: Set<String>] = [
    "mach/mach_host.defs": ["host_set_time", "host_adjust_time", "host_get_time"],
    "mach_debug/mach_debug.defs": ["mach_vm_region_info", "mach_vm_object_info", "host_slab_info"],
  ]

  /// In the experiments: t4's `array[*:7] of char` sits in a union with an 8-byte pointer, so C puts
  /// the following item 4 bytes later than MIG's arithmetic (and its `msgh_size`) does; t10's
  /// `array[64] of MACH_MSG_TYPE_BIT` asserts `sizeof == 0 * 64` yet sends 8 bytes.
  static let experimentInconsistentRoutines: [String: Set<String>] = [
    "t4": ["va", "vo"],
    "t10": ["s"],
  ]

  @Test(arguments: MIGOracleTests.interfaceCases)
  func gnuInconsistenciesAreExactlyTheKnownOnes(_ testCase: MIGOracleTests.InterfaceCase) async throws {
    let plan = try await plan(interface: testCase.path, flags: testCase.flags)
    let found = Set(plan.routines.filter { !$0.cLayoutMismatches.isEmpty }.map(\.name))
    #expect(found == Self.gnuInconsistentRoutines[testCase.path] ?? [])
  }

  @Test(arguments: OracleCases.experiments)
  func experimentInconsistenciesAreExactlyTheKnownOnes(_ name: String) async throws {
    let plan = try await plan(experiment: name)
    let found = Set(plan.routines.filter { !$0.cLayoutMismatches.isEmpty }.map(\.name))
    #expect(found == Self.experimentInconsistentRoutines[name] ?? [])
  }

  @Test func inconsistentRoutinesFollowGNUArithmetic() async throws {
    let hostGetTime = try routine("host_get_time", in: try await plan(interface: "mach/mach_host.defs"))
    let reply = try #require(hostGetTime.reply)
    #expect(reply.size == 56 && reply.items[1].dataSize == 12)
    #expect(hostGetTime.cLayoutMismatches.contains("sizeof(time_value_t) is 16 in C, GNU MIG expects 12"))
    let va = try routine("va", in: try await plan(experiment: "t4"))
    #expect(va.request.items.map(\.descriptorOffset) == [32, 76, 88])
    #expect(va.request.size == 48 && va.request.maximumSize == 96)
  }
}
