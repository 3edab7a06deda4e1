import Dispatch
import Synchronization
@_spi(Transport) import HurdRPC
import HurdRPCL4
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Where the server under test runs: the L4 in-process backend (the reference semantics), a
/// socket server in this process, or a socket server in a helper process. Tests observe the
/// server only through calls (SocketEchoService's log, counters and comparisons), so the same
/// test body runs wherever the handler's memory is.
enum Placement: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case l4
  case socketInProcess
  case socketHelperProcess

  var testDescription: String { rawValue }

  static let sockets: [Placement] = [.socketInProcess, .socketHelperProcess]

  /// A SocketEchoService served on at least `threads` threads (a helper process:
  /// `--workers threads-1`). L4 gets the endpoint thread and `threads` workers: its endpoint runs
  /// a request itself when no worker is idle at that moment, so with one worker a blocking
  /// handler (`waitForCancel`) arriving while the worker answers a probe would stall the probes.
  func start(threads: Int = 2) throws -> Served {
    switch self {
    case .l4:
      let kernel = L4Kernel()
      let workers = threads
      let server = L4ServerTransport(space: kernel.createSpace(), workers: workers)
      let service = SocketEchoService(shutDown: { server.shutdown() })
      let done = DispatchSemaphore(value: 0)
      Thread.detach {
        try? server.serve(RequestDispatcher(service))
        done.signal()
      }
      _ = waitUntil { server.idleWorkers == workers && kernel.thread(server.endpoint)?.ipcActivity == .receiving }
      let clientSpace = kernel.createSpace()
      return Served(
        client: AnyTransport(L4ClientTransport(space: clientSpace, server: server)),
        sameDomainClient: { AnyTransport(L4ClientTransport(space: clientSpace, server: server)) },
        finish: {
          server.shutdown()
          _ = done.wait(timeout: .now() + 30)
        },
        serveAgain: { rpcError { () throws(RPCError) in try server.serve(RequestDispatcher(service)) }.map { "\($0.code)" } },
        callFromAnotherDomain: { label in
          let other = L4ClientTransport(space: kernel.createSpace(), server: server)
          let failed = rpcError { () throws(RPCError) in _ = try other.call(Message(label: label), options: patient) }
          return failed == nil
        })
    case .socketInProcess:
      let server = try LocalServer(threads: threads)
      let path = server.path!
      return Served(
        client: AnyTransport(server.client),
        sameDomainClient: { AnyTransport(SocketClientTransport(path: path)) },
        finish: { server.finish() },
        serveAgain: {
          rpcError { () throws(RPCError) in try server.transport.serve(RequestDispatcher(server.service)) }.map { "\($0.code)" }
        },
        callFromAnotherDomain: { label in Self.callFromAnotherProcess(path, label) }, socketPath: path)
    case .socketHelperProcess:
      let helper = try HelperProcess("serve", path: socketPath("helper"), extra: ["--workers", "\(threads - 1)"])
      let path = helper.path
      return Served(
        client: AnyTransport(helper.client),
        sameDomainClient: { AnyTransport(SocketClientTransport(path: path)) },
        finish: { helper.finish() },
        // The helper tries `serve` again once its server was shut down and prints how it failed.
        serveAgain: {
          helper.line(within: 30_000).map { $0.hasPrefix("serve again: ") ? String($0.dropFirst(13)) : "unexpected: \($0)" }
        },
        callFromAnotherDomain: { label in Self.callFromAnotherProcess(path, label) }, socketPath: path)
    }
  }

  /// A server that listens but never serves: nobody reads what is sent to it.
  func startUnserved() throws -> Served {
    switch self {
    case .l4:
      let kernel = L4Kernel()
      let server = L4ServerTransport(space: kernel.createSpace())
      let clientSpace = kernel.createSpace()
      return Served(
        client: AnyTransport(L4ClientTransport(space: clientSpace, server: server)),
        sameDomainClient: { AnyTransport(L4ClientTransport(space: clientSpace, server: server)) },
        finish: { server.shutdown() }, serveAgain: { nil }, callFromAnotherDomain: { _ in false })
    case .socketInProcess:
      let server = try LocalServer(start: false)
      let path = server.path!
      return Served(
        client: AnyTransport(server.client), sameDomainClient: { AnyTransport(SocketClientTransport(path: path)) },
        finish: { server.finish() }, serveAgain: { nil }, callFromAnotherDomain: { _ in false })
    case .socketHelperProcess:
      let helper = try HelperProcess("listen", path: socketPath("listen"))
      let path = helper.path
      return Served(
        client: AnyTransport(helper.client), sameDomainClient: { AnyTransport(SocketClientTransport(path: path)) },
        finish: { helper.finish() }, serveAgain: { nil }, callFromAnotherDomain: { _ in false })
    }
  }

  /// Calls `label` at `path` from a helper process; whether the call succeeded.
  private static func callFromAnotherProcess(_ path: String, _ label: UInt64) -> Bool {
    guard let caller = try? HelperProcess("call", path: path, extra: ["--label", "\(label)"], ownsPath: false) else {
      return false
    }
    defer { caller.kill() }
    return caller.line(within: 30_000) == "called"
  }
}

/// A running server of one placement, as a test sees it.
struct Served: Sendable {
  let client: AnyTransport
  /// The socket file of a socket server (nil on L4).
  let socketPath: String?
  /// Another client transport in the same protection domain (L4 address space / process).
  let sameDomainClient: @Sendable () -> AnyTransport
  private let stop: @Sendable () -> Void
  private let stopped = Once()
  /// How a new `serve` fails once the server was shut down (`shutDownServer`), as text.
  let serveAgain: @Sendable () -> String?
  /// Calls a routine once from another protection domain (L4: another address space; sockets:
  /// a helper process); whether it succeeded.
  let callFromAnotherDomain: @Sendable (UInt64) -> Bool

  init(
    client: AnyTransport, sameDomainClient: @escaping @Sendable () -> AnyTransport, finish: @escaping @Sendable () -> Void,
    serveAgain: @escaping @Sendable () -> String?, callFromAnotherDomain: @escaping @Sendable (UInt64) -> Bool,
    socketPath: String? = nil
  ) {
    self.client = client
    self.socketPath = socketPath
    self.sameDomainClient = sameDomainClient
    stop = finish
    self.serveAgain = serveAgain
    self.callFromAnotherDomain = callFromAnotherDomain
  }

  /// Stops the server (once; later calls do nothing).
  func finish() { stopped.run(stop) }
}

/// Runs a body at most once.
final class Once: Sendable {
  private let done = Atomic<Bool>(false)
  func run(_ body: () -> Void) {
    if !done.exchange(true, ordering: .acquiringAndReleasing) { body() }
  }
}

/// Calls of the tests that wait on a server: long enough for a loaded machine, never forever.
let patient = CallOptions.timeout(.seconds(30))

/// The server's log (`SocketEchoService.logEntries`), read through a call wherever it runs.
func serverLog(_ client: RPCClient<AnyTransport>) -> [String]? {
  guard let request = try? Message(label: SocketEchoService.logEntries, words: [0]),
    let reply = try? client.call(request, options: patient), let text = reply.strings.first?.bytes
  else { return nil }
  return text.isEmpty ? [] : String(decoding: text, as: UTF8.self).split(separator: "\n").map(String.init)
}

/// Polls `condition` for up to `seconds` (async, without blocking a thread while it waits).
func eventually(seconds: Int64 = 30, _ condition: () async -> Bool) async -> Bool {
  let end = ContinuousClock.now.advanced(by: .seconds(seconds))
  while ContinuousClock.now < end {
    if await condition() { return true }
    try? await Task.sleep(for: .milliseconds(2))
  }
  return await condition()
}

/// Number of `waitForCancel` handlers running in the server.
func waitingHandlers(_ client: RPCClient<AnyTransport>) -> UInt64? {
  try? client.call(Message(label: SocketEchoService.waitingHandlers), options: patient).word(at: 1)
}

@Suite("Socket transport")
struct SocketTransportTests {
  @Test(arguments: Placement.allCases)
  func callReachesTheServerAndReturnsTheReply(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let transport = served.client
    let client = RPCClient(transport: transport)
    let reply = try client.call(try Message(label: SocketEchoService.add, words: [40, 2]), options: patient)
    #expect(reply.label == SocketEchoService.add + Message.replyLabelOffset)
    #expect(try reply.word(at: 1) == 42)
  }

  @Test(arguments: Placement.allCases)
  func serverReturnCodesAndBadIDsComeBack(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let transport = served.client
    let client = RPCClient(transport: transport)
    let failed = rpcError { () throws(RPCError) in
      _ = try client.call(try Message(label: SocketEchoService.fail, words: [2]), options: patient)
    }
    #expect(failed?.code == .returnCode(ReturnCode(2)))
    let unknown = rpcError { () throws(RPCError) in _ = try client.call(Message(label: 999), options: patient) }
    #expect(unknown?.code == .badID)
  }

  @Test(arguments: Placement.allCases)
  func asyncCallReturnsTheReply(placement: Placement) async throws {
    let served = try placement.start()
    defer { served.finish() }
    let transport = served.client
    let client = RPCClient(transport: transport)
    let reply = try await client.call(try Message(label: SocketEchoService.add, words: [2, 3]), options: patient)
    #expect(try reply.word(at: 1) == 5)
  }

  @Test(arguments: Placement.allCases)
  func stringRepliesOfEverySizeArrive(placement: Placement) throws {
    // Below the copy threshold the bytes ride in the datagram; above it, in a sealed memfd.
    let served = try placement.start()
    defer { served.finish() }
    let transport = served.client
    let client = RPCClient(transport: transport)
    // (The L4 backend's default string buffers hold 64 KiB.)
    let sizes = [0, 1, 5000, 60_000] + (placement == .l4 ? [] : [SocketTransportConfiguration.measuredCopyThreshold + 1, 300_000])
    for count in sizes {
      let reply = try client.call(try Message(label: SocketEchoService.makeString, words: [UInt64(count)]), options: patient)
      #expect(reply.strings.map(\.bytes) == [(0..<count).map { UInt8(truncatingIfNeeded: $0) }])
    }
  }

  @Test(arguments: Placement.allCases)
  func sharedRegionsAreMappedAndStringsCopied(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let transport = served.client
    let client = RPCClient(transport: transport)
    let text = (0..<60_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
    var request = Message(label: SocketEchoService.items)
    try request.append(.string(StringItem(pieces: [Array(text[0..<1000]), Array(text[1000...])])))
    let shared = try SharedMemory.makeRegion(byteCount: 3)
    shared.withUnsafeMutableBytes { $0.copyBytes(from: [10, 20, 30]) }
    try request.append(.region(.map(shared)))
    let reply = try client.call(request, options: patient)
    #expect(reply.strings.map(\.bytes) == [Array(text.reversed())])
    // Mapped, not copied: the server's write shows in our region, and the region that came back
    // is the same memory.
    #expect(shared.bytes == [11, 20, 30])
    #expect(reply.regions.count == 1 && reply.regions[0].region.sharesMemory(with: shared))
    #expect(reply.regions[0].region.count == 3 && reply.regions[0].kind == .map)
  }

  @Test(arguments: Placement.allCases)
  func concurrentClientsEachGetTheirOwnReplies(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let transport = served.client
    let wrong = SharedLog<Int>()
    Thread.concurrently(4) { n in
      let client = RPCClient(transport: transport)
      for i in 0..<300 {
        let a = UInt64(n) << 32
        guard let reply = try? client.call(try Message(label: SocketEchoService.add, words: [a, UInt64(i)]), options: patient),
          (try? reply.word(at: 1)) == a + UInt64(i)
        else {
          wrong.append(i)
          continue
        }
      }
    }
    #expect(wrong.values.isEmpty)
  }

  @Test(arguments: Placement.allCases)
  func inPlaceCallsReuseOneReplyBuffer(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let client = RPCClient(transport: served.client)
    var reply = try Message(label: 1, words: [5, 5, 5, 5, 5])
    var add = try Message(label: SocketEchoService.add, words: [40, 2])
    try client.call(&add, reply: &reply, options: patient)
    #expect(reply.label == SocketEchoService.add + Message.replyLabelOffset && reply.words == [0, 42])
    #expect(add.words == [40, 2])
    // A reply with a typed item lands in the same buffer, then a register-only one again.
    var makeString = try Message(label: SocketEchoService.makeString, words: [3])
    try client.call(&makeString, reply: &reply, options: patient)
    #expect(reply.words == [0] && reply.strings.map(\.bytes) == [[0, 1, 2]])
    var options = patient
    options.cancellation = CallCancellation()  // the armed path
    try client.call(&add, reply: &reply, options: options)
    #expect(reply.words == [0, 42] && reply.items.isEmpty)
    var failing = try Message(label: SocketEchoService.fail, words: [2])
    let failed = rpcError { () throws(RPCError) in try client.call(&failing, reply: &reply, options: patient) }
    #expect(failed?.code == .returnCode(ReturnCode(2)))
  }

  @Test(arguments: Placement.allCases)
  func aRegisterOnlyRequestCanGetAStringReply(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let client = RPCClient(transport: served.client)
    for count in [0, 1, 5000] {
      let reply = try client.call(try Message(label: SocketEchoService.makeString, words: [UInt64(count)]), options: patient)
      #expect(reply.strings.map(\.bytes) == [(0..<count).map { UInt8(truncatingIfNeeded: $0) }])
    }
  }

  @Test func heapRegionsAreCopiedIntoSharedMemoryAndGrantsMove() throws {
    let helper = try HelperProcess("serve", path: socketPath("regions"))
    defer { helper.finish() }
    let client = RPCClient(transport: helper.client)
    // Heap memory cannot be mapped by another process: a map of it is a copy on send.
    let heap = MemoryRegion(copying: [1, 2, 3])
    var request = Message(label: SocketEchoService.items)
    try request.append(.region(.map(heap)))
    let reply = try client.call(request, options: patient)
    #expect(reply.regions.first?.region.bytes == [2, 2, 3])
    #expect(heap.bytes == [1, 2, 3])
    // A grant of heap memory moves it too: the receiver gets the bytes, our window is wiped.
    let granted = MemoryRegion(copying: [1, 2, 3])
    var grantingHeap = Message(label: SocketEchoService.items)
    try grantingHeap.append(.region(.grant(granted)))
    #expect(try client.call(grantingHeap, options: patient).regions.first?.region.bytes == [2, 2, 3])
    #expect(granted.bytes == [0, 0, 0])
    // A grant of shared memory moves it: the receiver's write is in the reply, our pages are gone.
    let moved = try SharedMemory.makeRegion(byteCount: 1 << 20)
    moved.withUnsafeMutableBytes { $0[4096] = 1 }
    var granting = Message(label: SocketEchoService.items)
    try granting.append(.region(.grant(moved.slice(offset: 4096, count: 100)!)))
    let grantReply = try client.call(granting, options: patient)
    #expect(grantReply.regions.first?.kind == .grant)
    #expect(grantReply.regions.first?.region.bytes.first == 2)
    #expect(moved.bytes[4096] == 0 && !SharedMemory.isShareable(moved))
    // A read-only map cannot be written by the receiver (its descriptor is opened read-only).
    let readOnly = try SharedMemory.makeRegion(byteCount: 8)
    readOnly.withUnsafeMutableBytes { $0[0] = 5 }
    var reading = Message(label: SocketEchoService.regionSum)
    try reading.append(.region(.map(readOnly, rights: .read)))
    #expect(try client.call(reading, options: patient).word(at: 1) == 5)
  }

  /// Grant sizes: inline in the datagram, and above the copy threshold (in a memfd).
  static let grantSizes = [100, SocketTransportConfiguration.measuredCopyThreshold + 5000]

  /// A heap buffer of `pattern` bytes with a grant window of `count` bytes at an unaligned
  /// offset, so the window has partial pages at both ends (and whole pages between when large).
  static func heapWithWindow(_ count: Int) -> (buffer: MemoryRegion, window: MemoryRegion) {
    let buffer = MemoryRegion(copying: (0..<(count + 2 * 4000)).map(SocketEchoService.heapPattern))
    return (buffer, buffer.slice(offset: 4000, count: count)!)
  }

  @Test(arguments: Placement.allCases, grantSizes)
  func aDeliveredHeapGrantMovesTheSendersWindow(placement: Placement, count: Int) throws {
    let served = try placement.start()
    defer { served.finish() }
    let (buffer, window) = Self.heapWithWindow(count)
    let expected = window.bytes
    var request = Message(label: SocketEchoService.items)
    try request.append(.region(.grant(window)))
    // The server adds 1 to the first byte and grants the region back.
    let reply = try RPCClient(transport: served.client).call(request, options: patient)
    let back = try #require(reply.regions.first)
    #expect(back.kind == .grant && back.region.count == count)
    #expect(back.region.bytes == [expected[0] &+ 1] + expected.dropFirst())
    let outside = buffer.bytes.indices.filter { !(4000..<(4000 + count)).contains($0) }
    #expect(outside.allSatisfy { buffer.bytes[$0] == SocketEchoService.heapPattern($0) })
    if placement == .l4 {
      // The L4 model passes the same PageBuffer: the sender's window is the receiver's memory.
      #expect(back.region.sharesMemory(with: window) && window.bytes == back.region.bytes)
    } else {
      // Sockets copy heap memory; once the copy was delivered the sender's window reads zeros.
      #expect(!back.region.sharesMemory(with: window) && window.bytes.allSatisfy { $0 == 0 })
    }
  }

  @Test(arguments: Placement.allCases, grantSizes)
  func aHeapGrantInAReplyMovesTheServersWindow(placement: Placement, count: Int) throws {
    let served = try placement.start()
    defer { served.finish() }
    let client = RPCClient(transport: served.client)
    let reply = try client.call(try Message(label: SocketEchoService.grantHeap, words: [UInt64(count)]), options: patient)
    let offset = SocketEchoService.grantedHeapOffset
    #expect(reply.regions.first?.kind == .grant)
    #expect(reply.regions.first?.region.bytes == (offset..<(offset + count)).map(SocketEchoService.heapPattern))
    // (non-zero bytes in the server's window, changed bytes around it)
    let kept = { () -> [UInt64]? in try? client.call(Message(label: SocketEchoService.keptHeap), options: patient).words }
    if placement == .l4 {
      #expect(kept() == [0, UInt64(count), 0])
    } else {
      #expect(waitUntil { kept() == [0, 0, 0] })
    }
  }

  @Test(arguments: Placement.allCases, grantSizes)
  func anUndeliveredHeapGrantLeavesTheSendersBytes(placement: Placement, count: Int) throws {
    let served = try placement.startUnserved()
    defer { served.finish() }
    var options = CallOptions()
    options.sendTimeout = .microseconds(5_000)
    // Nobody reads: one-way sends of a 60 KiB string and a grant fill the socket until one times
    // out (L4: the first). Each attempt grants fresh memory: delivered ones are wiped, the one
    // that timed out keeps its bytes.
    var timedOut: RPCError? = nil
    for _ in 0..<100 where timedOut == nil {
      let (_, window) = Self.heapWithWindow(count)
      let expected = window.bytes
      var message = Message(label: SocketEchoService.note)
      try message.append(.string(StringItem([UInt8](repeating: 1, count: 60 * 1024))))
      try message.append(.region(.grant(window)))
      timedOut = rpcError { () throws(RPCError) in try served.client.send(message, options: options) }
      if timedOut == nil {
        #expect(placement != .l4 && window.bytes.allSatisfy { $0 == 0 })
      } else {
        #expect(window.bytes == expected)
      }
    }
    #expect(timedOut?.code == .timeout && timedOut?.phase == .send)
    // A message that fails to encode after its grant (a capability name this process does not
    // hold) is not sent either.
    let (_, window) = Self.heapWithWindow(count)
    let expected = window.bytes
    var unsendable = Message(label: SocketEchoService.items)
    try unsendable.append(.region(.grant(window)))
    try unsendable.append(.capability(CapabilityItem(CapabilityName(rawValue: 0x7fff_fff0), disposition: .copySend)))
    let refused = rpcError { () throws(RPCError) in _ = try served.client.call(unsendable, options: patient) }
    #expect(refused != nil && window.bytes == expected)
    // Nor to a server that is gone.
    served.finish()
    var late = Message(label: SocketEchoService.items)
    try late.append(.region(.grant(window)))
    let gone = rpcError { () throws(RPCError) in _ = try served.client.call(late, options: patient) }
    #expect(gone?.code == .nonExistingPartner && window.bytes == expected)
  }

  @Test(arguments: Placement.allCases)
  func oneWaySendDeliversWithoutAReply(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let client = RPCClient(transport: served.client)
    try client.send(try Message(label: SocketEchoService.note, words: [7]), options: patient)
    // Over sockets the same thread's next call takes the same connection and is served after
    // the note; the L4 pool may run the two on different threads, hence the wait.
    _ = try client.call(try Message(label: SocketEchoService.add, words: [1, 1]), options: patient)
    #expect(waitUntil { serverLog(client) == ["note 7 expectsReply=false"] })
  }

  @Test(arguments: Placement.allCases)
  func aServerThatNeverAnswersTimesOutInTheReceivePhase(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let client = RPCClient(transport: served.client)
    // A first call opens the connection (L4: the server is receiving again), so the short limit
    // below is all spent waiting for the reply.
    _ = try client.call(try Message(label: SocketEchoService.add, words: [1, 1]), options: patient)
    // `noReply` answers MIG_NO_REPLY: the request was taken, no reply ever comes.
    let overall = rpcError { () throws(RPCError) in
      _ = try client.call(Message(label: SocketEchoService.noReply), options: .timeout(.milliseconds(100)))
    }
    #expect(overall?.code == .timeout && overall?.phase == .receive)
    var options = CallOptions()
    options.receiveTimeout = .microseconds(5_000)
    let receive = rpcError { () throws(RPCError) in
      _ = try client.call(Message(label: SocketEchoService.noReply), options: options)
    }
    #expect(receive?.code == .timeout && receive?.phase == .receive)
    #expect(waitUntil { serverLog(client) == ["no reply", "no reply"] })
  }

  @Test(arguments: Placement.allCases)
  func aSendTimesOutWhenNobodyReads(placement: Placement) throws {
    let served = try placement.startUnserved()
    defer { served.finish() }
    // One-way sends of 60 KiB inline strings fill the socket, then the send phase times out
    // (L4: nobody receives, the first send times out).
    var big = Message(label: SocketEchoService.note)
    try big.append(.string(StringItem([UInt8](repeating: 1, count: 60 * 1024))))
    var options = CallOptions()
    options.sendTimeout = .microseconds(5_000)
    var full: RPCError? = nil
    for _ in 0..<100 where full == nil {
      full = rpcError { () throws(RPCError) in try served.client.send(big, options: options) }
    }
    #expect(full?.code == .timeout && full?.phase == .send)
    // A call with a send timeout fails the same way, in the send phase.
    if placement == .l4 {
      let call = rpcError { () throws(RPCError) in _ = try served.client.call(Message(label: 1), options: options) }
      #expect(call?.code == .timeout && call?.phase == .send)
    }
  }

  @Test(arguments: Placement.allCases)
  func aMissingServerIsANonExistingPartner(placement: Placement) throws {
    let served = try placement.start()
    _ = try RPCClient(transport: served.client).call(try Message(label: SocketEchoService.add, words: [1, 1]), options: patient)
    served.finish()
    // The server is gone (L4: shut down; sockets: its socket file removed).
    let missing = rpcError { () throws(RPCError) in _ = try served.sameDomainClient().call(Message(label: 1), options: patient) }
    #expect(missing?.code == .nonExistingPartner && missing?.phase == .send)
    if placement != .l4 {
      let nobody = SocketClientTransport(path: socketPath("nobody"))
      let never = rpcError { () throws(RPCError) in _ = try nobody.call(Message(label: 1), options: .default) }
      #expect(never?.code == .nonExistingPartner && never?.phase == .send)
    }
  }

  @Test(arguments: Placement.allCases)
  func theCallersDeadlineReachesTheHandler(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let client = RPCClient(transport: served.client)
    let timed = try client.call(Message(label: SocketEchoService.deadline), options: .timeout(.seconds(5)))
    if placement == .l4 {
      // L4 IPC carries per-phase timeouts, not the caller's deadline: the handler sees none.
      #expect(try timed.word(at: 1) == 0)
    } else {
      #expect(try timed.word(at: 1) == 1 && timed.word(at: 2) <= 5_000_000 && timed.word(at: 2) > 4_000_000)
    }
    // Without a deadline the handler sees none (a receive timeout bounds the wait, not the call).
    var bounded = CallOptions()
    bounded.receiveTimeout = .after(.seconds(30))
    #expect(try client.call(Message(label: SocketEchoService.deadline), options: bounded).word(at: 1) == 0)
  }

  @Test(arguments: Placement.allCases)
  func cancellationAbortsTheCallAndReachesTheHandler(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let probe = RPCClient(transport: served.sameDomainClient())
    let handle = CallCancellation()
    var options = patient
    options.cancellation = handle
    let handlerStarted = SharedLog<Bool>()
    Thread.detach {
      handlerStarted.append(waitUntil(seconds: 30) { (waitingHandlers(probe) ?? 0) >= 1 })
      handle.cancel()
    }
    let error = rpcError { () throws(RPCError) in
      _ = try RPCClient(transport: served.client).call(Message(label: SocketEchoService.waitForCancel), options: options)
    }
    #expect(error?.code == .cancelled && error?.phase == .receive)
    #expect(waitUntil { !handlerStarted.values.isEmpty } && handlerStarted.values == [true])
    #expect(waitUntil { serverLog(probe) == ["handler saw cancellation: true"] })
  }

  @Test(arguments: Placement.allCases)
  func aCallCancelledUpFrontNeverStarts(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let client = RPCClient(transport: served.client)
    let handle = CallCancellation()
    handle.cancel()
    var options = patient
    options.cancellation = handle
    let error = rpcError { () throws(RPCError) in
      _ = try client.call(try Message(label: SocketEchoService.note, words: [1]), options: options)
    }
    #expect(error?.code == .cancelled && error?.phase == .send)
    // A call after it is served; the cancelled one never reached the handler.
    _ = try client.call(try Message(label: SocketEchoService.add, words: [1, 1]), options: patient)
    #expect(serverLog(client) == [])
  }

  @Test(arguments: Placement.allCases)
  func taskCancellationAbortsAnAsyncCall(placement: Placement) async throws {
    let served = try placement.start()
    defer { served.finish() }
    let client = RPCClient(transport: served.client)
    let probe = RPCClient(transport: served.sameDomainClient())
    let task = Task { () -> RPCError? in
      do throws(RPCError) {
        _ = try await client.call(Message(label: SocketEchoService.waitForCancel), options: patient)
        return nil
      } catch {
        return error
      }
    }
    // Polled without blocking a thread of the cooperative pool: the call's task needs one to
    // start, and parallel async tests share the pool (2 threads on a 2-core machine).
    let waiting = Message(label: SocketEchoService.waitingHandlers)
    let started = await eventually { (try? await probe.call(waiting, options: patient).word(at: 1)) ?? 0 >= 1 }
    task.cancel()
    let error = await task.value
    #expect(started)
    #expect(error?.code == .cancelled)
    let logEntries = try Message(label: SocketEchoService.logEntries, words: [0])
    #expect(
      await eventually {
        (try? await probe.call(logEntries, options: patient).strings.first?.bytes) == Array("handler saw cancellation: true".utf8)
      })
  }

  @Test(arguments: Placement.allCases)
  func callerIdentityNamesTheClientsDomain(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    // Callers 0 and 1: two clients in this domain (L4 address space / process); caller 2: a
    // client in another (L4: another address space; sockets: a helper process).
    for transport in [served.client, served.sameDomainClient()] {
      _ = try RPCClient(transport: transport).call(Message(label: SocketEchoService.recordCaller), options: patient)
    }
    #expect(served.callFromAnotherDomain(SocketEchoService.recordCaller))
    let client = RPCClient(transport: served.client)
    let same = try client.call(try Message(label: SocketEchoService.compareCallers, words: [0, 1]), options: patient)
    #expect(same.words == [0, 1, 1])
    let other = try client.call(try Message(label: SocketEchoService.compareCallers, words: [0, 2]), options: patient)
    #expect(other.words == [0, 0, 0])
    if placement != .l4 {
      // Over sockets the domain is the peer's pid, from SO_PEERCRED.
      #expect(try client.call(Message(label: SocketEchoService.whoAmI), options: patient).word(at: 1) == UInt64(getpid()))
    }
  }

  @Test func callerCredentialsComeFromTheKernel() throws {
    let helper = try HelperProcess("serve", path: socketPath("creds"))
    defer { helper.finish() }
    let client = RPCClient(transport: helper.client)
    let reply = try client.call(Message(label: SocketEchoService.whoAmI), options: patient)
    #expect(try reply.word(at: 1) == UInt64(getpid()))
    #expect(try reply.word(at: 2) == UInt64(getuid()) && reply.word(at: 3) == UInt64(getgid()))
    // In-process the identities of two calls from one process are the same domain.
    let server = try LocalServer()
    defer { server.finish() }
    for _ in 0..<2 {
      _ = try RPCClient(transport: server.client).call(Message(label: SocketEchoService.whoAmI), options: patient)
    }
    let ids = server.service.identities.values
    #expect(ids.count == 2 && ids[0] == ids[1] && ids[0].isSameDomain(as: ids[1]))
  }

  @Test(arguments: Placement.allCases)
  func shutdownFailsWaitingCallersAndRefusesNewOnes(placement: Placement) throws {
    let served = try placement.start()
    defer { served.finish() }
    let client = RPCClient(transport: served.client)
    let waiter = RPCClient(transport: served.sameDomainClient())
    let died = SharedLog<RPCError?>()
    let ended = DispatchSemaphore(value: 0)
    // A call the server took but never answers (`noReply`), waiting when the server shuts down.
    Thread.detach {
      died.append(
        rpcError { () throws(RPCError) in _ = try waiter.call(Message(label: SocketEchoService.noReply), options: patient) })
      ended.signal()
    }
    #expect(waitUntil(seconds: 30) { serverLog(client) == ["no reply"] })
    try client.send(Message(label: SocketEchoService.shutDownServer), options: patient)
    #expect(ended.wait(timeout: .now() + 30) == .success)
    // Every placement reports `.serverDied` to the waiting caller: L4 ends the waiting IPC, a
    // socket server closes the connection (in a helper process as in this one: to its caller a
    // server that shut down looks like one that died, as after kill -9 in FaultTests).
    #expect(died.values.count == 1 && died.values.first??.code == .serverDied)
    // Once the shutdown is complete (sockets: the socket file is removed, after every connection
    // and the listener were closed) new calls find no server: `.nonExistingPartner`. (A call on
    // a connection opened before may still go out as the server closes it: `.serverDied`.)
    if let path = served.socketPath { #expect(waitUntil(seconds: 30) { access(path, F_OK) != 0 }) }
    let later = rpcError { () throws(RPCError) in
      _ = try RPCClient(transport: served.sameDomainClient()).call(Message(label: SocketEchoService.add), options: patient)
    }
    #expect(later?.code == .nonExistingPartner)
    #expect(served.serveAgain() == "\(RPCError.Code.shutDown)")
  }

  @Test(arguments: Placement.allCases)
  func aWorkerPoolRunsRequestsConcurrently(placement: Placement) throws {
    let served = try placement.start(threads: 3)
    defer { served.finish() }
    let failures = SharedLog<RPCError>()
    let transport = served.client
    // Three calls can only all finish if three serving threads each hold one.
    Thread.concurrently(3) { _ in
      let client = RPCClient(transport: transport)
      if let e = rpcError({ () throws(RPCError) in
        _ = try client.call(try Message(label: SocketEchoService.barrier, words: [3]), options: patient)
      }) {
        failures.append(e)
      }
    }
    #expect(failures.values.isEmpty)
  }

  @Test func aRegionSentAgainStaysMappedUntilItsConnectionCloses() throws {
    let helper = try HelperProcess("serve", path: socketPath("mappings"))
    defer { helper.finish() }
    let probe = RPCClient(transport: helper.client)
    let baseline = try descriptors(of: probe)
    let region = try SharedMemory.makeRegion(byteCount: 1 << 16)
    region.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 1) }
    var request = Message(label: SocketEchoService.regionSum)
    try request.append(.region(.map(region)))
    do {
      let client = RPCClient(transport: helper.client)
      for _ in 0..<3 { #expect(try client.call(request, options: patient).word(at: 1) == 1 << 16) }
      // The connection and the region's memfd, mapped once however often it came.
      #expect(try descriptors(of: probe) == baseline + 2)
      // The kept mapping is the same memory: a change shows in the next call.
      region.withUnsafeMutableBytes { $0[0] = 3 }
      #expect(try client.call(request, options: patient).word(at: 1) == (1 << 16) + 2)
      // Heap memory travels as a one-off copy, which is not kept.
      var copy = Message(label: SocketEchoService.regionSum)
      try copy.append(.region(.map(MemoryRegion(byteCount: 4096))))
      #expect(try client.call(copy, options: patient).word(at: 1) == 0)
      #expect(try descriptors(of: probe) == baseline + 2)
    }
    // The client's connection closed: what it had mapped there is released.
    #expect(waitUntil { (try? descriptors(of: probe)) == baseline })
  }
}
