// GNU MIG 1.8's message arithmetic on x86_64 (docs/plans.md, "Mach layout"): every item is a
// 4- or 12-byte descriptor followed by its data padded to the 4-byte word; out-of-line data is an
// 8-byte pointer; variable inline arrays count as 0 bytes in the minimum size and at their maximum
// in every offset.

import HurdIDLSema

enum MachLayout {
  static let headerSize = Int(MachTarget.headerSizeInBytes)
  /// The unit every item is padded to.
  static let wordSize = Int(MachTarget.wordSizeInBytes)
  /// The slot of out-of-line data.
  static let pointerSize = Int(MachTarget.pointerSizeInBytes)

  static func plan(_ interface: MachInterfaceInput) -> MachInterfacePlan {
    MachInterfacePlan(
      subsystem: PlanSubsystem(name: interface.subsystem, base: interface.base),
      routines: interface.routines.map { plan($0, in: interface) },
      kernelUser: interface.kernelUser, kernelServer: interface.kernelServer)
  }

  static func plan(_ routine: MachRoutineInput, in interface: MachInterfaceInput) -> MachRoutinePlan {
    // msgh_id arithmetic is GNU's unsigned int: `skip 4294967295` wraps around.
    let requestID = interface.base &+ routine.index
    var request = message(routine.requestItems, isReply: false, kernelServer: interface.kernelServer)
    request.remoteDisposition = disposition(routine.requestPortInName)
    request.localDisposition = disposition(routine.replyPortInName)
    let reply: MachMessagePlan? =
      switch routine.kind {
      case .routine:
        message(routine.replyItems, isReply: true, kernelServer: interface.kernelServer)
      case .simpleroutine: nil
      }
    return MachRoutinePlan(
      name: routine.name, kind: routine.kind, requestID: Int(requestID),
      replyID: routine.kind == .routine ? Int(requestID &+ 100) : nil, request: request, reply: reply,
      index: Int(routine.index))
  }

  private static func disposition(_ name: UInt32) -> MachDisposition {
    name == MachTypeName.polymorphic ? .runtime : .value(Int(name))
  }

  /// Lays out one message as its sender builds it. A KernelServer reply is sent by the kernel
  /// before copy-out, so it is described with out-names (`PORT_SEND`, not `COPY_SEND`).
  static func message(_ inputs: [MachItemInput], isReply: Bool, kernelServer: Bool) -> MachMessagePlan {
    let sendsOutNames = isReply && kernelServer
    var offset = headerSize
    var minimum = headerSize
    var items: [MachItemPlan] = []
    for input in inputs {
      let form: MachDescriptorForm = input.isLongForm ? .long : .short
      let dataSize = dataBytes(input)
      let paddedSize = input.isInline ? roundedToWord(dataSize) : pointerSize
      let dataOffset = offset + form.byteCount
      let variableInline = input.isVariable && input.isInline
      minimum += form.byteCount + (variableInline ? 0 : paddedSize)

      let sentName = sendsOutNames ? input.outName : input.inName
      var runtime: [String] = []
      if sentName == MachTypeName.polymorphic { runtime.append("msgtName") }
      if input.isVariable { runtime.append("msgtNumber") }
      items.append(
        MachItemPlan(
          name: input.name, descriptorOffset: offset, descriptorForm: form, dataOffset: dataOffset,
          dataSize: dataSize,
          msgtName: templateField(sentName, form: form, shortBits: 8, longBits: 16),
          msgtSize: templateField(input.sizeBits, form: form, shortBits: 8, longBits: 16),
          msgtNumber: templateField(input.number, form: form, shortBits: 12, longBits: 32),
          inline: input.isIndefinite ? .runtime : .value(input.isInline),
          deallocate: deallocateBit(input), paddedDataSize: paddedSize, runtime: runtime,
          role: input.role, variable: variableInline,
          countMultiplier: input.isVariable ? Int(input.countMultiplier ?? 1) : nil, string: input.isString,
          receiverCheck: receiverCheck(input, isReply: isReply, kernelServer: kernelServer)))
      offset = dataOffset + paddedSize
    }
    return MachMessagePlan(
      size: minimum, sizeIsMinimum: items.contains(where: \.variable),
      complex: complexity(inputs, names: sendsOutNames ? \.outName : \.inName), items: items,
      maximumSize: offset, remoteDisposition: nil, localDisposition: nil,
      receiverComplex: complexity(inputs, names: \.outName))
  }

  /// `(number × size + 7) / 8` in GNU's unsigned int arithmetic; a pointer for out-of-line data.
  static func dataBytes(_ input: MachItemInput) -> Int {
    guard input.isInline else { return pointerSize }
    return Int((input.number &* input.sizeBits &+ 7) / 8)
  }

  static func roundedToWord(_ bytes: Int) -> Int {
    (bytes + wordSize - 1) / wordSize * wordSize
  }

  /// The value a descriptor bit-field holds after the template assigns it: short descriptors have
  /// 8-bit names and sizes and a 12-bit count, long ones 16-bit names and sizes and a 32-bit count.
  /// (This is also why `MACH_MSG_TYPE_POLYMORPHIC` reads 255 or 65535.)
  private static func templateField(_ value: UInt32, form: MachDescriptorForm, shortBits: Int, longBits: Int)
    -> Int
  {
    let bits = form == .short ? shortBits : longBits
    return bits >= 32 ? Int(value) : Int(value & (UInt32(1) << UInt32(bits) - 1))
  }

  /// `array[]` data goes out of line only above 2048 bytes, and only then may be deallocated, so
  /// any deallocation request makes the bit a run-time decision.
  private static func deallocateBit(_ input: MachItemInput) -> MachRuntimeBool {
    switch input.deallocation {
    case .never: .value(false)
    case .always: input.isIndefinite ? .runtime : .value(true)
    case .runtime: .runtime
    }
  }

  /// A message must be complex when an item carries a port right or out-of-line data; it may be
  /// (decided while sending) when an item is polymorphic or may go out of line.
  private static func complexity(_ inputs: [MachItemInput], names: KeyPath<MachItemInput, UInt32>)
    -> MachComplexity
  {
    var mayBeComplex = false
    for input in inputs {
      let name = input[keyPath: names]
      if MachTypeName.isPortRight(name) || !input.isInline { return .always }
      if name == MachTypeName.polymorphic || input.isIndefinite { mayBeComplex = true }
    }
    return mayBeComplex ? .runtime : .never
  }

  /// What the receiving stub checks. The whole descriptor word is compared with a template
  /// ("quick") only when every field is known in advance: a short, non-polymorphic, fixed-size
  /// item — and, in a KernelServer request, not a port or out-of-line item, whose deallocate bit the
  /// kernel does not normalise. Otherwise the known fields are compared one by one.
  private static func receiverCheck(_ input: MachItemInput, isReply: Bool, kernelServer: Bool) -> MachItemCheck {
    let polymorphic = input.outName == MachTypeName.polymorphic
    var quick = !input.isLongForm && !polymorphic && !input.isVariable
    if !isReply, kernelServer, !input.isInline || MachTypeName.isPortRight(input.outName) {
      quick = false
    }
    if quick {
      return MachItemCheck(
        method: .quick,
        expect: [
          "msgtName": Int(input.outName), "msgtSize": Int(input.sizeBits), "msgtNumber": Int(input.number),
          "inline": input.isInline ? 1 : 0, "longform": 0,
          // Received out-of-line memory always arrives marked for deallocation.
          "deallocate": input.isInline ? 0 : 1,
        ])
    }
    var expect = ["longform": input.isLongForm ? 1 : 0, "msgtSize": Int(input.sizeBits)]
    if !input.isIndefinite { expect["inline"] = input.isInline ? 1 : 0 }
    if !polymorphic { expect["msgtName"] = Int(input.outName) }
    if !input.isVariable { expect["msgtNumber"] = Int(input.number) }
    return MachItemCheck(method: .fields, expect: expect)
  }
}
