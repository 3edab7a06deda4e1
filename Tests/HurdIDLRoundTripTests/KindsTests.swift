import Dispatch
import Foundation
@_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCL4
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

/// A generated kinds.defs client of a server placed as the test says.
func kinds(_ placement: Placement) throws -> (KindsClient<AnyTransport>, Served) {
  let served = try placement.serve(.kinds)
  return (KindsClient(transport: served.transport), served)
}

@Suite("More argument kinds over L4 and the socket transport")
struct KindsTests {
  /// Zero, the minimum and the maximum of every integer width, signed and unsigned, each echoed
  /// unchanged (every bit of every field reaches the other side and comes back).
  @Test(arguments: Placement.allCases, ["zero", "minimum", "maximum", "ones"])
  func integersOfEveryWidthAtTheirLimits(_ placement: Placement, _ which: String) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    func limit<T: FixedWidthInteger>(_: T.Type) -> T {
      switch which {
      case "zero": 0
      case "minimum": .min
      case "maximum": .max
      default: T(truncatingIfNeeded: -1)
      }
    }
    let reply = try client.mirror(
      a: limit(Int8.self), b: limit(Int16.self), c: limit(Int32.self), d: limit(Int64.self), e: limit(UInt8.self),
      f: limit(UInt16.self), g: limit(UInt32.self), h: limit(UInt64.self))
    #expect(reply.ra == limit(Int8.self) && reply.rb == limit(Int16.self))
    #expect(reply.rc == limit(Int32.self) && reply.rd == limit(Int64.self))
    #expect(reply.re == limit(UInt8.self) && reply.rf == limit(UInt16.self))
    #expect(reply.rg == limit(UInt32.self) && reply.rh == limit(UInt64.self))
  }

  @Test(arguments: Placement.allCases)
  func outOfLineDataOfZeroBytes(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    #expect(try client.checksum(data: MemoryRegion(copying: [])) == 0)
    #expect(try client.echoData(data: MemoryRegion(copying: [])).count == 0)
    for grant in [false, true] {
      let reply = try client.handOver(data: MemoryRegion(copying: []), dataDealloc: grant)
      #expect(reply.size == 0 && reply.granted == grant)
    }
  }

  @Test(arguments: Placement.allCases)
  func variableArraysAtTheirMaximum(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    #expect(try client.invert(flags: Array(repeating: false, count: 8)) == Array(repeating: true, count: 8))
    #expect(try client.firstSquares(squaresCnt: 16) == (0..<16).map { $0 * $0 })
    let page = Array(repeating: Int64.max, count: 64)
    let block = try client.sumBlock(first: .max, block: InlineArray(elementsOf: page), last: .min)
    #expect(block.echo.elements == page)
  }

  @Test(arguments: Placement.allCases)
  func fixedCStringAtItsMaximumInMultiByteCharacters(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    // c_string[16]: 15 UTF-8 bytes fit, 16 do not, whatever the characters.
    let fifteen = String(repeating: "é", count: 7) + "x"  // 7 × 2 + 1 bytes
    #expect(try client.relabel(label: fifteen) == fifteen.uppercased())
    let sixteen = String(repeating: "é", count: 8)
    #expect(caught { () throws(RPCError) in try client.relabel(label: sixteen) }?.code == .arrayTooLarge)
  }

  @Test(arguments: Placement.allCases)
  func integersOfEveryWidthAndBooleans(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let maximum = try client.widths(a: .max, b: .max, c: .max, d: true)
    #expect(maximum.e == .min && maximum.f == .min && maximum.g == .min && maximum.h == false)
    let minimum = try client.widths(a: .min, b: .min, c: .min, d: false)
    #expect(minimum.e == .min + 1 && minimum.f == .min + 1 && minimum.g == .min + 1 && minimum.h == true)
    let zero = try client.widths(a: -1, b: -1, c: -1, d: false)
    #expect(zero.e == 0 && zero.f == 0 && zero.g == 0)
  }

  @Test(arguments: Placement.allCases)
  func outOfLineDataTravelsAsRegions(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let megabyte = MemoryRegion(copying: Array(repeating: UInt8(3), count: 1 << 20))
    #expect(try client.checksum(data: megabyte) == 3 << 20)
    #expect(try client.checksum(data: MemoryRegion(copying: [1, 2, 3])) == 6)
    let page = try client.fillPage(value: -2)
    #expect(page.count == 4096 && page.bytes.allSatisfy { $0 == 0xFE })
    let echoed = try client.echoData(data: MemoryRegion(copying: Array(0..<200)))
    #expect(echoed.bytes == Array(0..<200))
    let bigEcho = try client.echoData(data: megabyte)
    #expect(bigEcho.count == 1 << 20 && bigEcho.bytes.allSatisfy { $0 == 3 })
  }

  /// Across processes 1 MiB of out-of-line data goes through shared memory: mapped (`checksum`
  /// reads the caller's pages) or granted (`echo_data` is `dealloc`: the caller's pages go).
  @Test(arguments: Placement.sockets)
  func aMebibyteOfSharedMemoryIsMappedOrMoved(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let shared = try SharedMemory.makeRegion(byteCount: 1 << 20)
    shared.withUnsafeMutableBytes { for index in $0.indices { $0[index] = UInt8(truncatingIfNeeded: index) } }
    let sum = Int64((0..<(1 << 20)).reduce(0) { $0 + ($1 & 0xFF) })
    #expect(try client.checksum(data: shared) == sum)
    #expect(SharedMemory.isShareable(shared))
    let echoed = try client.echoData(data: shared)
    #expect(echoed.count == 1 << 20 && echoed.bytes[1000] == UInt8(1000 & 0xFF))
    // Granted: moved to the server, the caller's pages are gone.
    #expect(!SharedMemory.isShareable(shared) && shared.bytes[1000] == 0)
  }

  @Test(arguments: Placement.allCases)
  func indefiniteArraysAreStringsWhenSmallAndRegionsWhenLarge(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let small = try client.countWords(words: [1, 2, 3])
    #expect(small.total == 6 && small.doubled == [2, 4, 6])
    let large = Array(repeating: Int32(-7), count: 10_000)  // 40,000 bytes: a region
    let reply = try client.countWords(words: large)
    #expect(reply.total == -70_000 && reply.doubled == Array(repeating: -14, count: 10_000))
  }

  @Test(arguments: Placement.allCases)
  func fixedCStringAndBooleanArrays(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    #expect(try client.relabel(label: "fifteen chars!!") == "FIFTEEN CHARS!!")
    let tooLong = caught { () throws(RPCError) in try client.relabel(label: "sixteen chars!!!") }
    #expect(tooLong?.code == .arrayTooLarge)
    #expect(try client.invert(flags: [true, false, true]) == [false, true, false])
    let nine = caught { () throws(RPCError) in try client.invert(flags: Array(repeating: true, count: 9)) }
    #expect(nine?.code == .arrayTooLarge)
  }

  @Test func capabilitiesNeedATransportThatCarriesThem() throws {
    let (client, served) = try kinds(.l4)
    defer { served.finish() }
    let overL4 = caught { () throws(RPCError) in try client.swapPort(given: CapabilityName(rawValue: 5)) }
    #expect(overL4?.code == .unsupported)
    let loopback = KindsClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(KindsDemux(KindsService()))))
    #expect(try loopback.swapPort(given: CapabilityName(rawValue: 5)) == CapabilityName(rawValue: 6))
  }

  /// Over sockets capabilities are descriptors: a copy-send right in, a make-send right to a new
  /// object of the server out (badged after the name the server gave what it received).
  @Test(arguments: Placement.sockets)
  func capabilitiesTravelAsDescriptors(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let space = SocketCapabilitySpace.process
    let given = try ServiceControl.makeObject(badge: 41, at: served.transport)
    defer { space.deallocate(given) }
    let taken = try client.swapPort(given: given)
    defer { space.deallocate(taken) }
    #expect(taken != given)
    #expect(try ServiceControl.badge(at: space.client(for: given)) == 41)  // copy-send: still ours
    #expect(try ServiceControl.badge(at: space.client(for: taken)) > 1)
  }

  @Test(arguments: Placement.sockets)
  func capabilityArraysAndPolymorphicRightsAsDescriptors(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let space = SocketCapabilitySpace.process
    let names = try (101...105).map { try ServiceControl.makeObject(badge: UInt64($0), at: served.transport) }
    defer { for name in names { space.deallocate(name) } }
    let reversed = try client.reversePorts(pair: [names[0], names[1]], ports: Array(names[2...]))
    defer { for name in reversed { space.deallocate(name) } }
    #expect(try reversed.map { try ServiceControl.badge(at: space.client(for: $0)) } == [105, 104, 103, 102, 101])
    let none = try client.reversePorts(pair: [names[0], names[1]], ports: [])
    defer { for name in none { space.deallocate(name) } }
    #expect(try none.map { try ServiceControl.badge(at: space.client(for: $0)) } == [102, 101])
    // Polymorphic: a copied right comes back as the server chose (the same right, copied).
    let back = try client.passRight(right: CapabilityItem(names[0], disposition: .copySend))
    defer { space.deallocate(back.name) }
    #expect(back.disposition == .copySend)
    #expect(try ServiceControl.badge(at: space.client(for: back.name)) == 101)
    // A receive right never leaves its process: refused before anything is sent.
    let server = try SocketServerTransport()
    defer { server.shutdown() }
    let own = space.insertReceiveRight(for: server, badge: 9)
    defer { space.deallocate(own) }
    let refused = caught { () throws(RPCError) in try client.passRight(right: CapabilityItem(own, disposition: .moveReceive)) }
    #expect(refused?.code == .unsupported)
    #expect(refused?.message.contains("receive right") == true)
  }

  @Test(arguments: Placement.allCases)
  func structuresTravelAsTheirElements(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let reply = try client.status(seed: -1)
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

  @Test(arguments: Placement.allCases)
  func countInOutTellsTheServerTheCallersCapacity(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    #expect(try client.firstSquares(squaresCnt: 4) == [0, 1, 4, 9])
    #expect(try client.firstSquares(squaresCnt: 0) == [])
    #expect(try client.firstSquares(squaresCnt: 100).count == 16)
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

  @Test(arguments: Placement.allCases)
  func deallocChosenPerCallGrantsOrMaps(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let granted = try client.handOver(data: MemoryRegion(copying: [1, 2, 3]), dataDealloc: true)
    #expect(granted.granted && granted.size == 3)
    let mapped = try client.handOver(data: MemoryRegion(copying: [1, 2]), dataDealloc: false)
    #expect(!mapped.granted && mapped.size == 2)
  }

  @Test(arguments: Placement.allCases)
  func fixedDataBeyondTheWordsTravelsInTheOverflowString(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let block = (0..<64).map { Int64($0) * 1_000_000_007 - 5 }
    let reply = try client.sumBlock(first: -1, block: InlineArray(elementsOf: block), last: Int32.max)
    #expect(reply.total == block.reduce(Int64(Int32.max) - 1, &+))
    #expect(reply.echo.elements == block.reversed())
  }

  @Test(arguments: Placement.allCases)
  func floatingPointScalarsAndFixedArrays(_ placement: Placement) throws {
    let (client, served) = try kinds(placement)
    defer { served.finish() }
    let reply = try client.scale(factor: -0.5, offset: 1e300, vector: [1, .infinity, 3.25])
    #expect(reply.sum == .infinity)
    #expect(reply.scaled.elements == [-0.5, -.infinity, -1.625])
    let small = try client.scale(factor: 2, offset: -0.25, vector: [0, -0.0, .leastNonzeroMagnitude])
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
