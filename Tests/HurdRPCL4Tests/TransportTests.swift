import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// A demultiplexer in the shape generated code has.
struct EchoService: Demultiplexer {
  static let add: UInt64 = 100  // (a, b) → a + b
  static let fail: UInt64 = 101  // (rc) → throws that return code
  static let note: UInt64 = 102  // one-way: records word 0 and expectsReply
  static let waitForCancel: UInt64 = 103  // blocks until the caller cancels
  static let noReply: UInt64 = 104  // answers MIG_NO_REPLY
  static let items: UInt64 = 105  // string → reversed string; region → first byte + 1, sent back
  static let whoAmI: UInt64 = 106  // records the caller identity
  static let makeString: UInt64 = 107  // (n) → a string of n bytes 0, 1, 2, …

  let log = Log<String>()
  let started = DispatchSemaphore(value: 0)
  let identities = Log<CallerIdentity>()

  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    switch request.label {
    case Self.add:
      try reply.append(try request.word(at: 0) &+ request.word(at: 1))
    case Self.fail:
      throw RPCError(.returnCode(ReturnCode(Int32(truncatingIfNeeded: try request.word(at: 0)))))
    case Self.note:
      log.append("note \(try request.word(at: 0)) expectsReply=\(context.expectsReply)")
      throw RPCError(.returnCode(.migNoReply))
    case Self.waitForCancel:
      let cancelled = DispatchSemaphore(value: 0)
      context.onCancel { cancelled.signal() }
      started.signal()
      cancelled.wait()
      log.append("handler saw cancellation: \(context.isCancelled)")
    case Self.noReply:
      started.signal()
      reply.setReplyReturnCode(.migNoReply)
    case Self.items:
      for item in request.items {
        switch item {
        case .string(let string):
          try reply.append(.string(StringItem(Array(string.bytes.reversed()))))
        case .region(let region):
          region.region.withUnsafeMutableBytes { $0[0] &+= 1 }
          try reply.append(.region(region))
        case .capability:
          throw RPCError(.badArguments)
        }
      }
    case Self.whoAmI:
      identities.append(context.caller)
    case Self.makeString:
      let count = Int(try request.word(at: 0))
      try reply.append(.string(StringItem((0..<count).map { UInt8(truncatingIfNeeded: $0) })))
    default:
      throw RPCError(.badID, "no routine \(request.label)")
    }
  }
}

/// Runs `body` and returns the RPC error it threw (typed-throws helper; see Support.swift).
func rpcError(_ body: () throws(RPCError) -> Void) -> RPCError? {
  do throws(RPCError) {
    try body()
    return nil
  } catch {
    return error
  }
}

/// A server transport with `serve` running on its own thread, stopped by `finish`.
final class RunningServer: Sendable {
  let transport: L4ServerTransport
  let service: EchoService
  private let done = DispatchSemaphore(value: 0)

  init(_ kernel: L4Kernel, mode: L4DispatchMode = .threaded, workers: Int = 0, service: EchoService = EchoService()) {
    let space = kernel.createSpace()
    transport = L4ServerTransport(space: space, mode: mode, workers: workers)
    self.service = service
    let transport = transport
    let done = done
    Thread.detach {
      try? transport.serve(RequestDispatcher(service))
      done.signal()
    }
    #expect(waitUntil { kernel.thread(transport.endpoint)?.ipcActivity == .receiving })
  }

  func finish() {
    transport.shutdown()
    done.wait()
  }
}

/// Starts a detached OS thread (not an L4 thread: transports adopt it on first use).
enum Thread {
  static func detach(_ body: @escaping @Sendable () -> Void) {
    let queue = DispatchQueue(label: "detached")
    queue.async(execute: body)
  }

  /// Runs `body` on `count` OS threads at once and waits for all.
  static func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for n in 0..<count {
      group.enter()
      DispatchQueue(label: "client\(n)").async {
        body(n)
        group.leave()
      }
    }
    group.wait()
  }
}

@Suite("L4 transport")
struct TransportTests {
  @Test(arguments: [L4DispatchMode.threaded, .direct])
  func callReachesTheServerAndReturnsTheReply(mode: L4DispatchMode) throws {
    let kernel = L4Kernel()
    let server = RunningServer(kernel, mode: mode)
    let client = RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server.transport))
    let reply = try client.call(try Message(label: EchoService.add, words: [40, 2]))
    #expect(reply.label == EchoService.add + Message.replyLabelOffset)
    #expect(try reply.word(at: 1) == 42)
    server.finish()
  }

  @Test(arguments: [L4DispatchMode.threaded, .direct])
  func inPlaceCallsReuseOneReplyBuffer(mode: L4DispatchMode) throws {
    let kernel = L4Kernel()
    let server = RunningServer(kernel, mode: mode)
    let client = RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server.transport))
    var reply = try Message(label: 1, words: [5, 5, 5, 5, 5])
    var add = try Message(label: EchoService.add, words: [40, 2])
    try client.call(&add, reply: &reply)
    #expect(reply.label == EchoService.add + Message.replyLabelOffset && reply.words == [0, 42])
    #expect(add.words == [40, 2])
    // A reply with a typed item lands in the same buffer, then a register-only one again.
    var makeString = try Message(label: EchoService.makeString, words: [3])
    try client.call(&makeString, reply: &reply)
    #expect(reply.words == [0] && reply.strings.map(\.bytes) == [[0, 1, 2]])
    var options = CallOptions()
    options.cancellation = CallCancellation()  // the armed path
    try client.call(&add, reply: &reply, options: options)
    #expect(reply.words == [0, 42] && reply.items.isEmpty)
    var failing = try Message(label: EchoService.fail, words: [2])
    let failed = rpcError { () throws(RPCError) in try client.call(&failing, reply: &reply) }
    #expect(failed?.code == .returnCode(ReturnCode(2)))
    server.finish()
  }

  @Test func serverReturnCodesAndBadIDsComeBack() {
    let kernel = L4Kernel()
    let server = RunningServer(kernel)
    let client = RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server.transport))
    let failed = rpcError { () throws(RPCError) in _ = try client.call(try Message(label: EchoService.fail, words: [2])) }
    #expect(failed?.code == .returnCode(ReturnCode(2)))
    let unknown = rpcError { () throws(RPCError) in _ = try client.call(Message(label: 999)) }
    #expect(unknown?.code == .badID)
    server.finish()
  }

  @Test(arguments: [L4DispatchMode.threaded, .direct])
  func oneWaySendDeliversWithoutAReply(mode: L4DispatchMode) throws {
    let kernel = L4Kernel()
    let server = RunningServer(kernel, mode: mode)
    let client = RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server.transport))
    try client.send(try Message(label: EchoService.note, words: [7]))
    // A following call is served after the note (one server thread, FIFO).
    _ = try client.call(try Message(label: EchoService.add, words: [1, 1]))
    #expect(server.service.log.values == ["note 7 expectsReply=false"])
    server.finish()
  }

  @Test func sendTimeoutWhenNobodyServes() {
    let kernel = L4Kernel()
    let transport = L4ServerTransport(space: kernel.createSpace())  // never served
    let client = L4ClientTransport(space: kernel.createSpace(), server: transport)
    var options = CallOptions()
    options.sendTimeout = .microseconds(2_000)
    let error = rpcError { () throws(RPCError) in _ = try client.call(Message(label: 1), options: options) }
    #expect(error?.code == .timeout && error?.phase == .send)
    let overall = rpcError { () throws(RPCError) in _ = try client.call(Message(label: 1), options: .timeout(.milliseconds(2))) }
    #expect(overall?.code == .timeout)
    transport.shutdown()
  }

  @Test(arguments: [L4DispatchMode.threaded, .direct])
  func cancellationAbortsTheCallAndReachesTheHandler(mode: L4DispatchMode) {
    let kernel = L4Kernel()
    let server = RunningServer(kernel, mode: mode)
    let client = L4ClientTransport(space: kernel.createSpace(), server: server.transport)
    let handle = CallCancellation()
    var options = CallOptions()
    options.cancellation = handle
    let service = server.service
    Thread.detach {
      service.started.wait()
      handle.cancel()
    }
    let error = rpcError { () throws(RPCError) in _ = try client.call(Message(label: EchoService.waitForCancel), options: options) }
    #expect(error?.code == .cancelled && error?.phase == .receive)
    server.finish()
    #expect(service.log.values == ["handler saw cancellation: true"])
  }

  @Test func aCallCancelledUpFrontNeverStarts() {
    let kernel = L4Kernel()
    let server = RunningServer(kernel)
    let client = L4ClientTransport(space: kernel.createSpace(), server: server.transport)
    let handle = CallCancellation()
    handle.cancel()
    var options = CallOptions()
    options.cancellation = handle
    let error = rpcError { () throws(RPCError) in _ = try client.call(try Message(label: EchoService.note, words: [1]), options: options) }
    #expect(error?.code == .cancelled && error?.phase == .send)
    server.finish()
    #expect(server.service.log.values.isEmpty)
  }

  @Test func taskCancellationAbortsAnAsyncCall() async {
    let kernel = L4Kernel()
    let server = RunningServer(kernel)
    let client = RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server.transport))
    let service = server.service
    let task = Task { () -> RPCError? in
      do throws(RPCError) {
        _ = try await client.call(Message(label: EchoService.waitForCancel))
        return nil
      } catch {
        return error
      }
    }
    await Task.detached { service.started.wait() }.value
    task.cancel()
    let error = await task.value
    #expect(error?.code == .cancelled)
    server.finish()
    #expect(service.log.values == ["handler saw cancellation: true"])
  }

  @Test func asyncCallReturnsTheReply() async throws {
    let kernel = L4Kernel()
    let server = RunningServer(kernel, mode: .direct)
    let client = RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server.transport))
    let reply = try await client.call(try Message(label: EchoService.add, words: [2, 3]))
    #expect(try reply.word(at: 1) == 5)
    server.finish()
  }

  @Test func stringsTravelByCopyAndRegionsByMapOrGrant() throws {
    let kernel = L4Kernel()
    let server = RunningServer(kernel)
    let client = RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server.transport))
    let text = (0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }
    var request = Message(label: EchoService.items)
    try request.append(.string(StringItem(pieces: [Array(text[0..<1000]), Array(text[1000...])])))
    let shared = MemoryRegion(copying: [10, 20, 30])
    try request.append(.region(.map(shared)))
    let reply = try client.call(request)
    #expect(reply.strings.map(\.bytes) == [Array(text.reversed())])
    // Mapped, not copied: the server's write is visible in the client's region, and the region
    // that came back is the same memory.
    #expect(shared.bytes == [11, 20, 30])
    #expect(reply.regions.count == 1 && reply.regions[0].region.sharesMemory(with: shared))
    #expect(reply.regions[0].region.count == 3 && reply.regions[0].kind == .map)

    var granting = Message(label: EchoService.items)
    let moved = MemoryRegion(copying: Array(repeating: 1, count: 1 << 20))
    try granting.append(.region(.grant(moved.slice(offset: 4096, count: 100)!)))
    let grantReply = try client.call(granting)
    #expect(grantReply.regions.first?.kind == .grant)
    #expect(grantReply.regions.first?.region.sharesMemory(with: moved) == true)
    #expect(grantReply.regions.first?.region.offset == 4096 && moved.bytes[4096] == 2)
    server.finish()
  }

  @Test(arguments: [L4DispatchMode.threaded, .direct])
  func aRegisterOnlyRequestCanGetAStringReply(mode: L4DispatchMode) throws {
    // Under direct dispatch the reply's string is copied by the typed path from the server's
    // staging area, on the caller's thread.
    let kernel = L4Kernel()
    let server = RunningServer(kernel, mode: mode)
    let client = RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server.transport))
    for count in [0, 1, 5000] {
      let reply = try client.call(try Message(label: EchoService.makeString, words: [UInt64(count)]))
      #expect(reply.strings.map(\.bytes) == [(0..<count).map { UInt8(truncatingIfNeeded: $0) }])
    }
    server.finish()
  }

  @Test func capabilitiesAreRefusedByThisTransport() throws {
    let kernel = L4Kernel()
    let server = RunningServer(kernel)
    let client = L4ClientTransport(space: kernel.createSpace(), server: server.transport)
    var request = Message(label: EchoService.items)
    try request.append(.capability(CapabilityItem(CapabilityName(rawValue: 3), disposition: .copySend)))
    let error = rpcError { () throws(RPCError) in _ = try client.call(request, options: .default) }
    #expect(error?.code == .unsupported)
    server.finish()
  }

  @Test func shutdownFailsWaitingCallers() {
    let kernel = L4Kernel()
    // Taken but never answered: the server dies under the caller.
    let server = RunningServer(kernel)
    let client = L4ClientTransport(space: kernel.createSpace(), server: server.transport)
    let service = server.service
    Thread.detach {
      service.started.wait()
      server.transport.shutdown()
    }
    let died = rpcError { () throws(RPCError) in _ = try client.call(Message(label: EchoService.noReply), options: .default) }
    #expect(died?.code == .serverDied)
    server.finish()
    // Never served: callers waiting to send fail as non-existing partner.
    let idle = L4ServerTransport(space: kernel.createSpace())
    let idleClient = L4ClientTransport(space: kernel.createSpace(), server: idle)
    let done = DispatchSemaphore(value: 0)
    let error = TestLocked<RPCError?>(nil)
    Thread.detach {
      let e = rpcError { () throws(RPCError) in _ = try idleClient.call(Message(label: 1), options: .default) }
      error.withLock { $0 = e }
      done.signal()
    }
    #expect(waitUntil { kernel.thread(idle.endpoint).map { _ in true } ?? false })
    #expect(waitUntil { threadsSending(to: idle, in: kernel) })
    idle.shutdown()
    done.wait()
    #expect(error.withLock { $0 }?.code == .nonExistingPartner)
    #expect(rpcError { () throws(RPCError) in try idle.serve(RequestDispatcher(EchoService())) }?.code == .shutDown)
  }

  @Test func callerIdentityNamesTheClientSpace() throws {
    let kernel = L4Kernel()
    let server = RunningServer(kernel)
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    for space in [a, a, b] {
      _ = try RPCClient(transport: L4ClientTransport(space: space, server: server.transport)).call(Message(label: EchoService.whoAmI))
    }
    server.finish()
    let ids = server.service.identities.values
    #expect(ids.count == 3)
    #expect(ids[0] == ids[1] && ids[0].isSameDomain(as: ids[1]))
    #expect(!ids[0].isSameDomain(as: ids[2]))
  }

  @Test(arguments: [(L4DispatchMode.threaded, 0), (.direct, 0), (.threaded, 2)])
  func concurrentClientsEachGetTheirOwnReplies(mode: L4DispatchMode, workers: Int) {
    let kernel = L4Kernel()
    let server = RunningServer(kernel, mode: mode, workers: workers)
    let space = kernel.createSpace()
    let wrong = Log<Int>()
    Thread.concurrently(4) { n in
      let client = RPCClient(transport: L4ClientTransport(space: space, server: server.transport))
      for i in 0..<2_000 {
        let a = UInt64(n) << 32
        guard let reply = try? client.call(try Message(label: EchoService.add, words: [a, UInt64(i)])),
          (try? reply.word(at: 1)) == a + UInt64(i)
        else {
          wrong.append(i)
          continue
        }
      }
    }
    server.finish()
    #expect(wrong.values.isEmpty)
  }
}

@Suite("L4 transport worker pool")
struct WorkerPoolTests {
  /// Holds every call until `parties` handlers are inside at once.
  struct Barrier: Demultiplexer {
    let arrived = TestLocked<Int>(0)
    let parties: Int
    let release = DispatchSemaphore(value: 0)
    let peak = TestLocked<Int>(0)

    func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
      let now = arrived.withLock { count -> Int in
        count += 1
        return count
      }
      peak.withLock { $0 = max($0, now) }
      if now == parties {
        for _ in 1..<parties { release.signal() }
      } else {
        release.wait()
      }
      arrived.withLock { $0 -= 1 }
    }
  }

  @Test func poolRunsOnePlusWorkersRequestsAtOnceByPropagation() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let server = L4ServerTransport(space: space, workers: 2)
    let barrier = Barrier(parties: 3)
    let done = DispatchSemaphore(value: 0)
    Thread.detach {
      try? server.serve(RequestDispatcher(barrier))
      done.signal()
    }
    #expect(waitUntil { server.idleWorkers == 2 && kernel.thread(server.endpoint)?.ipcActivity == .receiving })
    let clientSpace = kernel.createSpace()
    let failures = Log<RPCError>()
    // Three calls can only all finish if the endpoint and both workers hold one each.
    Thread.concurrently(3) { _ in
      let client = RPCClient(transport: L4ClientTransport(space: clientSpace, server: server))
      if let e = rpcError({ () throws(RPCError) in _ = try client.call(Message(label: 1)) }) { failures.append(e) }
    }
    server.shutdown()
    done.wait()
    #expect(failures.values.isEmpty)
    #expect(barrier.peak.withLock { $0 } == 3)
  }
}

/// Whether some thread is blocked sending to the transport's endpoint.
func threadsSending(to transport: L4ServerTransport, in kernel: L4Kernel) -> Bool {
  transport.pendingSenders > 0
}
