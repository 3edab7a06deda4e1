import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The runtime (RPCClient, RequestDispatcher, interceptors, error mapping, cancellation, async)
/// over the real L4 in-process backend.
@Suite("Runtime over the L4 transport")
struct L4RuntimeTests {
  /// An `L4ServerTransport` serving `demux` on a BlockingExecutor thread until `stop()`.
  final class Server: Sendable {
    let kernel = L4Kernel()
    let transport: L4ServerTransport
    private let done = DispatchSemaphore(value: 0)

    init(
      _ demux: some Demultiplexer, mode: L4DispatchMode = .threaded, workers: Int = 0,
      interceptors: [any ServerInterceptor] = []
    ) {
      transport = L4ServerTransport(space: kernel.createSpace(), mode: mode, workers: workers)
      let dispatcher = RequestDispatcher(demux, interceptors: interceptors)
      BlockingExecutor.shared.execute { [transport, done] in
        try? transport.serve(dispatcher)
        done.signal()
      }
      let endpoint = transport.endpoint
      while kernel.thread(endpoint)?.ipcActivity != .receiving { usleep(100) }
    }

    func client(interceptors: [any ClientInterceptor] = []) -> RPCClient<L4ClientTransport> {
      RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: transport), interceptors: interceptors)
    }

    func stop() {
      transport.shutdown()
      done.wait()
    }
  }

  @Test(arguments: [L4DispatchMode.threaded, .direct])
  func errorsMapBothWays(mode: L4DispatchMode) throws {
    let server = Server(TestService(), mode: mode)
    defer { server.stop() }
    let client = server.client()
    // A server's own return code travels as RetCode and is rethrown.
    var failing = Message(label: TestService.fail)
    try failing.append(UInt64(UInt32(bitPattern: ReturnCode.ENOENT.rawValue)))
    #expect(caught { () throws(RPCError) in try client.call(failing) } == RPCError(returnCode: .ENOENT))
    // MIG protocol codes come back as protocol codes.
    #expect(caught { () throws(RPCError) in try client.call(Message(label: 4242)) }?.code == .badID)
    #expect(caught { () throws(RPCError) in try client.call(Message(label: TestService.add)) }?.code == .badArguments)
    // A handler's failed nested IPC is the server's return code, not the client's IPC failure.
    failing.reset(label: TestService.fail)
    try failing.append(UInt64(UInt32(bitPattern: RPCError(.timeout, phase: .send).wireReturnCode.rawValue)))
    let nested = caught { () throws(RPCError) in try client.call(failing) }
    #expect(nested?.code == .returnCode(.machSendTimedOut) && nested?.phase == nil)
    #expect(try client.call(addRequest(2, 3))[1] == 5)
  }

  @Test func interceptorsOnBothSidesSeeEveryCall() throws {
    let log = TestService.Log()
    let server = Server(
      TestService(log: log),
      interceptors: [RecordingServerInterceptor(name: "server", log: log)])
    defer { server.stop() }
    let client = server.client(interceptors: [RecordingClientInterceptor(name: "client", log: log)])
    #expect(try client.call(addRequest(1, 2))[1] == 3)
    #expect(caught { () throws(RPCError) in try client.call(Message(label: 77)) }?.code == .badID)
    #expect(log.all == [
      "client call 100", "server in 100", "server out 200", "client reply 200",
      "client call 77", "server in 77", "server out 177", "client reply 177",
    ])
  }

  @Test func aSlowHandlerTimesTheCallOutInTheReceivePhase() throws {
    let started = DispatchSemaphore(value: 0)
    let log = TestService.Log()
    let server = Server(TestService(log: log, started: started))
    defer { server.stop() }
    let client = server.client()
    let handle = CallCancellation()
    // The handler blocks until its caller cancels; the caller gives up first (whole-call timeout).
    let error = caught { () throws(RPCError) in
      try client.call(Message(label: TestService.waitForCancel), options: CallOptions(timeout: .milliseconds(20), cancellation: handle))
    }
    #expect(error?.code == .timeout && error?.phase == .receive)
    started.wait()
    handle.cancel()  // releases the handler; its reply finds nobody waiting and is dropped
    // The server is still healthy afterwards.
    #expect(try client.call(addRequest(4, 5), options: CallOptions(receiveTimeout: .after(.seconds(60))))[1] == 9)
  }

  /// The two words after a region's item that carry its offset and length come from the sender:
  /// forged ones are a bad request for the client, never a trap or a huge allocation in the server.
  @Test func aForgedRegionTrailerIsABadRequest() throws {
    let server = Server(TestService())
    defer { server.stop() }
    let space = server.kernel.createSpace()
    let client = server.kernel.currentThread(in: space)
    let base = try space.allocate(size: 4096)
    let fpage = try #require(L4Fpage(base: base, log2Size: 12))
    for trailer: [UInt64] in [[.max, 1], [0, .max], [4000, 200], [1 << 62, 1 << 62]] {
      #expect(client.mr.load(label: TestService.add, untyped: trailer, items: [.map(fpage: fpage, sendBase: 0)]))
      _ = try client.call(server.transport.endpoint)
      #expect(client.mr.tag.label == TestService.add + Message.replyLabelOffset)
      #expect(Int32(truncatingIfNeeded: client.mr[1]) == RPCError(.badArguments, "").wireReturnCode.rawValue)
    }
    // The server still answers ordinary calls.
    #expect(try server.client().call(addRequest(1, 1))[1] == 2)
  }

  /// "Practically forever" must not overflow when the deadline is turned into an L4 timeout.
  @Test func anAbsurdlyLongTimeoutIsJustVeryLong() throws {
    let server = Server(TestService())
    defer { server.stop() }
    let options = CallOptions(timeout: .seconds(Int64.max / 4))
    #expect(try server.client().call(addRequest(20, 22), options: options)[1] == 42)
  }

  @Test func aPerPhaseReceiveTimeoutAlsoApplies() throws {
    let started = DispatchSemaphore(value: 0)
    let server = Server(TestService(started: started))
    defer { server.stop() }
    let handle = CallCancellation()
    let error = caught { () throws(RPCError) in
      try server.client().call(
        Message(label: TestService.waitForCancel),
        options: CallOptions(receiveTimeout: .microseconds(20_000), cancellation: handle))
    }
    #expect(error?.code == .timeout && error?.phase == .receive)
    started.wait()
    handle.cancel()
  }

  @Test(.timeLimit(.minutes(1))) func taskCancellationReachesTheServerHandler() async throws {
    let started = DispatchSemaphore(value: 0)
    let log = TestService.Log()
    let server = Server(TestService(log: log, started: started))
    let client = server.client()
    let call = Task {
      await caughtAsync { () async throws(RPCError) in try await client.call(Message(label: TestService.waitForCancel)) }
    }
    await BlockingExecutor.shared.run { () throws(Never) in started.wait() }.get()
    call.cancel()
    let error = await call.value
    // The request was already taken, so the abort hits the receive phase.
    #expect(error?.phase == .receive && (error?.code == .cancelled || error?.code == .aborted))
    server.stop()
    #expect(log.all == ["handler saw cancellation: true"])
  }

  @Test(.timeLimit(.minutes(1))) func anotherThreadCancelsABlockingCall() throws {
    let started = DispatchSemaphore(value: 0)
    let log = TestService.Log()
    let server = Server(TestService(log: log, started: started))
    let handle = CallCancellation()
    BlockingExecutor.shared.execute {
      started.wait()
      handle.cancel()
    }
    let error = caught { () throws(RPCError) in
      try server.client().call(Message(label: TestService.waitForCancel), options: CallOptions(cancellation: handle))
    }
    #expect(error?.phase == .receive && (error?.code == .cancelled || error?.code == .aborted))
    server.stop()
    #expect(log.all == ["handler saw cancellation: true"])
  }

  @Test func asyncCallsAndSendsWork() async throws {
    let log = TestService.Log()
    let server = Server(TestService(log: log))
    let client = server.client(interceptors: [DoublingClientInterceptor()])
    #expect(try await client.call(addRequest(10, 1))[1] == 21)
    var note = Message(label: TestService.note)
    try note.append(8)
    try await client.send(note)
    server.stop()
    #expect(log.all == ["note 8 expectsReply=false"])
  }

  /// 8 client threads × 10,000 calls: every reply reaches its caller; the server sees every
  /// request exactly once (nothing lost, nothing duplicated).
  @Test(.timeLimit(.minutes(5)), arguments: [(L4DispatchMode.threaded, 0), (.direct, 0), (.threaded, 3)])
  func concurrentClientsThroughTheReceiveLoop(mode: L4DispatchMode, workers: Int) {
    let demux = EchoDemux()
    let server = Server(demux, mode: mode, workers: workers)
    let clients = 8
    let callsPerClient = 10_000
    let failures = Locked<[String]>([])
    let group = DispatchGroup()
    for client in 0..<clients {
      group.enter()
      BlockingExecutor.shared.execute {
        let rpc = server.client()
        for call in 0..<callsPerClient {
          let word = UInt64(client) << 32 | UInt64(call)
          do {
            var request = Message(label: UInt64(client + 1) << 32 | 7)
            try request.append(word)
            let reply = try rpc.call(request)
            if reply[1] != word { failures.withLock { $0.append("client \(client) call \(call) got \(reply.words)") } }
          } catch {
            failures.withLock { $0.append("client \(client) call \(call): \(error)") }
          }
        }
        group.leave()
      }
    }
    group.wait()
    server.stop()
    #expect(failures.withLock { $0.prefix(5) } == [])
    let served = demux.served.counts.withLock { $0 }
    #expect(served.count == clients * callsPerClient)
    #expect(served.values.allSatisfy { $0 == 1 })
  }
}
