import Dispatch
@_spi(Transport) import HurdRPC
import Testing

/// Echoes (caller domain, word 0) so each caller can check it got *its* reply.
struct EchoDemux: Demultiplexer {
  final class Served: Sendable {
    let counts = Locked<[UInt64: Int]>([:])
  }
  let served = Served()

  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    let word = try request.word(at: 0)
    served.counts.withLock { $0[word, default: 0] += 1 }
    try reply.append(word)
    try reply.append(context.caller == CallerIdentity(domain: request.label >> 32, badge: 0) ? 1 : 0)
  }
}

@Suite("Receive loop contract (QueueTransport)")
struct ReceiveLoopTests {
  @Test(.timeLimit(.minutes(2))) func concurrentClientsGetTheirOwnReplies() throws {
    let transport = QueueTransport()
    let demux = EchoDemux()
    let dispatcher = RequestDispatcher(demux)
    let serverThreads = 2
    let serversDone = DispatchGroup()
    for _ in 0..<serverThreads {
      serversDone.enter()
      Thread.detach { try? transport.serve(dispatcher); serversDone.leave() }
    }
    let clients = 8
    let callsPerClient = 1_000
    let failures = Locked<[String]>([])
    let clientsDone = DispatchGroup()
    for client in 0..<clients {
      clientsDone.enter()
      Thread.detach {
        let rpc = RPCClient(transport: transport)
        for call in 0..<callsPerClient {
          let word = UInt64(client * 1_000_000 + call)
          do {
            var request = Message(label: UInt64(client + 1) << 32 | 7)
            try request.append(word)
            let reply = try rpc.call(request)
            if reply[1] != word || reply[2] != 1 { failures.withLock { $0.append("client \(client) got \(reply.words)") } }
          } catch {
            failures.withLock { $0.append("client \(client) call \(call): \(error)") }
          }
        }
        clientsDone.leave()
      }
    }
    clientsDone.wait()
    transport.shutdown()
    serversDone.wait()
    #expect(failures.withLock { $0 }.isEmpty)
    let served = demux.served.counts.withLock { $0 }
    #expect(served.count == clients * callsPerClient)
    #expect(served.values.allSatisfy { $0 == 1 })
  }

  @Test(.timeLimit(.minutes(1))) func serveAsyncStopsWhenItsTaskIsCancelled() async throws {
    let transport = QueueTransport()
    let dispatcher = RequestDispatcher(TestService())
    let server = Task { await caughtAsync { () async throws(RPCError) in try await transport.serveAsync(dispatcher) } }
    let client = RPCClient(transport: transport)
    #expect(try await client.call(addRequest(20, 22))[1] == 42)
    server.cancel()
    #expect(await server.value == nil)
    let error = await caughtAsync { () async throws(RPCError) in try await client.call(addRequest(1, 1)) }
    #expect(error?.code == .nonExistingPartner)
  }

  @Test(.timeLimit(.minutes(1))) func cancelledCallerIsSeenByTheHandler() async throws {
    let transport = QueueTransport()
    let log = TestService.Log()
    let started = DispatchSemaphore(value: 0)
    let server = Task {
      await caughtAsync { () async throws(RPCError) in
        try await transport.serveAsync(RequestDispatcher(TestService(log: log, started: started)))
      }
    }
    let client = RPCClient(transport: transport)
    let call = Task {
      await caughtAsync { () async throws(RPCError) in try await client.call(Message(label: TestService.waitForCancel)) }
    }
    await BlockingExecutor.shared.run { () throws(Never) in started.wait() }.get()
    call.cancel()
    let error = await call.value
    #expect(error?.code == .cancelled && error?.phase == .receive)
    server.cancel()
    _ = await server.value
    #expect(log.all == ["handler saw cancellation: true"])
  }
}

/// A detached OS thread (tests need real threads for blocking clients and servers).
enum Thread {
  static func detach(_ body: @escaping @Sendable () -> Void) {
    BlockingExecutor.shared.execute(body)
  }
}
