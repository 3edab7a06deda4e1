import Dispatch
@_spi(Transport) import HurdRPC
import Testing

@Suite("Dispatcher, client and loopback transport")
struct LoopbackTests {
  let caller = CallerIdentity(domain: 7, badge: 1)

  func context(label: UInt64, expectsReply: Bool = true) -> CallContext {
    CallContext(caller: caller, requestLabel: label, expectsReply: expectsReply)
  }

  @Test func dispatcherTurnsErrorsIntoReplies() throws {
    let dispatcher = RequestDispatcher(TestService())
    let bad = try #require(dispatcher.respond(to: Message(label: 555), context: context(label: 555)))
    #expect(bad.label == 655 && bad.replyReturnCode == .migBadID)
    let short = try #require(dispatcher.respond(to: Message(label: TestService.add), context: context(label: 100)))
    #expect(short.replyReturnCode == .migBadArguments)
    var failing = Message(label: TestService.fail)
    try failing.append(UInt64(UInt32(bitPattern: ReturnCode.ENOSPC.rawValue)))
    #expect(dispatcher.respond(to: failing, context: context(label: 101))?.replyReturnCode == .ENOSPC)
    // One-way requests never get a reply, not even an error reply.
    #expect(dispatcher.respond(to: Message(label: 555), context: context(label: 555, expectsReply: false)) == nil)
    #expect(dispatcher.respond(to: Message(label: TestService.noReply), context: context(label: 104)) == nil)
  }

  @Test func replyBufferIsReusedAndFullyReset() throws {
    let dispatcher = RequestDispatcher(TestService())
    var reply = Message(label: 0)
    for round in 0..<3 as Range<UInt64> {
      #expect(dispatcher.respond(to: addRequest(round, 10), reply: &reply, context: context(label: 100)))
      #expect(reply.label == 200 && reply.words == [0, round + 10])
      // An error reply in the same buffer keeps nothing from the previous reply.
      #expect(dispatcher.respond(to: Message(label: 9), reply: &reply, context: context(label: 9)))
      #expect(reply.label == 109 && reply.words == [UInt64(UInt32(bitPattern: ReturnCode.migBadID.rawValue))])
    }
  }

  @Test func serverInterceptorsRunInOrderAndCanDeny() throws {
    let log = TestService.Log()
    let dispatcher = RequestDispatcher(
      TestService(log: log),
      interceptors: [RecordingServerInterceptor(name: "A", log: log), RecordingServerInterceptor(name: "B", log: log)])
    let reply = try #require(dispatcher.respond(to: addRequest(2, 3), context: context(label: 100)))
    #expect(reply[1] == 5)
    #expect(log.all == ["A in 100", "B in 100", "B out 200", "A out 200"])
    let denying = RequestDispatcher(TestService(log: log), interceptors: [DenyingServerInterceptor()])
    #expect(denying.respond(to: addRequest(2, 3), context: context(label: 100))?.replyReturnCode == .EACCES)
  }

  @Test func clientChecksRepliesAndRethrowsServerCodes() throws {
    let client = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService())))
    #expect(try client.call(addRequest(40, 2))[1] == 42)
    var failing = Message(label: TestService.fail)
    try failing.append(UInt64(UInt32(bitPattern: ReturnCode.EROFS.rawValue)))
    let error1 = caught { () throws(RPCError) in try client.call(failing) }
    #expect(error1 == RPCError(returnCode: .EROFS))
    let error2 = caught { () throws(RPCError) in try client.call(Message(label: 999)) }
    #expect(error2 == RPCError(returnCode: .migBadID))
    do {
      _ = try client.call(Message(label: 999))
    } catch {
      #expect(error.code == .badID)
    }
  }

  @Test func oneWaySendsReachTheServerWithoutReply() throws {
    let log = TestService.Log()
    let client = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService(log: log))))
    var note = Message(label: TestService.note)
    try note.append(17)
    try client.send(note)
    #expect(log.all == ["note 17 expectsReply=false"])
    let error3 = caught { () throws(RPCError) in try client.call(note) }
    #expect(error3 != nil)  // a call whose handler sends no reply
  }

  @Test func clientInterceptorsSeeAndRewriteCalls() throws {
    let log = TestService.Log()
    let client = RPCClient(
      transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService(log: log))),
      interceptors: [RecordingClientInterceptor(name: "outer", log: log), DoublingClientInterceptor()])
    #expect(try client.call(addRequest(10, 1))[1] == 21)
    var note = Message(label: TestService.note)
    try note.append(5)
    try client.send(note)
    let error4 = caught { () throws(RPCError) in try client.call(Message(label: 999)) }
    #expect(error4 != nil)
    #expect(log.all == [
      "outer call 100", "outer reply 200",
      "outer send 102", "note 5 expectsReply=false", "outer reply 0",
      "outer call 999", "outer reply 1099",
    ])
  }

  @Test func clientInterceptorCanFailACallWithoutSendingIt() throws {
    struct Deny: ClientInterceptor {
      func intercept(_ call: ClientCall, next: (ClientCall) throws(RPCError) -> Message?) throws(RPCError) -> Message? {
        throw RPCError(.unsupported, "blocked by policy")
      }
    }
    let log = TestService.Log()
    let client = RPCClient(
      transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService(log: log))), interceptors: [Deny()])
    var note = Message(label: TestService.note)
    try note.append(3)
    let error = caught { () throws(RPCError) in try client.send(note) }
    #expect(error == RPCError(.unsupported, "blocked by policy"))
    #expect(log.all.isEmpty)
  }

  @Test func cancelledBeforeSendNeverReachesTheServer() throws {
    let log = TestService.Log()
    let client = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService(log: log))))
    let handle = CallCancellation()
    handle.cancel()
    var note = Message(label: TestService.note)
    try note.append(1)
    let error5 = caught { () throws(RPCError) in
      try client.send(note, options: CallOptions(cancellation: handle))
    }
    #expect(error5 == RPCError(.cancelled, "call cancelled before it was sent", phase: .send))
    #expect(log.all.isEmpty)
  }

  @Test func expiredDeadlineTimesOutInTheSendPhase() throws {
    let client = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService())))
    let past = ContinuousClock.now.advanced(by: .seconds(-1))
    do {
      _ = try client.call(addRequest(1, 2), options: CallOptions(deadline: past))
      Issue.record("expected a timeout")
    } catch {
      #expect(error.code == .timeout && error.phase == .send)
    }
    #expect(try client.call(addRequest(1, 2), options: .timeout(.seconds(60)))[1] == 3)
  }

  @Test func asyncCallsRunOffThePoolAndMapErrors() async throws {
    let client = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService())))
    #expect(try await client.call(addRequest(5, 6))[1] == 11)
    let error6 = await caughtAsync { () async throws(RPCError) in try await client.call(Message(label: 3)) }
    #expect(error6 == RPCError(returnCode: .migBadID))
    let intercepted = RPCClient(
      transport: client.transport, interceptors: [DoublingClientInterceptor()])
    #expect(try await intercepted.call(addRequest(5, 6))[1] == 16)
  }

  @Test func taskCancellationReachesTheServer() async throws {
    let log = TestService.Log()
    let started = DispatchSemaphore(value: 0)
    let client = RPCClient(
      transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService(log: log, started: started))))
    let call = Task {
      await caughtAsync { () async throws(RPCError) in
        try await client.call(Message(label: TestService.waitForCancel))
      }
    }
    await BlockingExecutor.shared.run { () throws(Never) in started.wait() }.get()
    call.cancel()
    let error7 = await call.value
    #expect(error7 == RPCError(.cancelled, "call cancelled while waiting for the reply", phase: .receive))
    #expect(log.all == ["handler saw cancellation: true"])
  }

  @Test func alreadyCancelledTaskFailsUpFront() async {
    let log = TestService.Log()
    let client = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService(log: log))))
    let task = Task {
      await caughtAsync { () async throws(RPCError) in
        withUnsafeCurrentTask { $0?.cancel() }
        var note = Message(label: TestService.note)
        try note.append(1)
        try await client.send(note)
      }
    }
    let error8 = await task.value
    #expect(error8?.code == .cancelled && error8?.phase == .send)
    #expect(log.all.isEmpty)
  }

  @Test func cancellationHandlesRunHandlersOnce() {
    let handle = CallCancellation()
    let log = TestService.Log()
    let first = handle.onCancel { log.record("first") }
    let removed = handle.onCancel { log.record("removed") }
    if let removed { handle.remove(removed) }
    #expect(first != nil && !handle.isCancelled)
    handle.cancel()
    handle.cancel()
    #expect(handle.isCancelled)
    #expect(handle.onCancel { log.record("late") } == nil)
    let inside = handle.whileRegistered(onCancel: { log.record("scoped") }) { 5 }
    #expect(inside == 5)
    #expect(log.all == ["first", "late", "scoped"])
  }

  @Test func callerIdentityIsOpaqueButComparable() {
    let a = CallerIdentity(domain: 1, badge: 2)
    #expect(a == CallerIdentity(domain: 1, badge: 2))
    #expect(a != CallerIdentity(domain: 1, badge: 3))
    #expect(a.isSameDomain(as: CallerIdentity(domain: 1, badge: 3)))
  }
}
