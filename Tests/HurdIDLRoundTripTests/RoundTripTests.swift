import Dispatch
import Foundation
@_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCL4
import HurdRPCSocketTestSupport
import Testing

/// Runs `body` and returns the typed error it threw (see docs/runtime.md, testing notes).
func caught<T>(_ body: () throws(RPCError) -> T) -> RPCError? {
  do throws(RPCError) {
    _ = try body()
    return nil
  } catch {
    return error
  }
}

/// A generated roundtrip.defs client of a server placed as the test says.
func roundtrip(_ placement: Placement, _ interface: ServedInterface = .roundtrip) throws
  -> (RoundtripClient<AnyTransport>, Served)
{
  let served = try placement.serve(interface)
  return (RoundtripClient(transport: served.transport), served)
}

@Suite("Generated code round trips over L4 and the socket transport")
struct RoundTripTests {
  @Test(arguments: Placement.allCases)
  func scalarsFixedAndVariableArraysStringsInoutAndReplyStructs(_ placement: Placement) throws {
    let (client, served) = try roundtrip(placement)
    defer { served.finish() }
    #expect(try client.add(a: 40, b: 2) == 42)
    #expect(try client.add(a: Int32.max, b: 1) == Int32.min)
    #expect(try client.add(a: -5, b: -6) == -11)
    #expect(try client.sumQuad(values: [Int32.max, Int32.max, -1, 7]) == Int64(Int32.max) * 2 + 6)
    #expect(try client.sumQuad(values: InlineArray(repeating: Int32.min)) == Int64(Int32.min) * 4)
    #expect(try client.reverseList(list: []) == [])
    #expect(try client.greet(name: "") == "hello, ")
    #expect(try client.reverseList(list: [-1]) == [-1])
    #expect(try client.reverseList(list: Array(1...16)) == Array((1...16).reversed()))
    #expect(try client.greet(name: "wörld") == "hello, wörld")
    #expect(try client.bump(counter: 41, twice: false) == 42)
    #expect(try client.bump(counter: 40, twice: true) == 42)
    #expect(try client.bump(counter: Int32.max, twice: false) == Int32.min)
    let quotient = try client.divide(dividend: 7, divisor: 2)
    #expect(quotient.quotient == 3 && quotient.exact == false)
    #expect(try client.divide(dividend: 8, divisor: 2).exact)
  }

  @Test(arguments: Placement.allCases)
  func asyncVariants(_ placement: Placement) async throws {
    let (client, served) = try roundtrip(placement)
    defer { served.finish() }
    #expect(try await client.add(a: 1, b: 2) == 3)
    #expect(try await client.greet(name: "async") == "hello, async")
  }

  @Test(arguments: Placement.allCases)
  func simpleroutineIsOneWay(_ placement: Placement) throws {
    let (client, served) = try roundtrip(placement)
    defer { served.finish() }
    try client.poke(value: 7)
    #expect(try served.events(reaching: 1) == ["poke 7"])
  }

  @Test(arguments: Placement.allCases)
  func serverReturnCodesReachTheClient(_ placement: Placement) throws {
    let (client, served) = try roundtrip(placement)
    defer { served.finish() }
    #expect(caught { () throws(RPCError) in try client.failWith(code: ReturnCode.ENOENT.rawValue) }?.code == .returnCode(.ENOENT))
    #expect(caught { () throws(RPCError) in try client.divide(dividend: 1, divisor: 0) }?.code == .returnCode(.EINVAL))
    #expect(caught { () throws(RPCError) in try client.failWith(code: 0) } == nil)
  }

  @Test(arguments: Placement.allCases)
  func boundsAreCheckedBeforeSending(_ placement: Placement) throws {
    let (client, served) = try roundtrip(placement, .roundtripDefaults)
    defer { served.finish() }
    let tooMany = caught { () throws(RPCError) in try client.reverseList(list: Array(repeating: 1, count: 17)) }
    #expect(tooMany?.code == .arrayTooLarge)
    #expect(tooMany?.message.contains("`list`") == true)
    // (A fixed array's length is its InlineArray type's: `sumQuad(values: [1, 2, 3])` does not compile.)
    let longName = caught { () throws(RPCError) in try client.greet(name: String(repeating: "x", count: 64)) }
    #expect(longName?.code == .arrayTooLarge)
    #expect(caught { () throws(RPCError) in try client.greet(name: "a\u{0}b") }?.code == .badArguments)
    #expect(try served.events().isEmpty)
  }

  @Test(arguments: Placement.allCases)
  func maximumLengthValuesPass(_ placement: Placement) throws {
    let (client, served) = try roundtrip(placement)
    defer { served.finish() }
    let name = String(repeating: "n", count: 63)
    #expect(try client.greet(name: name) == "hello, " + name)
    // 63 bytes of multi-byte characters (c_string[*:64]).
    let wide = String(repeating: "ü", count: 31) + "n"
    #expect(try client.greet(name: wide) == "hello, " + wide)
    // array[*:16] of int, full.
    let full = (0..<16).map { Int32.max - $0 }
    #expect(try client.reverseList(list: full) == full.reversed())
  }

  @Test(arguments: Placement.allCases)
  func defaultsAnswerOperationNotSupported(_ placement: Placement) throws {
    let (client, served) = try roundtrip(placement, .roundtripDefaults)
    defer { served.finish() }
    #expect(caught { () throws(RPCError) in try client.bump(counter: 1, twice: true) }?.code == .returnCode(.EOPNOTSUPP))
    #expect(caught { () throws(RPCError) in try client.add(a: 1, b: 1) } == nil)
    #expect(try served.events() == ["add"])
  }

  @Test(arguments: Placement.allCases)
  func skipHolesAndUnknownIDsAnswerBadID(_ placement: Placement) throws {
    let (client, served) = try roundtrip(placement, .roundtripDefaults)
    defer { served.finish() }
    for label: UInt64 in [5006, 5009, 4999, 0, 5100] {
      let error = caught { () throws(RPCError) in try client.rpc.call(Message(label: label)) }
      #expect(error?.code == .badID, "label \(label)")
    }
    #expect(try served.events().isEmpty)
  }

  @Test(arguments: Placement.allCases)
  func malformedRequestsAnswerBadArgumentsWithoutRunningAHandler(_ placement: Placement) throws {
    let (client, served) = try roundtrip(placement, .roundtripDefaults)
    defer { served.finish() }
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
      let error = caught { () throws(RPCError) in try client.rpc.call(request) }
      #expect(error?.code == .badArguments, "\(request)")
    }
    #expect(try served.events().isEmpty)
  }

  @Test(arguments: Placement.allCases)
  func waittimeBecomesTheDefaultTimeout(_ placement: Placement) throws {
    // `greet` has `waittime 500`: a server that never answers makes the default call time out.
    let (transport, stop) = try placement.silent()
    defer { stop() }
    let client = RoundtripClient(transport: transport)
    let start = ContinuousClock.now
    let error = caught { () throws(RPCError) in try client.greet(name: "anyone") }
    #expect(error?.code == .timeout)
    #expect(ContinuousClock.now - start < .seconds(5))
  }
}

@Suite("Committed generated code")
struct GeneratedCodeTests {
  @Test func regeneratingGivesTheCommittedText() throws {
    // The build plugin generates HurdIDLRoundTripServices' copy (package access); the committed
    // text is the emitter golden (default options).
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
