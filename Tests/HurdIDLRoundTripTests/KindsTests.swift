import Dispatch
import Foundation
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// The server side of kinds.defs.
struct KindsService: KindsServer {
  func widths(_ target: Void, a: Int8, b: Int16, c: Int64, d: Bool, context: CallContext) throws(ReturnCode) -> Kinds.WidthsReply {
    Kinds.WidthsReply(e: a &+ 1, f: b &+ 1, g: c &+ 1, h: !d)
  }

  func checksum(_ target: Void, data: MemoryRegion, context: CallContext) throws(ReturnCode) -> Int64 {
    data.withUnsafeBytes { bytes in bytes.reduce(Int64(0)) { $0 + Int64($1) } }
  }

  func fillPage(_ target: Void, value: Int8, context: CallContext) throws(ReturnCode) -> MemoryRegion {
    MemoryRegion(copying: Array(repeating: UInt8(bitPattern: value), count: 4096))
  }

  func echoData(_ target: Void, data: MemoryRegion, context: CallContext) throws(ReturnCode) -> MemoryRegion { data }

  func countWords(_ target: Void, words: [Int32], context: CallContext) throws(ReturnCode) -> Kinds.CountWordsReply {
    Kinds.CountWordsReply(total: words.reduce(0) { $0 + Int64($1) }, doubled: words.map { $0 &* 2 })
  }

  func relabel(_ target: Void, label: String, context: CallContext) throws(ReturnCode) -> String { label.uppercased() }

  func invert(_ target: Void, flags: [Bool], context: CallContext) throws(ReturnCode) -> [Bool] { flags.map { !$0 } }

  func swapPort(_ target: Void, given: CapabilityName, context: CallContext) throws(ReturnCode) -> CapabilityName {
    CapabilityName(rawValue: given.rawValue + 1)
  }

  func status(_ target: Void, seed: Int32, context: CallContext) throws(ReturnCode) -> Kinds.StatusReply {
    Kinds.StatusReply(status: [seed, seed &+ 1, seed &+ 2], pair: InlineArray(elementsOf: PairValue.encode(tag: 7, value: seed)))
  }

  func firstSquares(_ target: Void, squaresCnt: Int32, context: CallContext) throws(ReturnCode) -> [Int32] {
    (0..<min(Int32(16), max(0, squaresCnt))).map { $0 * $0 }
  }

  func reversePorts(_ target: Void, pair: [CapabilityName], ports: [CapabilityName], context: CallContext) throws(ReturnCode)
    -> [CapabilityName]
  {
    (pair + ports).reversed()
  }

  func handOver(_ target: Void, data: MemoryRegion, dataDealloc: Bool, context: CallContext) throws(ReturnCode) -> Kinds.HandOverReply {
    Kinds.HandOverReply(granted: dataDealloc, size: Int32(data.count))
  }

  func sumBlock(
    _ target: Void, first: Int32, block: InlineArray<64, Int64>, last: Int32, context: CallContext
  ) throws(ReturnCode) -> Kinds.SumBlockReply {
    let values = block.elements
    return Kinds.SumBlockReply(
      total: values.reduce(Int64(first) + Int64(last)) { $0 &+ $1 }, echo: InlineArray(elementsOf: values.reversed()))
  }

  func scale(
    _ target: Void, factor: Float, offset: Double, vector: InlineArray<3, Float>, context: CallContext
  ) throws(ReturnCode) -> Kinds.ScaleReply {
    let values = vector.elements
    return Kinds.ScaleReply(
      sum: values.reduce(offset) { $0 + Double($1) }, scaled: InlineArray(elementsOf: values.map { $0 * factor }))
  }

  func mirror(
    _ target: Void,
    a: Int8, b: Int16, c: Int32, d: Int64, e: UInt8, f: UInt16, g: UInt32, h: UInt64, context: CallContext
  ) throws(ReturnCode) -> Kinds.MirrorReply {
    Kinds.MirrorReply(ra: a, rb: b, rc: c, rd: d, re: e, rf: f, rg: g, rh: h)
  }

  func passRight(_ target: Void, right: CapabilityItem, context: CallContext) throws(ReturnCode) -> CapabilityItem {
    // Hand back a send right made from a receive right, keep any other disposition.
    right.disposition == .moveReceive ? CapabilityItem(right.name, disposition: .makeSend) : right
  }
}

/// `struct { short tag; int value; }` in GNU's layout (tag at 0, value at 4), as the elements
/// the plan reports for it.
enum PairValue {
  static func encode(tag: Int16, value: Int32) -> [Int32] {
    [Int32(truncatingIfNeeded: UInt16(bitPattern: tag)), value]
  }
}

/// A kinds.defs server on an L4 server thread.
final class KindsHarness: Sendable {
  let kernel = L4Kernel()
  let transport: L4ServerTransport
  let client: KindsClient<L4ClientTransport>
  private let done = DispatchSemaphore(value: 0)

  init() {
    transport = L4ServerTransport(space: kernel.createSpace())
    client = KindsClient(transport: L4ClientTransport(space: kernel.createSpace(), server: transport))
    let transport = transport
    let done = done
    let dispatcher = RequestDispatcher(KindsDemux(KindsService()))
    DispatchQueue(label: "kinds-server").async {
      try? transport.serve(dispatcher)
      done.signal()
    }
  }

  func finish() {
    transport.shutdown()
    done.wait()
  }
}

@Suite("More argument kinds over the L4 transport")
struct KindsTests {
  /// Zero, the minimum and the maximum of every integer width, signed and unsigned, each echoed
  /// unchanged (every bit of every field reaches the other side and comes back).
  @Test(arguments: ["zero", "minimum", "maximum", "ones"])
  func integersOfEveryWidthAtTheirLimits(_ which: String) throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    func limit<T: FixedWidthInteger>(_: T.Type) -> T {
      switch which {
      case "zero": 0
      case "minimum": .min
      case "maximum": .max
      default: T(truncatingIfNeeded: -1)
      }
    }
    let reply = try harness.client.mirror(
      a: limit(Int8.self), b: limit(Int16.self), c: limit(Int32.self), d: limit(Int64.self), e: limit(UInt8.self),
      f: limit(UInt16.self), g: limit(UInt32.self), h: limit(UInt64.self))
    #expect(reply.ra == limit(Int8.self) && reply.rb == limit(Int16.self))
    #expect(reply.rc == limit(Int32.self) && reply.rd == limit(Int64.self))
    #expect(reply.re == limit(UInt8.self) && reply.rf == limit(UInt16.self))
    #expect(reply.rg == limit(UInt32.self) && reply.rh == limit(UInt64.self))
  }

  @Test func outOfLineDataOfZeroBytes() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    #expect(try harness.client.checksum(data: MemoryRegion(copying: [])) == 0)
    #expect(try harness.client.echoData(data: MemoryRegion(copying: [])).count == 0)
    for grant in [false, true] {
      let reply = try harness.client.handOver(data: MemoryRegion(copying: []), dataDealloc: grant)
      #expect(reply.size == 0 && reply.granted == grant)
    }
  }

  @Test func variableArraysAtTheirMaximum() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    #expect(try harness.client.invert(flags: Array(repeating: false, count: 8)) == Array(repeating: true, count: 8))
    #expect(try harness.client.firstSquares(squaresCnt: 16) == (0..<16).map { $0 * $0 })
    let page = Array(repeating: Int64.max, count: 64)
    let block = try harness.client.sumBlock(first: .max, block: InlineArray(elementsOf: page), last: .min)
    #expect(block.echo.elements == page)
  }

  @Test func fixedCStringAtItsMaximumInMultiByteCharacters() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    // c_string[16]: 15 UTF-8 bytes fit, 16 do not, whatever the characters.
    let fifteen = String(repeating: "é", count: 7) + "x"  // 7 × 2 + 1 bytes
    #expect(try harness.client.relabel(label: fifteen) == fifteen.uppercased())
    let sixteen = String(repeating: "é", count: 8)
    #expect(caught { () throws(RPCError) in try harness.client.relabel(label: sixteen) }?.code == .arrayTooLarge)
  }

  @Test func integersOfEveryWidthAndBooleans() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    let maximum = try harness.client.widths(a: .max, b: .max, c: .max, d: true)
    #expect(maximum.e == .min && maximum.f == .min && maximum.g == .min && maximum.h == false)
    let minimum = try harness.client.widths(a: .min, b: .min, c: .min, d: false)
    #expect(minimum.e == .min + 1 && minimum.f == .min + 1 && minimum.g == .min + 1 && minimum.h == true)
    let zero = try harness.client.widths(a: -1, b: -1, c: -1, d: false)
    #expect(zero.e == 0 && zero.f == 0 && zero.g == 0)
  }

  @Test func outOfLineDataTravelsAsRegions() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    let megabyte = MemoryRegion(copying: Array(repeating: UInt8(3), count: 1 << 20))
    #expect(try harness.client.checksum(data: megabyte) == 3 << 20)
    #expect(try harness.client.checksum(data: MemoryRegion(copying: [1, 2, 3])) == 6)
    let page = try harness.client.fillPage(value: -2)
    #expect(page.count == 4096 && page.bytes.allSatisfy { $0 == 0xFE })
    let echoed = try harness.client.echoData(data: MemoryRegion(copying: Array(0..<200)))
    #expect(echoed.bytes == Array(0..<200))
  }

  @Test func indefiniteArraysAreStringsWhenSmallAndRegionsWhenLarge() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    let small = try harness.client.countWords(words: [1, 2, 3])
    #expect(small.total == 6 && small.doubled == [2, 4, 6])
    let large = Array(repeating: Int32(-7), count: 10_000)  // 40,000 bytes: a region
    let reply = try harness.client.countWords(words: large)
    #expect(reply.total == -70_000 && reply.doubled == Array(repeating: -14, count: 10_000))
  }

  @Test func fixedCStringAndBooleanArrays() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    #expect(try harness.client.relabel(label: "fifteen chars!!") == "FIFTEEN CHARS!!")
    let tooLong = caught { () throws(RPCError) in try harness.client.relabel(label: "sixteen chars!!!") }
    #expect(tooLong?.code == .arrayTooLarge)
    #expect(try harness.client.invert(flags: [true, false, true]) == [false, true, false])
    let nine = caught { () throws(RPCError) in try harness.client.invert(flags: Array(repeating: true, count: 9)) }
    #expect(nine?.code == .arrayTooLarge)
  }

  @Test func capabilitiesNeedATransportThatCarriesThem() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    let overL4 = caught { () throws(RPCError) in try harness.client.swapPort(given: CapabilityName(rawValue: 5)) }
    #expect(overL4?.code == .unsupported)
    let loopback = KindsClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(KindsDemux(KindsService()))))
    #expect(try loopback.swapPort(given: CapabilityName(rawValue: 5)) == CapabilityName(rawValue: 6))
  }

  @Test func structuresTravelAsTheirElements() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    let reply = try harness.client.status(seed: -1)
    #expect(reply.status.elements == [-1, 0, 1])
    #expect(reply.pair.count == 2)
  }

  @Test func polymorphicCapabilitiesCarryTheirDisposition() throws {
    let loopback = KindsClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(KindsDemux(KindsService()))))
    let made = try loopback.passRight(right: CapabilityItem(CapabilityName(rawValue: 9), disposition: .moveReceive))
    #expect(made == CapabilityItem(CapabilityName(rawValue: 9), disposition: .makeSend))
    let copied = try loopback.passRight(right: CapabilityItem(CapabilityName(rawValue: 4), disposition: .copySend))
    #expect(copied.disposition == .copySend)
  }

  @Test func countInOutTellsTheServerTheCallersCapacity() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    #expect(try harness.client.firstSquares(squaresCnt: 4) == [0, 1, 4, 9])
    #expect(try harness.client.firstSquares(squaresCnt: 0) == [])
    #expect(try harness.client.firstSquares(squaresCnt: 100).count == 16)
  }

  @Test func capabilityArraysFixedAndVariable() throws {
    let loopback = KindsClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(KindsDemux(KindsService()))))
    let names = (1...5).map { CapabilityName(rawValue: $0) }
    #expect(try loopback.reversePorts(pair: [names[0], names[1]], ports: Array(names[2...])) == names.reversed())
    #expect(try loopback.reversePorts(pair: [names[0], names[1]], ports: []) == [names[1], names[0]])
    let short = caught { () throws(RPCError) in try loopback.reversePorts(pair: [names[0]], ports: []) }
    #expect(short?.code == .badArguments)
  }

  @Test func capabilityRunCountsAreCheckedAgainstTheItems() throws {
    let rpc = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(KindsDemux(KindsService()))))
    let port = TypedItem.capability(CapabilityItem(CapabilityName(rawValue: 1), disposition: .copySend))
    for count: UInt64 in [1_000, 1, 0xFFFF_FFFF] {  // too many to fit, or more than the items sent
      var request = try Message(label: 7011, words: [count])
      try request.append(port)
      try request.append(port)
      #expect(caught { () throws(RPCError) in try rpc.call(request) }?.code == .badArguments, "count \(count)")
    }
  }

  @Test func deallocChosenPerCallGrantsOrMaps() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    let granted = try harness.client.handOver(data: MemoryRegion(copying: [1, 2, 3]), dataDealloc: true)
    #expect(granted.granted && granted.size == 3)
    let mapped = try harness.client.handOver(data: MemoryRegion(copying: [1, 2]), dataDealloc: false)
    #expect(!mapped.granted && mapped.size == 2)
  }

  @Test func fixedDataBeyondTheWordsTravelsInTheOverflowString() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    let block = (0..<64).map { Int64($0) * 1_000_000_007 - 5 }
    let reply = try harness.client.sumBlock(first: -1, block: InlineArray(elementsOf: block), last: Int32.max)
    #expect(reply.total == block.reduce(Int64(Int32.max) - 1, &+))
    #expect(reply.echo.elements == block.reversed())
  }

  @Test func floatingPointScalarsAndFixedArrays() throws {
    let harness = KindsHarness()
    defer { harness.finish() }
    let reply = try harness.client.scale(factor: -0.5, offset: 1e300, vector: [1, .infinity, 3.25])
    #expect(reply.sum == .infinity)
    #expect(reply.scaled.elements == [-0.5, -.infinity, -1.625])
    let small = try harness.client.scale(factor: 2, offset: -0.25, vector: [0, -0.0, .leastNonzeroMagnitude])
    #expect(small.sum == -0.25 + Double(Float.leastNonzeroMagnitude))
    #expect(small.scaled[1].sign == .minus && small.scaled[2] == 2 * .leastNonzeroMagnitude)
  }

  @Test func aCapabilityOfTheWrongRightIsRefused() throws {
    // `given` is declared copy-send: a receive right in its place is malformed.
    let dispatcher = RequestDispatcher(KindsDemux(KindsService()))
    let rpc = RPCClient(transport: LoopbackTransport(dispatcher: dispatcher))
    var request = Message(label: 7007)
    try request.append(.capability(CapabilityItem(CapabilityName(rawValue: 1), disposition: .moveReceive)))
    #expect(caught { () throws(RPCError) in try rpc.call(request) }?.code == .badArguments)
  }
}
