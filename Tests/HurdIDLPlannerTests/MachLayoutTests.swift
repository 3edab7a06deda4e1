import Testing

@testable import HurdIDLPlanner

/// The layout arithmetic on hand-made items (no sema involved): offsets, padding, sizes, the
/// template bit-fields, the complex bit and message ids.
@Suite struct MachLayoutTests {
  private func item(
    _ name: String, inName: UInt32 = 2, outName: UInt32? = nil, sizeBits: UInt32 = 32, number: UInt32 = 1,
    isInline: Bool = true, isVariable: Bool = false, isIndefinite: Bool = false, isLongForm: Bool = false,
    deallocation: MachDeallocation = .never, role: MachItemRole = .argument
  ) -> MachItemInput {
    MachItemInput(
      name: name, role: role, inName: inName, outName: outName ?? inName, sizeBits: sizeBits, number: number,
      isInline: isInline, isVariable: isVariable, isIndefinite: isIndefinite, isLongForm: isLongForm,
      deallocation: deallocation, countMultiplier: isVariable ? 1 : nil, isString: false)
  }

  private func request(_ items: [MachItemInput], kernelServer: Bool = false) -> MachMessagePlan {
    MachLayout.message(items, isReply: false, kernelServer: kernelServer)
  }

  @Test func scalarsArePaddedToTheWordAndEightByteScalarsAreOnlyWordAligned() {
    let message = request([
      item("a", inName: 8, sizeBits: 8), item("b", inName: 1, sizeBits: 16), item("c", inName: 11, sizeBits: 64),
      item("d"),
    ])
    #expect(message.items.map(\.descriptorOffset) == [32, 40, 48, 60])
    #expect(message.items.map(\.dataOffset) == [36, 44, 52, 64])
    #expect(message.items.map(\.dataSize) == [1, 2, 8, 4])
    #expect(message.items.map(\.paddedDataSize) == [4, 4, 8, 4])
    #expect(message.size == 68 && !message.sizeIsMinimum && message.maximumSize == 68)
    #expect(message.complex == .never)
  }

  @Test func variableArraysCountZeroInTheMinimumAndTheirMaximumInLaterOffsets() {
    let message = request([
      item("x", number: 10, isVariable: true), item("y", inName: 8, sizeBits: 8, number: 7, isVariable: true),
      item("z"),
    ])
    #expect(message.items.map(\.descriptorOffset) == [32, 76, 88])
    #expect(message.items.map(\.dataOffset) == [36, 80, 92])
    #expect(message.size == 48 && message.sizeIsMinimum && message.maximumSize == 96)
    #expect(message.items.map(\.runtime) == [["msgtNumber"], ["msgtNumber"], []])
    #expect(message.items.map(\.variable) == [true, true, false])
  }

  @Test func longFormTakesTwelveBytes() {
    let message = request([item("a", isLongForm: true), item("b")])
    #expect(message.items.map(\.descriptorForm) == [.long, .short])
    #expect(message.items.map(\.dataOffset) == [44, 52])
    #expect(message.size == 56)
  }

  @Test func outOfLineDataIsAPointerSlotAndKeepsTheSizeExact() {
    // `^array[] of int`: variable but out of line, so the message size is still exact.
    let message = request([
      item("x", number: 0, isInline: false, isVariable: true, isLongForm: true, deallocation: .always),
      item("f", number: 0, isInline: false),
    ])
    #expect(message.items.map(\.dataSize) == [8, 8])
    #expect(message.items.map(\.descriptorOffset) == [32, 52])
    #expect(message.size == 64 && !message.sizeIsMinimum)
    #expect(message.complex == .always)
    #expect(message.items.map(\.inline) == [.value(false), .value(false)])
    #expect(message.items.map(\.deallocate) == [.value(true), .value(false)])
    #expect(message.items.map(\.msgtNumber) == [0, 0])
  }

  @Test func indefiniteArraysDecideInlineAndDeallocationAtRunTime() {
    let plain = item("x", number: 512, isVariable: true, isIndefinite: true, isLongForm: true)
    var dealloc = plain
    dealloc.deallocation = .always
    var maybe = plain
    maybe.deallocation = .runtime
    let message = request([plain, dealloc, maybe])
    #expect(message.items.map(\.inline) == [.runtime, .runtime, .runtime])
    #expect(message.items.map(\.deallocate) == [.value(false), .runtime, .runtime])
    #expect(message.items[0].dataSize == 2048)
    #expect(message.complex == .runtime)
    #expect(message.size == 32 + 3 * 12 && message.sizeIsMinimum)
  }

  @Test func polymorphicNamesReadAsTheBitFieldHoldsThem() {
    let message = request([
      item("s", inName: MachTypeName.polymorphic), item("l", inName: MachTypeName.polymorphic, isLongForm: true),
    ])
    #expect(message.items.map(\.msgtName) == [255, 65535])
    #expect(message.items.map(\.runtime) == [["msgtName"], ["msgtName"]])
    #expect(message.complex == .runtime)
  }

  @Test func shortTemplatesTruncateLikeCBitFields() {
    // `IsNotLong` on a type that needs the long form: GNU still writes the short template.
    let message = request([item("big", inName: 9, sizeBits: 8, number: 5000)])
    #expect(message.items[0].msgtNumber == 5000 & 0xFFF)
    #expect(message.items[0].dataSize == 5000)
  }

  @Test func complexBit() {
    #expect(request([item("a")]).complex == .never)
    #expect(request([item("p", inName: 19, outName: 17)]).complex == .always)
    #expect(request([item("n", inName: 15)]).complex == .never, "a port name is not a right")
    #expect(request([item("p", inName: 19, outName: 17), item("q", inName: MachTypeName.polymorphic)]).complex == .always)
    // KernelServer replies are sent with out-names: PORT_RECEIVE is a right, the poly in-name is not used.
    let receive = item("c", inName: MachTypeName.polymorphic, outName: 16)
    #expect(MachLayout.message([receive], isReply: true, kernelServer: false).complex == .runtime)
    let kernel = MachLayout.message([receive], isReply: true, kernelServer: true)
    #expect(kernel.complex == .always)
    #expect(kernel.items[0].msgtName == 16 && kernel.items[0].runtime == [])
  }

  @Test func receiverChecks() {
    let message = request([
      item("a"), item("v", number: 10, isVariable: true), item("l", isLongForm: true),
      item("p", inName: MachTypeName.polymorphic, outName: MachTypeName.polymorphic),
      item("o", number: 0, isInline: false), item("port", inName: 19, outName: 17),
    ])
    let checks = message.items.map(\.receiverCheck)
    #expect(checks.map(\.method) == [.quick, .fields, .fields, .fields, .quick, .quick])
    #expect(checks[1].expect == ["msgtName": 2, "msgtSize": 32, "inline": 1, "longform": 0])
    #expect(checks[3].expect == ["msgtSize": 32, "msgtNumber": 1, "inline": 1, "longform": 0])
    #expect(checks[4].expect["deallocate"] == 1, "received out-of-line memory is marked for deallocation")
    // A KernelServer cannot quick-check request ports and out-of-line items.
    let kernel = request([item("o", number: 0, isInline: false), item("port", inName: 19, outName: 17)], kernelServer: true)
    #expect(kernel.items.map(\.receiverCheck.method) == [.fields, .fields])
  }

  @Test func messageIDsWrapLikeGNUsUnsignedCounter() {
    let routine = MachRoutineInput(
      name: "r", kind: .routine, index: 4_294_967_295, requestItems: [],
      replyItems: [item("RetCode", role: .returnCode)], requestPortInName: 19, replyPortInName: 21)
    let interface = MachInterfaceInput(
      subsystem: "s", base: 101, kernelUser: false, kernelServer: false, routines: [routine])
    let plan = MachLayout.plan(interface)
    #expect(plan.routines[0].requestID == 100)
    #expect(plan.routines[0].replyID == 200)
    #expect(plan.routines[0].reply?.size == 40)
    #expect(plan.routines[0].request.remoteDisposition == .value(19))
    #expect(plan.routines[0].request.localDisposition == .value(21))
  }

  @Test func simpleroutinesHaveNoReply() {
    let routine = MachRoutineInput(
      name: "s", kind: .simpleroutine, index: 1, requestItems: [item("a")], replyItems: [],
      requestPortInName: MachTypeName.polymorphic, replyPortInName: 0)
    let plan = MachLayout.plan(
      MachInterfaceInput(subsystem: "s", base: 10, kernelUser: false, kernelServer: false, routines: [routine]))
    #expect(plan.routines[0].reply == nil && plan.routines[0].replyID == nil)
    #expect(plan.routines[0].request.remoteDisposition == .runtime)
    #expect(plan.routines[0].request.localDisposition == .value(0))
  }
}
