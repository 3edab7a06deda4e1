@_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCSocketTestSupport
import Testing

/// A transport that keeps every request the generated client builds and answers nothing useful.
final class CapturingTransport: ClientTransport, @unchecked Sendable {
  private(set) var requests: [Message] = []

  func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    requests.append(request)
    throw RPCError(.serverDied, "captured")
  }

  func send(_ message: Message, options: CallOptions) throws(RPCError) {
    requests.append(message)
  }
}

/// SplitMix64, so the random mutations repeat exactly.
struct SeededRandom: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite("Hostile requests to the generated demux")
struct HostileRequestTests {
  /// Valid requests of every routine, as the generated client encodes them.
  static func validRequests() -> [Message] {
    let transport = CapturingTransport()
    let client = RoundtripClient(transport: transport)
    _ = try? client.add(a: 1, b: 2)
    _ = try? client.sumQuad(values: [1, 2, 3, 4])
    _ = try? client.reverseList(list: [1, 2, 3])
    _ = try? client.greet(name: "name")
    _ = try? client.bump(counter: 1, twice: true)
    try? client.poke(value: 3)
    _ = try? client.failWith(code: 2)
    _ = try? client.divide(dividend: 4, divisor: 2)
    return transport.requests
  }

  /// Sends 500 seeded damaged requests through `rpc`; every one must answer bad arguments.
  static func sendDamagedRequests(through rpc: RPCClient<some ClientTransport>) throws {
    var random = SeededRandom(state: 0x5EED)
    let requests = Self.validRequests()
    #expect(requests.count == 8)
    var tried = 0
    for _ in 0..<500 {
      let request = requests[Int.random(in: 0..<requests.count, using: &random)]
      guard let damaged = try Self.damaged(request, Int.random(in: 0...5, using: &random), random: &random) else { continue }
      tried += 1
      let error = caught { () throws(RPCError) in try rpc.call(damaged) }
      #expect(error?.code == .badArguments, "\(damaged)")
    }
    #expect(tried > 250)
  }

  @Test func damagedRequestsAnswerBadArgumentsAndRunNoHandler() throws {
    let service = RecordingDefaults()
    try Self.sendDamagedRequests(through: RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(RoundtripDemux(service)))))
    #expect(service.events.values.isEmpty)
  }

  /// The same damaged requests, well framed for the transport, to a server in this process or
  /// in another one: error replies, and no handler runs there either.
  @Test(arguments: Placement.sockets)
  func damagedRequestsOverSocketsAnswerBadArgumentsAndRunNoHandler(_ placement: Placement) throws {
    let served = try placement.serve(.roundtripDefaults)
    defer { served.finish() }
    try Self.sendDamagedRequests(through: RPCClient(transport: served.transport))
    #expect(try served.events().isEmpty)
  }

  /// Valid requests of kinds.defs carrying every item kind: a region, a bounded array, text,
  /// booleans, a capability, a polymorphic capability, a fixed and a variable capability run, a
  /// region chosen per call, the overflow string.
  static func validRequestsWithEveryItemKind() throws -> [Message] {
    let a = CapabilityName(rawValue: 5)
    let b = CapabilityName(rawValue: 6)
    // What the generated client encodes (its Wire helpers are internal to the services module).
    let transport = CapturingTransport()
    let client = KindsClient(transport: transport)
    _ = try? client.checksum(data: MemoryRegion(copying: [1, 2, 3]))
    _ = try? client.countWords(words: [1, 2])
    _ = try? client.relabel(label: "x")
    _ = try? client.invert(flags: [true, false])
    _ = try? client.swapPort(given: a)
    _ = try? client.passRight(right: CapabilityItem(a, disposition: .copySend))
    _ = try? client.reversePorts(pair: [a, b], ports: [a, b])
    _ = try? client.handOver(data: MemoryRegion(copying: [1]), dataDealloc: false)
    _ = try? client.sumBlock(first: 1, block: InlineArray(repeating: 3), last: 2)
    return transport.requests
  }

  /// Structural damage that the plan forbids: a word more or less, an item more or less (a
  /// missing capability among them), an item of another kind, an oversized string. Every one must
  /// answer bad arguments before a handler runs (the servers' defaults would answer EOPNOTSUPP, so
  /// a handler run shows).
  /// `capability` is what stands in for a data item (a right the transport can carry).
  static func damaged(
    _ request: Message, _ kind: Int, random: inout SeededRandom,
    capability: CapabilityItem = CapabilityItem(CapabilityName(rawValue: 5), disposition: .copySend)
  ) throws -> Message? {
    var words = request.words
    var items = request.items
    switch kind {
    case 0:
      guard words.count < 40 else { return nil }
      words.append(.random(in: 0...UInt64.max, using: &random))
    case 1:
      guard !words.isEmpty else { return nil }
      words.removeLast()
    case 2:
      items.append(.string(StringItem([UInt8.random(in: 0...255, using: &random)])))
    case 3:
      guard !items.isEmpty else { return nil }
      // A data item where a capability belongs and the other way round (an `array[]` takes a
      // string or a region, so those two are not swapped).
      let index = Int.random(in: 0..<items.count, using: &random)
      if case .capability = items[index] {
        items[index] = .region(.map(MemoryRegion(copying: [1, 2, 3, 4])))
      } else {
        items[index] = .capability(capability)
      }
    case 4:
      guard !items.isEmpty else { return nil }
      items.remove(at: Int.random(in: 0..<items.count, using: &random))
    default:
      guard !items.isEmpty else { return nil }
      // 4104 bytes: beyond every bound (an `array[]` string stops at 2048 bytes, the largest
      // bounded array, gnumach's `dev_status_t`, at 1024 ints = 4096 bytes).
      items[items.count - 1] = .string(StringItem(Array(repeating: 1, count: 4104)))
    }
    // A damage that no message can hold (an item more beside 62 words) is not sent: nil.
    do throws(RPCError) {
      var message = try Message(label: request.label, words: words)
      for item in items { try message.append(item) }
      return message
    } catch {
      return nil
    }
  }

  /// The generated demux of an interface with every item kind (capabilities included) refuses
  /// damaged requests before a handler runs: this server's handlers are all `EOPNOTSUPP`
  /// defaults, so a handler run would answer that instead of bad arguments.
  @Test func damagedRequestsOfEveryItemKindAnswerBadArgumentsAndRunNoHandler() throws {
    let rpc = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(KindsDemux(RefusingKinds()))))
    let requests = try Self.validRequestsWithEveryItemKind()
    #expect(requests.count == 9)
    // The undamaged requests reach the handlers (the test could not fail otherwise).
    for request in requests {
      #expect(caught { () throws(RPCError) in try rpc.call(request) }?.code == .returnCode(.EOPNOTSUPP))
    }
    let tried = try Self.sendDamaged(requests, seed: 0xCAFE, count: 600, through: rpc)
    #expect(tried > 400)
  }

  /// Sends `count` seeded damaged variants of `requests` through `rpc`, each expected to be
  /// answered bad arguments (damages no message can hold are skipped). Returns how many were sent.
  static func sendDamaged(
    _ requests: [Message], seed: UInt64, count: Int, through rpc: RPCClient<some ClientTransport>
  ) throws -> Int {
    var random = SeededRandom(state: seed)
    var tried = 0
    for _ in 0..<count {
      let request = requests[Int.random(in: 0..<requests.count, using: &random)]
      guard let damaged = try Self.damaged(request, Int.random(in: 0...5, using: &random), random: &random)
      else { continue }
      tried += 1
      let error = caught { () throws(RPCError) in try rpc.call(damaged) }
      #expect(error?.code == .badArguments, "\(damaged)")
    }
    return tried
  }

  @Test func randomMessagesNeverCrashAndGetProtocolAnswers() throws {
    let rpc = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(RoundtripDemux(RoundTripService()))))
    var random = SeededRandom(state: 42)
    for _ in 0..<2000 {
      let label = UInt64.random(in: 4990...5015, using: &random)
      var message = Message(label: label)
      for _ in 0..<Int.random(in: 0...4, using: &random) { try message.append(.random(in: 0...UInt64.max, using: &random)) }
      for _ in 0..<Int.random(in: 0...2, using: &random) {
        let length = Int.random(in: 0...80, using: &random)
        try message.append(.string(StringItem((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })))
      }
      do throws(RPCError) {
        _ = try rpc.call(message)
      } catch {
        let allowed = error.code == .badID || error.code == .badArguments || error.code.returnCode != nil
        #expect(allowed, "\(error)")
        if !(5000...5008).contains(label) || label == 5006 { #expect(error.code == .badID) }
      }
    }
  }
}

/// kinds.defs' server with no handler of its own: every routine answers `EOPNOTSUPP`.
struct RefusingKinds: KindsServerDefaults {}
