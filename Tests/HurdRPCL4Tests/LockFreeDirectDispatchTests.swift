import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Direct dispatch after the first call: a caller that reached a server by direct dispatch
/// claims it the next time without the kernel lock (docs/l4-backend.md §4). Every rule of the
/// locked path must hold there too, so each test makes one warm-up call first and checks the
/// rule on the second call.
@Suite("L4 lock-free direct dispatch")
struct LockFreeDirectDispatchTests {
  /// Label of the warm-up call; every handler here answers it at once.
  static let warmUp: UInt64 = 7

  /// Calls `server` once with the warm-up label; true when the echo came back.
  static func warmUpCall(_ ctx: L4ThreadContext, _ server: L4ThreadID) -> Bool {
    ctx.mr.load(label: warmUp, untyped: [1])
    guard let reply = try? ctx.call(server) else { return false }
    return reply.tag.label == warmUp + 100 && ctx.mr[1] == 2
  }

  /// From a new thread in `space`: one warm-up call, then a call with label 1 and the given
  /// receive timeout. Returns whether the warm-up succeeded and the second call's error.
  static func timedCallAfterWarmUp(
    _ kernel: L4Kernel, in space: L4AddressSpace, to server: L4Thread, receiveMicroseconds: UInt64
  ) -> (warmed: Bool?, error: L4ErrorCode?) {
    let warmed = Slot<Bool>()
    let error = Slot<L4ErrorCode>()
    kernel.spawn(in: space) { ctx in
      warmed.set(warmUpCall(ctx, server.id))
      ctx.mr.load(label: 1)
      let timeouts = L4Timeouts(send: .never, receive: .microseconds(receiveMicroseconds))
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id, timeouts: timeouts) }) { error.set(e) }
    }.join()
    return (warmed.value, error.value)
  }

  static func echoWarmUp(_ request: L4Request) -> L4ServeAction {
    request.registers.load(label: request.tag.label + 100, untyped: [request.registers[1] + 1])
    return .reply
  }

  @Test func secondCallRunsOnTheCallersThreadWithTheSameIDs() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let runs = Log<(UInt, L4ThreadID)>()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.direct) { request in
        runs.append((currentOSThread(), request.sender))
        return LockFreeDirectDispatchTests.echoWarmUp(request)
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let replies = Log<[L4Word]>()
    let osThread = Slot<UInt>()
    let client = kernel.spawn(in: kernel.createSpace()) { ctx in
      osThread.set(currentOSThread())
      for word in [L4Word(10), 20, 30] {
        ctx.mr.load(label: 1, untyped: [word])
        if let r = try? ctx.call(server.id) { replies.append([r.from.raw, r.tag.label, r.tag.untypedWords == 1 ? ctx.mr[1] : 0]) }
      }
    }
    client.join()
    #expect(server.ipcActivity == .receiving)  // never woken
    server.stopServing()
    server.join()
    #expect(replies.values == [[server.id.raw, 101, 11], [server.id.raw, 101, 21], [server.id.raw, 101, 31]])
    #expect(runs.values.map(\.0) == Array(repeating: osThread.value!, count: 3))
    #expect(runs.values.map(\.1) == Array(repeating: client.id, count: 3))
  }

  @Test func receiveTimeoutStillApplies() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let handled = Slot<Bool>()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.direct) { request in
        if request.tag.label == LockFreeDirectDispatchTests.warmUp { return LockFreeDirectDispatchTests.echoWarmUp(request) }
        usleep(5_000)  // slower than the caller is willing to wait
        handled.set(true)
        request.registers.load(label: 1)
        return .reply
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let (warmed, error) = Self.timedCallAfterWarmUp(kernel, in: space, to: server, receiveMicroseconds: 1_000)
    #expect(waitUntil(server, is: .receiving))  // handed back to its open wait
    server.stopServing()
    server.join()
    #expect(warmed == true)
    #expect(handled.value == true)
    #expect(error == L4ErrorCode(.timeout, phase: .receive))
  }

  @Test func abortDuringTheHandlerIsCancelledAndVisibleToIt() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let started = Slot<Bool>()
    let sawCallerWaiting = Slot<Bool>()
    let sawCallerLeave = Slot<Bool>()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.direct) { request in
        if request.tag.label == LockFreeDirectDispatchTests.warmUp { return LockFreeDirectDispatchTests.echoWarmUp(request) }
        sawCallerWaiting.set(request.isCallerWaiting)
        started.set(true)
        sawCallerLeave.set(waitUntil { !request.isCallerWaiting })
        request.registers.load(label: 1)
        return .reply
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let warmed = Slot<Bool>()
    let error = Slot<L4ErrorCode>()
    let client = kernel.spawn(in: space) { ctx in
      warmed.set(Self.warmUpCall(ctx, server.id))
      ctx.mr.load(label: 1)
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id) }) { error.set(e) }
    }
    #expect(waitUntil { started.value == true })
    #expect(server.ipcActivity == .lentToCaller)
    #expect(client.abortIPC())
    client.join()
    #expect(waitUntil(server, is: .receiving))
    server.stopServing()
    server.join()
    #expect(warmed.value == true)
    #expect(sawCallerWaiting.value == true)
    #expect(sawCallerLeave.value == true)
    #expect(error.value == L4ErrorCode(.cancelled, phase: .receive))
  }

  @Test func aCallerArrivingMeanwhileIsServedByTheServerThreadAfterwards() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let secondClient = Slot<L4Thread>()
    let labels = Log<(UInt64, UInt)>()
    let serverOS = Slot<UInt>()
    let server = kernel.spawn(in: space) { ctx in
      serverOS.set(currentOSThread())
      ctx.serve(.direct) { request in
        if request.tag.label == LockFreeDirectDispatchTests.warmUp { return LockFreeDirectDispatchTests.echoWarmUp(request) }
        if request.tag.label == 1 {
          // Hold the server until the second caller has queued behind us.
          waitUntil { secondClient.value.map { $0.ipcActivity == .sending } ?? false }
        }
        labels.append((request.tag.label, currentOSThread()))
        return LockFreeDirectDispatchTests.echoWarmUp(request)
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let firstReply = Slot<[L4Word]>()
    let warmed = Slot<Bool>()
    let first = kernel.spawn(in: space) { ctx in
      warmed.set(Self.warmUpCall(ctx, server.id))
      ctx.mr.load(label: 1, untyped: [1])
      if let r = try? ctx.call(server.id) { firstReply.set([r.tag.label, ctx.mr[1]]) }
    }
    #expect(waitUntil(server, is: .lentToCaller))
    let secondReply = Slot<[L4Word]>()
    let second = kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 2, untyped: [2])
      if let r = try? ctx.call(server.id) { secondReply.set([r.tag.label, ctx.mr[1]]) }
    }
    secondClient.set(second)
    first.join()
    second.join()
    server.stopServing()
    server.join()
    #expect(warmed.value == true)
    #expect(firstReply.value == [101, 2])
    #expect(secondReply.value == [102, 3])
    #expect(labels.values.map(\.0) == [1, 2])  // arrival order kept
    #expect(labels.values.last?.1 == serverOS.value)  // the queued call ran on the server thread
  }

  @Test func stopRequestedDuringTheHandlerEndsTheLoopAfterTheReply() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let started = Slot<Bool>()
    let release = Slot<Bool>()
    let returned = Slot<Bool>()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.direct) { request in
        if request.tag.label == LockFreeDirectDispatchTests.warmUp { return LockFreeDirectDispatchTests.echoWarmUp(request) }
        started.set(true)
        waitUntil { release.value == true }
        return LockFreeDirectDispatchTests.echoWarmUp(request)
      }
      returned.set(true)
    }
    #expect(waitUntil(server, is: .receiving))
    let reply = Slot<[L4Word]>()
    let client = kernel.spawn(in: space) { ctx in
      _ = Self.warmUpCall(ctx, server.id)
      ctx.mr.load(label: 1, untyped: [5])
      if let r = try? ctx.call(server.id) { reply.set([r.tag.label, ctx.mr[1]]) }
    }
    #expect(waitUntil { started.value == true })
    server.stopServing()
    #expect(returned.value == nil)  // not while the caller still runs its handler
    release.set(true)
    client.join()
    server.join()
    #expect(returned.value == true)
    #expect(reply.value == [101, 6])
  }

  /// ThreadControl deleting a server whose handler a caller is running lock-free: the deletion
  /// must not wake the server's own thread while it is lent (its serve loop would return and drop
  /// the handler the caller is still running); the hand-back does, after the reply.
  @Test func deletingTheServerDuringTheHandlerEndsTheLoopAfterTheReply() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let started = Slot<Bool>()
    let release = Slot<Bool>()
    let finished = Slot<Bool>()
    let returnedBeforeTheHandlerFinished = Slot<Bool>()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.direct) { request in
        if request.tag.label == LockFreeDirectDispatchTests.warmUp { return LockFreeDirectDispatchTests.echoWarmUp(request) }
        started.set(true)
        waitUntil { release.value == true }
        finished.set(true)
        return LockFreeDirectDispatchTests.echoWarmUp(request)
      }
      returnedBeforeTheHandlerFinished.set(finished.value != true)
    }
    #expect(waitUntil(server, is: .receiving))
    let reply = Slot<[L4Word]>()
    let next = Slot<L4ErrorCode>()
    let client = kernel.spawn(in: kernel.createSpace()) { ctx in
      _ = Self.warmUpCall(ctx, server.id)
      ctx.mr.load(label: 1, untyped: [5])
      if let r = try? ctx.call(server.id) { reply.set([r.tag.label, ctx.mr[1]]) }
      ctx.mr.load(label: 1, untyped: [5])
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id) }) { next.set(e) }
    }
    #expect(waitUntil { started.value == true })
    kernel.deleteThread(server)
    // Give a wrongly woken serve loop time to return while the handler still runs.
    usleep(20_000)
    release.set(true)
    client.join()
    server.join()
    #expect(returnedBeforeTheHandlerFinished.value == false)
    #expect(reply.value == [101, 6])  // the call was being handled: it completes
    #expect(next.value == L4ErrorCode(.nonExistingPartner, phase: .send))
  }

  /// Deleting the caller while it runs the server's handler ends its call `cancelled`, on the
  /// locked first call (`.dispatching`) and on the lock-free second one alike; the handler sees
  /// the caller leave and the server serves on.
  @Test(arguments: [false, true])
  func deletingTheCallerDuringTheHandlerCancelsItsCall(lockFree: Bool) {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let started = Slot<Bool>()
    let sawCallerLeave = Slot<Bool>()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.direct) { request in
        if request.tag.label == LockFreeDirectDispatchTests.warmUp { return LockFreeDirectDispatchTests.echoWarmUp(request) }
        started.set(true)
        sawCallerLeave.set(waitUntil { !request.isCallerWaiting })
        request.registers.load(label: 1)
        return .reply
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let error = Slot<L4ErrorCode>()
    let client = kernel.spawn(in: kernel.createSpace()) { ctx in
      if lockFree { _ = Self.warmUpCall(ctx, server.id) }
      ctx.mr.load(label: 1)
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id) }) { error.set(e) }
    }
    #expect(waitUntil { started.value == true })
    kernel.deleteThread(client)
    client.join()
    #expect(sawCallerLeave.value == true)
    #expect(error.value == L4ErrorCode(.cancelled, phase: .receive))
    #expect(waitUntil(server, is: .receiving))  // still serving
    server.stopServing()
    server.join()
  }

  @Test func noReplyLeavesTheCallerWaitingUntilItsTimeout() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.direct) { request in
        request.tag.label == LockFreeDirectDispatchTests.warmUp ? LockFreeDirectDispatchTests.echoWarmUp(request) : .noReply
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let (warmed, error) = Self.timedCallAfterWarmUp(kernel, in: space, to: server, receiveMicroseconds: 2_000)
    server.stopServing()
    server.join()
    #expect(warmed == true)
    #expect(error == L4ErrorCode(.timeout, phase: .receive))
  }

  @Test func aDeletedServersIDIsStaleOnTheNextCall() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let server = kernel.spawn(in: space) { ctx in ctx.serve(.direct, handler: LockFreeDirectDispatchTests.echoWarmUp) }
    #expect(waitUntil(server, is: .receiving))
    let warmed = Slot<Bool>()
    let proceed = Slot<Bool>()
    let error = Slot<L4ErrorCode>()
    let client = kernel.spawn(in: space) { ctx in
      warmed.set(Self.warmUpCall(ctx, server.id))
      waitUntil { proceed.value == true }
      ctx.mr.load(label: 1, untyped: [1])
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id) }) { error.set(e) }
    }
    #expect(waitUntil { warmed.value != nil })
    server.stopServing()
    server.join()  // the thread is deleted when its body returns
    proceed.set(true)
    client.join()
    #expect(warmed.value == true)
    #expect(error.value == L4ErrorCode(.nonExistingPartner, phase: .send))
  }

  @Test func typedReplyFromTheLockFreePathIsTransferred() throws {
    let kernel = L4Kernel()
    let serverSpace = kernel.createSpace()
    let clientSpace = kernel.createSpace()
    let text = Array("lock-free".utf8)
    let source = try serverSpace.allocate(size: pageSize)
    try serverSpace.write(text, at: source)
    let buffer = try clientSpace.allocate(size: pageSize)
    let server = kernel.spawn(in: serverSpace) { ctx in
      ctx.serve(.direct) { request in
        if request.tag.label == LockFreeDirectDispatchTests.warmUp { return LockFreeDirectDispatchTests.echoWarmUp(request) }
        request.registers.load(label: 2, items: [.string(L4StringItem(address: source, length: UInt64(text.count)))])
        return .reply
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let warmed = Slot<Bool>()
    let replyTag = Slot<L4MessageTag>()
    kernel.spawn(in: clientSpace) { ctx in
      warmed.set(Self.warmUpCall(ctx, server.id))
      ctx.br.accept(stringBuffers: [L4StringItem(address: buffer, length: pageSize)])
      ctx.mr.load(label: 1)
      if let reply = try? ctx.call(server.id) { replyTag.set(reply.tag) }
    }.join()
    server.stopServing()
    server.join()
    #expect(warmed.value == true)
    #expect(replyTag.value?.label == 2)
    #expect(try clientSpace.read(at: buffer, count: text.count) == text)
  }
}
