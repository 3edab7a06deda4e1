@_spi(Transport) import HurdRPC

/// The server side of kinds.defs.
package struct KindsService: KindsServer {
  /// Where the transport carries capabilities between processes: makes the objects `swapPort`
  /// hands out and drops the rights the handlers received.
  let objects: (any ObjectHost)?

  package init(objects: (any ObjectHost)? = nil) { self.objects = objects }

  package func widths(_ target: Void, a: Int8, b: Int16, c: Int64, d: Bool, context: CallContext) throws(ReturnCode)
    -> Kinds.WidthsReply
  {
    Kinds.WidthsReply(e: a &+ 1, f: b &+ 1, g: c &+ 1, h: !d)
  }

  package func checksum(_ target: Void, data: MemoryRegion, context: CallContext) throws(ReturnCode) -> Int64 {
    data.withUnsafeBytes { bytes in bytes.reduce(Int64(0)) { $0 + Int64($1) } }
  }

  package func fillPage(_ target: Void, value: Int8, context: CallContext) throws(ReturnCode) -> MemoryRegion {
    MemoryRegion(copying: Array(repeating: UInt8(bitPattern: value), count: 4096))
  }

  package func echoData(_ target: Void, data: MemoryRegion, context: CallContext) throws(ReturnCode) -> MemoryRegion { data }

  package func countWords(_ target: Void, words: [Int32], context: CallContext) throws(ReturnCode) -> Kinds.CountWordsReply {
    Kinds.CountWordsReply(total: words.reduce(0) { $0 + Int64($1) }, doubled: words.map { $0 &* 2 })
  }

  package func relabel(_ target: Void, label: String, context: CallContext) throws(ReturnCode) -> String { label.uppercased() }

  package func invert(_ target: Void, flags: [Bool], context: CallContext) throws(ReturnCode) -> [Bool] { flags.map { !$0 } }

  /// Without an object host (loopback: names are plain numbers) the next name; with one, a new
  /// object badged with the received name's number, and the received right is dropped.
  package func swapPort(_ target: Void, given: CapabilityName, context: CallContext) throws(ReturnCode) -> CapabilityName {
    guard let objects else { return CapabilityName(rawValue: given.rawValue + 1) }
    objects.release(given)
    return objects.makeObject(badge: UInt64(given.rawValue) + 1)
  }

  package func status(_ target: Void, seed: Int32, context: CallContext) throws(ReturnCode) -> Kinds.StatusReply {
    Kinds.StatusReply(status: [seed, seed &+ 1, seed &+ 2], pair: InlineArray { PairValue.encode(tag: 7, value: seed)[$0] })
  }

  package func firstSquares(_ target: Void, squaresCnt: Int32, context: CallContext) throws(ReturnCode) -> [Int32] {
    (0..<min(Int32(16), max(0, squaresCnt))).map { $0 * $0 }
  }

  package func reversePorts(_ target: Void, pair: [CapabilityName], ports: [CapabilityName], context: CallContext)
    throws(ReturnCode) -> [CapabilityName]
  {
    (pair + ports).reversed()
  }

  package func handOver(_ target: Void, data: MemoryRegion, dataDealloc: Bool, context: CallContext) throws(ReturnCode)
    -> Kinds.HandOverReply
  {
    Kinds.HandOverReply(granted: dataDealloc, size: Int32(data.count))
  }

  package func sumBlock(
    _ target: Void, first: Int32, block: InlineArray<64, Int64>, last: Int32, context: CallContext
  ) throws(ReturnCode) -> Kinds.SumBlockReply {
    let values = block.indices.map { block[$0] }
    return Kinds.SumBlockReply(
      total: values.reduce(Int64(first) + Int64(last)) { $0 &+ $1 }, echo: InlineArray { values[values.count - 1 - $0] })
  }

  package func scale(
    _ target: Void, factor: Float, offset: Double, vector: InlineArray<3, Float>, context: CallContext
  ) throws(ReturnCode) -> Kinds.ScaleReply {
    let values = vector.indices.map { vector[$0] }
    return Kinds.ScaleReply(sum: values.reduce(offset) { $0 + Double($1) }, scaled: InlineArray { values[$0] * factor })
  }

  package func mirror(
    _ target: Void,
    a: Int8, b: Int16, c: Int32, d: Int64, e: UInt8, f: UInt16, g: UInt32, h: UInt64, context: CallContext
  ) throws(ReturnCode) -> Kinds.MirrorReply {
    Kinds.MirrorReply(ra: a, rb: b, rc: c, rd: d, re: e, rf: f, rg: g, rh: h)
  }

  package func passRight(_ target: Void, right: CapabilityItem, context: CallContext) throws(ReturnCode) -> CapabilityItem {
    // Hand back a send right made from a receive right, keep any other disposition.
    right.disposition == .moveReceive ? CapabilityItem(right.name, disposition: .makeSend) : right
  }
}

/// `struct { short tag; int value; }` in GNU's layout (tag at 0, value at 4), as the elements
/// the plan reports for it.
package enum PairValue {
  package static func encode(tag: Int16, value: Int32) -> [Int32] {
    [Int32(truncatingIfNeeded: UInt16(bitPattern: tag)), value]
  }
}
