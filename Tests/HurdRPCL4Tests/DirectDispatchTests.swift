import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

func currentOSThread() -> UInt { UInt(bitPattern: Int(bitPattern: UInt(pthread_self()))) }

/// The serve loop and direct dispatch ("migrating thread"): same observable semantics as the
/// threaded hand-off.
@Suite("L4 serve loop and direct dispatch")
struct DirectDispatchTests {
  struct HandlerRun: Sendable, Equatable {
    var osThread: UInt
    var sender: L4ThreadID
    var server: L4ThreadID
    var label: UInt64
  }

  /// An echo server: reply label = request label + 100, word = request word + 1.
  static func echo(_ runs: Log<HandlerRun>) -> L4RequestHandler {
    { request in
      runs.append(HandlerRun(osThread: currentOSThread(), sender: request.sender, server: request.server.id, label: request.tag.label))
      request.registers.load(label: request.tag.label + 100, untyped: [request.registers[1] + 1])
      return .reply
    }
  }

  func runCall(_ kernel: L4Kernel, in space: L4AddressSpace, to server: L4Thread, label: UInt64, word: L4Word)
    -> (client: L4Thread, osThread: UInt?, reply: [L4Word]?)
  {
    let osThread = Slot<UInt>()
    let reply = Slot<[L4Word]>()
    let client = kernel.spawn(in: space) { ctx in
      osThread.set(currentOSThread())
      ctx.mr.load(label: label, untyped: [word])
      if let r = try? ctx.call(server.id) { reply.set([r.from.raw, r.tag.label, ctx.mr[1]]) }
    }
    client.join()
    return (client, osThread.value, reply.value)
  }

  @Test func threadedServeRunsTheHandlerOnTheServerThread() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let runs = Log<HandlerRun>()
    let serverOS = Slot<UInt>()
    let server = kernel.spawn(in: space) { ctx in
      serverOS.set(currentOSThread())
      ctx.serve(.threaded, handler: DirectDispatchTests.echo(runs))
    }
    #expect(waitUntil(server, is: .receiving))
    let call = runCall(kernel, in: space, to: server, label: 1, word: 41)
    server.stopServing()
    server.join()
    #expect(call.reply == [server.id.raw, 101, 42])
    #expect(runs.values == [HandlerRun(osThread: serverOS.value!, sender: call.client.id, server: server.id, label: 1)])
  }

  @Test func directDispatchRunsTheHandlerOnTheCallersThread() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let runs = Log<HandlerRun>()
    let server = kernel.spawn(in: space) { ctx in ctx.serve(.direct, handler: DirectDispatchTests.echo(runs)) }
    #expect(waitUntil(server, is: .receiving))
    let call = runCall(kernel, in: space, to: server, label: 1, word: 41)
    #expect(server.ipcActivity == .receiving)  // back in open wait, never woken
    server.stopServing()
    server.join()
    // Same reply, same ids as the threaded mode; only the OS thread differs.
    #expect(call.reply == [server.id.raw, 101, 42])
    #expect(runs.values == [HandlerRun(osThread: call.osThread!, sender: call.client.id, server: server.id, label: 1)])
  }

  @Test func directDispatchFallsBackToTheServerThreadWhenBusy() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let runs = Log<HandlerRun>()
    let secondClient = Slot<L4Thread>()
    let serverOS = Slot<UInt>()
    let server = kernel.spawn(in: space) { ctx in
      serverOS.set(currentOSThread())
      let echo = DirectDispatchTests.echo(runs)
      ctx.serve(.direct) { request in
        if request.tag.label == 1 {
          // Hold the server until the second caller has queued behind us.
          waitUntil { secondClient.value.map { $0.ipcActivity == .sending } ?? false }
        }
        return echo(request)
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let firstReply = Slot<[L4Word]>()
    let first = kernel.spawn(in: space) { ctx in
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
    #expect(firstReply.value == [101, 2])
    #expect(secondReply.value == [102, 3])
    #expect(runs.values.map(\.label) == [1, 2])  // arrival order kept
    #expect(runs.values.last?.osThread == serverOS.value)  // queued call served by the server thread
  }

  @Test func directDispatchKeepsTheReceiveTimeout() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let handled = Slot<Bool>()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.direct) { request in
        usleep(5_000)  // slower than the caller is willing to wait
        handled.set(true)
        request.registers.load(label: 1)
        return .reply
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let error = Slot<L4ErrorCode>()
    kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      let timeouts = L4Timeouts(send: .never, receive: .microseconds(1_000))
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id, timeouts: timeouts) }) { error.set(e) }
    }.join()
    server.stopServing()
    server.join()
    #expect(handled.value == true)  // delivered and handled, as with a server thread…
    #expect(error.value == L4ErrorCode(.timeout, phase: .receive))  // …but the reply came too late
  }

  @Test func directDispatchAbortIsCancelledAndVisibleToTheHandler() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let started = Slot<Bool>()
    let sawCallerLeave = Slot<Bool>()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.direct) { request in
        started.set(true)
        sawCallerLeave.set(waitUntil { !request.isCallerWaiting })
        request.registers.load(label: 1)
        return .reply
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let error = Slot<L4ErrorCode>()
    let client = kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id) }) { error.set(e) }
    }
    #expect(waitUntil { started.value == true })
    #expect(client.abortIPC())
    client.join()
    server.stopServing()
    server.join()
    #expect(sawCallerLeave.value == true)
    #expect(error.value == L4ErrorCode(.cancelled, phase: .receive))
  }

  @Test func threadedHandlerSeesAnAbortedCallerLeave() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let started = Slot<Bool>()
    let sawCallerLeave = Slot<Bool>()
    let server = kernel.spawn(in: space) { ctx in
      ctx.serve(.threaded) { request in
        started.set(true)
        sawCallerLeave.set(waitUntil { !request.isCallerWaiting })
        request.registers.load(label: 1)
        return .reply  // fails (zero timeout, nobody waiting) and is dropped
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let error = Slot<L4ErrorCode>()
    let client = kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id) }) { error.set(e) }
    }
    #expect(waitUntil { started.value == true })
    #expect(client.abortIPC())
    client.join()
    #expect(waitUntil(server, is: .receiving))  // the loop survived the failed reply
    server.stopServing()
    server.join()
    #expect(sawCallerLeave.value == true)
    #expect(error.value == L4ErrorCode(.cancelled, phase: .receive))
  }

  @Test func noReplyLeavesTheCallerWaitingInBothModes() {
    for mode in [L4DispatchMode.threaded, .direct] {
      let kernel = L4Kernel()
      let space = kernel.createSpace()
      let server = kernel.spawn(in: space) { ctx in ctx.serve(mode) { _ in .noReply } }
      #expect(waitUntil(server, is: .receiving))
      let error = Slot<L4ErrorCode>()
      kernel.spawn(in: space) { ctx in
        ctx.mr.load(label: 1)
        let timeouts = L4Timeouts(send: .never, receive: twoMilliseconds)
        if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id, timeouts: timeouts) }) { error.set(e) }
      }.join()
      server.stopServing()
      server.join()
      #expect(error.value == L4ErrorCode(.timeout, phase: .receive), "mode \(mode)")
    }
  }

  @Test func directDispatchKeepsNonExistingPartner() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let server = kernel.spawn(in: space) { ctx in ctx.serve(.direct) { _ in .reply } }
    #expect(waitUntil(server, is: .receiving))
    let stale = L4ThreadID(number: server.id.number, version: server.id.version &+ 64)
    let error = Slot<L4ErrorCode>()
    kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(stale) }) { error.set(e) }
    }.join()
    server.stopServing()
    server.join()
    #expect(error.value == L4ErrorCode(.nonExistingPartner, phase: .send))
  }

  @Test func handlerStopEndsTheServeLoopInBothModes() {
    for mode in [L4DispatchMode.threaded, .direct] {
      let kernel = L4Kernel()
      let space = kernel.createSpace()
      let returned = Slot<Bool>()
      let server = kernel.spawn(in: space) { ctx in
        ctx.serve(mode) { request in request.tag.label == 99 ? .stop : .reply }
        returned.set(true)
      }
      #expect(waitUntil(server, is: .receiving))
      kernel.spawn(in: space) { ctx in
        ctx.mr.load(label: 99)
        try? ctx.send(to: server.id)
      }.join()
      server.join()
      #expect(returned.value == true, "mode \(mode)")
    }
  }

  @Test func manyCallsUnderBothModesReachTheRightCaller() {
    for mode in [L4DispatchMode.threaded, .direct] {
      let kernel = L4Kernel()
      let space = kernel.createSpace()
      let server = kernel.spawn(in: space) { ctx in
        ctx.serve(mode) { request in
          request.registers.load(label: request.tag.label, untyped: [request.registers[1], request.sender.raw])
          return .reply
        }
      }
      #expect(waitUntil(server, is: .receiving))
      let wrong = Log<Int>()
      let clients = (0..<3).map { n in
        kernel.spawn(in: space) { ctx in
          for i in 0..<2_000 {
            ctx.mr.load(label: UInt64(n), untyped: [L4Word(i)])
            guard let r = try? ctx.call(server.id), r.tag.label == UInt64(n), ctx.mr[1] == L4Word(i), ctx.mr[2] == ctx.id.raw
            else {
              wrong.append(i)
              continue
            }
          }
        }
      }
      for c in clients { c.join() }
      server.stopServing()
      server.join()
      #expect(wrong.values.isEmpty, "mode \(mode)")
    }
  }
}
