import Dispatch
import Foundation
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// The server side of roundtrip.defs, written against the generated `RoundtripServer` protocol.
final class RoundTripService: RoundtripServer, @unchecked Sendable {
  private let lock = NSLock()
  private var pokes: [Int32] = []
  private let poked = DispatchSemaphore(value: 0)

  func add(_ target: Void, a: Int32, b: Int32, context: CallContext) throws(ReturnCode) -> Int32 { a &+ b }

  func sumQuad(_ target: Void, values: InlineArray<4, Int32>, context: CallContext) throws(ReturnCode) -> Int64 {
    values.elements.reduce(0) { $0 + Int64($1) }
  }

  func reverseList(_ target: Void, list: [Int32], context: CallContext) throws(ReturnCode) -> [Int32] { list.reversed() }

  func greet(_ target: Void, name: String, context: CallContext) throws(ReturnCode) -> String { "hello, \(name)" }

  func bump(_ target: Void, counter: Int32, twice: Bool, context: CallContext) throws(ReturnCode) -> Int32 {
    counter &+ (twice ? 2 : 1)
  }

  func poke(_ target: Void, value: Int32, context: CallContext) throws(ReturnCode) {
    lock.withLock { pokes.append(value) }
    poked.signal()
  }

  func failWith(_ target: Void, code: Int32, context: CallContext) throws(ReturnCode) {
    throw ReturnCode(code)
  }

  func divide(_ target: Void, dividend: Int32, divisor: Int32, context: CallContext) throws(ReturnCode) -> Roundtrip.DivideReply {
    guard divisor != 0 else { throw .EINVAL }
    return Roundtrip.DivideReply(quotient: dividend / divisor, exact: dividend % divisor == 0)
  }

  func waitForPoke() -> [Int32] {
    poked.wait()
    return lock.withLock { pokes }
  }
}

/// Records whether any handler ran (for the hostile-request tests).
struct RecordingDefaults: RoundtripServerDefaults {
  let calls: RoundTripCalls
  func add(_ target: Void, a: Int32, b: Int32, context: CallContext) throws(ReturnCode) -> Int32 {
    calls.record("add")
    return a &+ b
  }
}

final class RoundTripCalls: @unchecked Sendable {
  private let lock = NSLock()
  private var names: [String] = []
  func record(_ name: String) { lock.withLock { names.append(name) } }
  var recorded: [String] { lock.withLock { names } }
}

/// A generated server running on an L4 server thread, and a generated client calling it.
final class L4Harness: Sendable {
  let kernel = L4Kernel()
  let transport: L4ServerTransport
  let client: RoundtripClient<L4ClientTransport>
  private let done = DispatchSemaphore(value: 0)

  init(_ demux: some Demultiplexer) {
    transport = L4ServerTransport(space: kernel.createSpace())
    client = RoundtripClient(transport: L4ClientTransport(space: kernel.createSpace(), server: transport))
    let transport = transport
    let done = done
    let dispatcher = RequestDispatcher(demux)
    DispatchQueue(label: "server").async {
      try? transport.serve(dispatcher)
      done.signal()
    }
  }

  func finish() {
    transport.shutdown()
    done.wait()
  }
}

/// Runs `body` and returns the typed error it threw (see docs/runtime.md, testing notes).
func caught<T>(_ body: () throws(RPCError) -> T) -> RPCError? {
  do throws(RPCError) {
    _ = try body()
    return nil
  } catch {
    return error
  }
}

@Suite("Generated code round trips over the L4 transport")
struct RoundTripTests {
  @Test func scalarsFixedAndVariableArraysStringsInoutAndReplyStructs() throws {
    let harness = L4Harness(RoundtripDemux(RoundTripService()))
    defer { harness.finish() }
    let client = harness.client
    #expect(try client.add(a: 40, b: 2) == 42)
    #expect(try client.add(a: Int32.max, b: 1) == Int32.min)
    #expect(try client.add(a: -5, b: -6) == -11)
    #expect(try client.sumQuad(values: [Int32.max, Int32.max, -1, 7]) == Int64(Int32.max) * 2 + 6)
    #expect(try client.reverseList(list: []) == [])
    #expect(try client.greet(name: "") == "hello, ")
    #expect(try client.reverseList(list: [-1]) == [-1])
    #expect(try client.reverseList(list: Array(1...16)) == Array((1...16).reversed()))
    #expect(try client.greet(name: "wörld") == "hello, wörld")
    #expect(try client.bump(counter: 41, twice: false) == 42)
    #expect(try client.bump(counter: 40, twice: true) == 42)
    let quotient = try client.divide(dividend: 7, divisor: 2)
    #expect(quotient.quotient == 3 && quotient.exact == false)
    #expect(try client.divide(dividend: 8, divisor: 2).exact)
  }

  @Test func asyncVariants() async throws {
    let harness = L4Harness(RoundtripDemux(RoundTripService()))
    defer { harness.finish() }
    #expect(try await harness.client.add(a: 1, b: 2) == 3)
    #expect(try await harness.client.greet(name: "async") == "hello, async")
  }

  @Test func simpleroutineIsOneWay() throws {
    let service = RoundTripService()
    let harness = L4Harness(RoundtripDemux(service))
    defer { harness.finish() }
    try harness.client.poke(value: 7)
    #expect(service.waitForPoke() == [7])
  }

  @Test func serverReturnCodesReachTheClient() {
    let harness = L4Harness(RoundtripDemux(RoundTripService()))
    defer { harness.finish() }
    let client = harness.client
    #expect(caught { () throws(RPCError) in try client.failWith(code: ReturnCode.ENOENT.rawValue) }?.code == .returnCode(.ENOENT))
    #expect(caught { () throws(RPCError) in try client.divide(dividend: 1, divisor: 0) }?.code == .returnCode(.EINVAL))
    #expect(caught { () throws(RPCError) in try client.failWith(code: 0) } == nil)
  }

  @Test func boundsAreCheckedBeforeSending() {
    let calls = RoundTripCalls()
    let harness = L4Harness(RoundtripDemux(RecordingDefaults(calls: calls)))
    defer { harness.finish() }
    let client = harness.client
    let tooMany = caught { () throws(RPCError) in try client.reverseList(list: Array(repeating: 1, count: 17)) }
    #expect(tooMany?.code == .arrayTooLarge)
    #expect(tooMany?.message.contains("`list`") == true)
    // (A fixed array's length is its InlineArray type's: `sumQuad(values: [1, 2, 3])` does not compile.)
    let longName = caught { () throws(RPCError) in try client.greet(name: String(repeating: "x", count: 64)) }
    #expect(longName?.code == .arrayTooLarge)
    #expect(caught { () throws(RPCError) in try client.greet(name: "a\u{0}b") }?.code == .badArguments)
    #expect(calls.recorded.isEmpty)
  }

  @Test func maximumLengthValuesPass() throws {
    let harness = L4Harness(RoundtripDemux(RoundTripService()))
    defer { harness.finish() }
    let name = String(repeating: "n", count: 63)
    #expect(try harness.client.greet(name: name) == "hello, " + name)
    // 63 bytes of multi-byte characters (c_string[*:64]).
    let wide = String(repeating: "ü", count: 31) + "n"
    #expect(try harness.client.greet(name: wide) == "hello, " + wide)
    // array[*:16] of int, full, over L4.
    let full = (0..<16).map { Int32.max - $0 }
    #expect(try harness.client.reverseList(list: full) == full.reversed())
  }

  @Test func defaultsAnswerOperationNotSupported() {
    let calls = RoundTripCalls()
    let harness = L4Harness(RoundtripDemux(RecordingDefaults(calls: calls)))
    defer { harness.finish() }
    #expect(caught { () throws(RPCError) in try harness.client.bump(counter: 1, twice: true) }?.code == .returnCode(.EOPNOTSUPP))
    #expect(caught { () throws(RPCError) in try harness.client.add(a: 1, b: 1) } == nil)
    #expect(calls.recorded == ["add"])
  }

  @Test func skipHolesAndUnknownIDsAnswerBadID() throws {
    let calls = RoundTripCalls()
    let harness = L4Harness(RoundtripDemux(RecordingDefaults(calls: calls)))
    defer { harness.finish() }
    let rpc = harness.client.rpc
    for label: UInt64 in [5006, 5009, 4999, 0, 5100] {
      let error = caught { () throws(RPCError) in try rpc.call(Message(label: label)) }
      #expect(error?.code == .badID, "label \(label)")
    }
    #expect(calls.recorded.isEmpty)
  }

  @Test func malformedRequestsAnswerBadArgumentsWithoutRunningAHandler() throws {
    let calls = RoundTripCalls()
    let harness = L4Harness(RoundtripDemux(RecordingDefaults(calls: calls)))
    defer { harness.finish() }
    let rpc = harness.client.rpc
    let truncated = Message(label: 5000)
    let extraWord = try Message(label: 5000, words: [1, 2])
    var extraItem = try Message(label: 5000, words: [1])
    try extraItem.append(.string(StringItem([1])))
    let notBoolean = try Message(label: 5004, words: [1 | (2 << 32)])
    var listNotWhole = Message(label: 5002)
    try listNotWhole.append(.string(StringItem([1, 2, 3])))
    var listTooLong = Message(label: 5002)
    try listTooLong.append(.string(StringItem(Array(repeating: 0, count: 17 * 4))))
    var nameWithNUL = Message(label: 5003)
    try nameWithNUL.append(.string(StringItem([65, 0, 66])))
    var nameNotUTF8 = Message(label: 5003)
    try nameNotUTF8.append(.string(StringItem([0xFF, 0xFE])))
    var nameIsRegion = Message(label: 5003)
    try nameIsRegion.append(.region(.map(MemoryRegion(copying: [65]))))
    for request in [truncated, extraWord, extraItem, notBoolean, listNotWhole, listTooLong, nameWithNUL, nameNotUTF8, nameIsRegion] {
      let error = caught { () throws(RPCError) in try rpc.call(request) }
      #expect(error?.code == .badArguments, "\(request)")
    }
    #expect(calls.recorded.isEmpty)
  }

  @Test func waittimeBecomesTheDefaultTimeout() {
    // `greet` has `waittime 500`: a server that never answers makes the default call time out.
    let kernel = L4Kernel()
    let silent = L4ServerTransport(space: kernel.createSpace())
    let client = RoundtripClient(transport: L4ClientTransport(space: kernel.createSpace(), server: silent))
    let error = caught { () throws(RPCError) in try client.greet(name: "anyone") }
    #expect(error?.code == .timeout)
    silent.shutdown()
  }
}

@Suite("Committed generated code")
struct GeneratedCodeTests {
  @Test func regeneratingGivesTheCommittedText() throws {
    // The build plugin generates this target's copy; the committed text is the emitter golden.
    let url = URL(filePath: #filePath).deletingLastPathComponent()
      .appending(path: "../HurdIDLEmitterTests/Goldens/roundtrip-default.hurdidl.swift")
    let committed = try String(contentsOf: url, encoding: .utf8)
    #expect(RoundTripFixture.generate()?.contents == committed, "regenerate with HURDIDL_UPDATE_GOLDENS=1 swift test --filter HurdIDLEmitterTests")
  }
}

@Suite("Generated code over the loopback transport")
struct LoopbackRoundTripTests {
  static func client() -> RoundtripClient<LoopbackTransport> {
    RoundtripClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(RoundtripDemux(RoundTripService()))))
  }

  @Test func emptyArraysAndStrings() throws {
    let client = Self.client()
    #expect(try client.reverseList(list: []) == [])
    #expect(try client.greet(name: "") == "hello, ")
  }

  @Test func maximumValues() throws {
    let client = Self.client()
    #expect(try client.sumQuad(values: InlineArray(repeating: Int32.min)) == Int64(Int32.min) * 4)
    #expect(try client.bump(counter: Int32.max, twice: false) == Int32.min)
  }
}
