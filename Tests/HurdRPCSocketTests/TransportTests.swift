import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCL4
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Where the server under test runs: the L4 in-process backend (the reference semantics), a
/// socket server in this process, or a socket server in a helper process.
enum Placement: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case l4
  case socketInProcess
  case socketHelperProcess

  var testDescription: String { rawValue }

  /// A client of a running SocketEchoService, and how to stop its server.
  func start() throws -> (client: AnyTransport, finish: @Sendable () -> Void) {
    switch self {
    case .l4:
      let kernel = L4Kernel()
      let server = L4ServerTransport(space: kernel.createSpace())
      let done = DispatchSemaphore(value: 0)
      Thread.detach {
        try? server.serve(RequestDispatcher(SocketEchoService()))
        done.signal()
      }
      _ = waitUntil { kernel.thread(server.endpoint)?.ipcActivity == .receiving }
      return (AnyTransport(L4ClientTransport(space: kernel.createSpace(), server: server)), {
        server.shutdown()
        done.wait()
      })
    case .socketInProcess:
      let server = try LocalServer(threads: 2)
      return (AnyTransport(server.client), { server.finish() })
    case .socketHelperProcess:
      let helper = try HelperProcess("serve", path: socketPath("helper"), extra: ["--workers", "1"])
      return (AnyTransport(helper.client), { helper.finish() })
    }
  }
}

@Suite("Socket transport")
struct SocketTransportTests {
  @Test(arguments: Placement.allCases)
  func callReachesTheServerAndReturnsTheReply(placement: Placement) throws {
    let (transport, finish) = try placement.start()
    defer { finish() }
    let client = RPCClient(transport: transport)
    let reply = try client.call(try Message(label: SocketEchoService.add, words: [40, 2]))
    #expect(reply.label == SocketEchoService.add + Message.replyLabelOffset)
    #expect(try reply.word(at: 1) == 42)
  }

  @Test(arguments: Placement.allCases)
  func serverReturnCodesAndBadIDsComeBack(placement: Placement) throws {
    let (transport, finish) = try placement.start()
    defer { finish() }
    let client = RPCClient(transport: transport)
    let failed = rpcError { () throws(RPCError) in _ = try client.call(try Message(label: SocketEchoService.fail, words: [2])) }
    #expect(failed?.code == .returnCode(ReturnCode(2)))
    let unknown = rpcError { () throws(RPCError) in _ = try client.call(Message(label: 999)) }
    #expect(unknown?.code == .badID)
  }

  @Test(arguments: Placement.allCases)
  func asyncCallReturnsTheReply(placement: Placement) async throws {
    let (transport, finish) = try placement.start()
    defer { finish() }
    let client = RPCClient(transport: transport)
    let reply = try await client.call(try Message(label: SocketEchoService.add, words: [2, 3]))
    #expect(try reply.word(at: 1) == 5)
  }

  @Test(arguments: Placement.allCases)
  func stringRepliesOfEverySizeArrive(placement: Placement) throws {
    // Below the copy threshold the bytes ride in the datagram; above it, in a sealed memfd.
    let (transport, finish) = try placement.start()
    defer { finish() }
    let client = RPCClient(transport: transport)
    // (The L4 backend's default string buffers hold 64 KiB.)
    let sizes = [0, 1, 5000, 60_000] + (placement == .l4 ? [] : [SocketTransportConfiguration.measuredCopyThreshold + 1, 300_000])
    for count in sizes {
      let reply = try client.call(try Message(label: SocketEchoService.makeString, words: [UInt64(count)]))
      #expect(reply.strings.map(\.bytes) == [(0..<count).map { UInt8(truncatingIfNeeded: $0) }])
    }
  }

  @Test(arguments: Placement.allCases)
  func sharedRegionsAreMappedAndStringsCopied(placement: Placement) throws {
    let (transport, finish) = try placement.start()
    defer { finish() }
    let client = RPCClient(transport: transport)
    let text = (0..<60_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
    var request = Message(label: SocketEchoService.items)
    try request.append(.string(StringItem(pieces: [Array(text[0..<1000]), Array(text[1000...])])))
    let shared = try SharedMemory.makeRegion(byteCount: 3)
    shared.withUnsafeMutableBytes { $0.copyBytes(from: [10, 20, 30]) }
    try request.append(.region(.map(shared)))
    let reply = try client.call(request)
    #expect(reply.strings.map(\.bytes) == [Array(text.reversed())])
    // Mapped, not copied: the server's write shows in our region, and the region that came back
    // is the same memory.
    #expect(shared.bytes == [11, 20, 30])
    #expect(reply.regions.count == 1 && reply.regions[0].region.sharesMemory(with: shared))
    #expect(reply.regions[0].region.count == 3 && reply.regions[0].kind == .map)
  }

  @Test(arguments: Placement.allCases)
  func concurrentClientsEachGetTheirOwnReplies(placement: Placement) throws {
    let (transport, finish) = try placement.start()
    defer { finish() }
    let wrong = SharedLog<Int>()
    Thread.concurrently(4) { n in
      let client = RPCClient(transport: transport)
      for i in 0..<300 {
        let a = UInt64(n) << 32
        guard let reply = try? client.call(try Message(label: SocketEchoService.add, words: [a, UInt64(i)])),
          (try? reply.word(at: 1)) == a + UInt64(i)
        else {
          wrong.append(i)
          continue
        }
      }
    }
    #expect(wrong.values.isEmpty)
  }

  @Test func heapRegionsAreCopiedIntoSharedMemoryAndGrantsMove() throws {
    let helper = try HelperProcess("serve", path: socketPath("regions"))
    defer { helper.finish() }
    let client = RPCClient(transport: helper.client)
    // Heap memory cannot be mapped by another process: a map of it is a copy on send.
    let heap = MemoryRegion(copying: [1, 2, 3])
    var request = Message(label: SocketEchoService.items)
    try request.append(.region(.map(heap)))
    let reply = try client.call(request)
    #expect(reply.regions.first?.region.bytes == [2, 2, 3])
    #expect(heap.bytes == [1, 2, 3])
    // A grant of shared memory moves it: the receiver's write is in the reply, our pages are gone.
    let moved = try SharedMemory.makeRegion(byteCount: 1 << 20)
    moved.withUnsafeMutableBytes { $0[4096] = 1 }
    var granting = Message(label: SocketEchoService.items)
    try granting.append(.region(.grant(moved.slice(offset: 4096, count: 100)!)))
    let grantReply = try client.call(granting)
    #expect(grantReply.regions.first?.kind == .grant)
    #expect(grantReply.regions.first?.region.bytes.first == 2)
    #expect(moved.bytes[4096] == 0 && !SharedMemory.isShareable(moved))
    // A read-only map cannot be written by the receiver (its descriptor is opened read-only).
    let readOnly = try SharedMemory.makeRegion(byteCount: 8)
    readOnly.withUnsafeMutableBytes { $0[0] = 5 }
    var reading = Message(label: SocketEchoService.regionSum)
    try reading.append(.region(.map(readOnly, rights: .read)))
    #expect(try client.call(reading).word(at: 1) == 5)
  }

  @Test func oneWaySendDeliversWithoutAReply() throws {
    let server = try LocalServer()
    defer { server.finish() }
    let client = RPCClient(transport: server.client)
    try client.send(try Message(label: SocketEchoService.note, words: [7]))
    // The same thread's next call uses the same connection, so it is served after the note.
    _ = try client.call(try Message(label: SocketEchoService.add, words: [1, 1]))
    #expect(server.service.log.values == ["note 7 expectsReply=false"])
  }

  @Test func timeoutsAndMissingServers() throws {
    let server = try LocalServer(start: false)  // listening, never served
    defer { server.finish() }
    let overall = rpcError { () throws(RPCError) in
      _ = try server.client.call(Message(label: 1), options: .timeout(.milliseconds(20)))
    }
    #expect(overall?.code == .timeout && overall?.phase == .receive)
    var options = CallOptions()
    options.receiveTimeout = .microseconds(5_000)
    let receive = rpcError { () throws(RPCError) in _ = try server.client.call(Message(label: 1), options: options) }
    #expect(receive?.code == .timeout && receive?.phase == .receive)
    // Nobody reads: one-way sends of 60 KiB inline strings fill the socket, then the send phase
    // times out.
    let filler = SocketClientTransport(path: server.path!, configuration: SocketTransportConfiguration(copyThreshold: 64 * 1024))
    var big = Message(label: SocketEchoService.note)
    try big.append(.string(StringItem([UInt8](repeating: 1, count: 60 * 1024))))
    var sendOptions = CallOptions()
    sendOptions.sendTimeout = .microseconds(5_000)
    var full: RPCError? = nil
    for _ in 0..<100 where full == nil {
      full = rpcError { () throws(RPCError) in try filler.send(big, options: sendOptions) }
    }
    #expect(full?.code == .timeout && full?.phase == .send)
    let nobody = SocketClientTransport(path: socketPath("nobody"))
    let missing = rpcError { () throws(RPCError) in _ = try nobody.call(Message(label: 1), options: .default) }
    #expect(missing?.code == .nonExistingPartner && missing?.phase == .send)
  }

  @Test func theCallersDeadlineReachesTheHandler() throws {
    let server = try LocalServer()
    defer { server.finish() }
    let client = RPCClient(transport: server.client)
    let timed = try client.call(Message(label: SocketEchoService.deadline), options: .timeout(.seconds(5)))
    #expect(try timed.word(at: 1) == 1 && timed.word(at: 2) <= 5_000_000 && timed.word(at: 2) > 4_000_000)
    #expect(try client.call(Message(label: SocketEchoService.deadline)).word(at: 1) == 0)
  }

  @Test func cancellationAbortsTheCallAndReachesTheHandler() throws {
    let server = try LocalServer()
    let handle = CallCancellation()
    var options = CallOptions()
    options.cancellation = handle
    let service = server.service
    Thread.detach {
      service.started.wait()
      handle.cancel()
    }
    let error = rpcError { () throws(RPCError) in
      _ = try server.client.call(Message(label: SocketEchoService.waitForCancel), options: options)
    }
    #expect(error?.code == .cancelled && error?.phase == .receive)
    #expect(waitUntil { service.log.values == ["handler saw cancellation: true"] })
    server.finish()
  }

  @Test func aCallCancelledUpFrontNeverStarts() throws {
    let server = try LocalServer()
    defer { server.finish() }
    let handle = CallCancellation()
    handle.cancel()
    var options = CallOptions()
    options.cancellation = handle
    let error = rpcError { () throws(RPCError) in
      _ = try server.client.call(try Message(label: SocketEchoService.note, words: [1]), options: options)
    }
    #expect(error?.code == .cancelled && error?.phase == .send)
    #expect(server.service.log.values.isEmpty)
  }

  @Test func taskCancellationAbortsAnAsyncCall() async throws {
    let server = try LocalServer()
    let client = RPCClient(transport: server.client)
    let service = server.service
    let task = Task { () -> RPCError? in
      do throws(RPCError) {
        _ = try await client.call(Message(label: SocketEchoService.waitForCancel))
        return nil
      } catch {
        return error
      }
    }
    await Task.detached { service.started.wait() }.value
    task.cancel()
    let error = await task.value
    #expect(error?.code == .cancelled)
    #expect(waitUntil { service.log.values == ["handler saw cancellation: true"] })
    server.finish()
  }

  @Test func callerCredentialsComeFromTheKernel() throws {
    let helper = try HelperProcess("serve", path: socketPath("creds"))
    defer { helper.finish() }
    let client = RPCClient(transport: helper.client)
    let reply = try client.call(Message(label: SocketEchoService.whoAmI))
    #expect(try reply.word(at: 1) == UInt64(getpid()))
    #expect(try reply.word(at: 2) == UInt64(getuid()) && reply.word(at: 3) == UInt64(getgid()))
    // In-process the identities of two calls from one process are the same domain.
    let server = try LocalServer()
    defer { server.finish() }
    for _ in 0..<2 { _ = try RPCClient(transport: server.client).call(Message(label: SocketEchoService.whoAmI)) }
    let ids = server.service.identities.values
    #expect(ids.count == 2 && ids[0] == ids[1] && ids[0].isSameDomain(as: ids[1]))
  }

  @Test func shutdownFailsWaitingCallersAndRefusesNewOnes() throws {
    let server = try LocalServer()
    let client = server.client
    let service = server.service
    let finished = DispatchSemaphore(value: 0)
    Thread.detach {
      service.started.wait()
      server.transport.shutdown()
      finished.signal()
    }
    let died = rpcError { () throws(RPCError) in _ = try client.call(Message(label: SocketEchoService.noReply), options: .default) }
    #expect(died?.code == .serverDied)
    finished.wait()
    server.finish()
    let later = rpcError { () throws(RPCError) in _ = try client.call(Message(label: SocketEchoService.add), options: .default) }
    #expect(later?.code == .nonExistingPartner)
    #expect(rpcError { () throws(RPCError) in try server.transport.serve(RequestDispatcher(service)) }?.code == .shutDown)
  }

  @Test func aWorkerPoolRunsRequestsConcurrently() throws {
    struct Barrier: Demultiplexer {
      let arrived = SharedLog<Int>()
      let release = DispatchSemaphore(value: 0)
      func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
        arrived.append(1)
        if arrived.values.count == 3 {
          for _ in 0..<2 { release.signal() }
        } else {
          release.wait()
        }
      }
    }
    let server = try LocalServer(threads: 3, start: false)
    defer { server.finish() }
    server.start(RequestDispatcher(Barrier()))
    let failures = SharedLog<RPCError>()
    let transport = server.client
    // Three calls can only all finish if three serving threads each hold one.
    Thread.concurrently(3) { _ in
      if let e = rpcError({ () throws(RPCError) in _ = try RPCClient(transport: transport).call(Message(label: 1)) }) {
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
      for _ in 0..<3 { #expect(try client.call(request).word(at: 1) == 1 << 16) }
      // The connection and the region's memfd, mapped once however often it came.
      #expect(try descriptors(of: probe) == baseline + 2)
      // The kept mapping is the same memory: a change shows in the next call.
      region.withUnsafeMutableBytes { $0[0] = 3 }
      #expect(try client.call(request).word(at: 1) == (1 << 16) + 2)
      // Heap memory travels as a one-off copy, which is not kept.
      var copy = Message(label: SocketEchoService.regionSum)
      try copy.append(.region(.map(MemoryRegion(byteCount: 4096))))
      #expect(try client.call(copy).word(at: 1) == 0)
      #expect(try descriptors(of: probe) == baseline + 2)
    }
    // The client's connection closed: what it had mapped there is released.
    #expect(waitUntil { (try? descriptors(of: probe)) == baseline })
  }
}
