import Dispatch
@_spi(Transport) import HurdRPC
@testable import HurdRPCL4
import Testing

/// Deterministic tests for races fixed earlier: the racing step is run on purpose, at the worst
/// moment, through the kernel's internal entry points.
@Suite("L4 regressions")
struct RegressionTests {
  /// A demultiplexer that runs `hook` before answering (a reply with one word: 7).
  struct HookDemux: Demultiplexer {
    let hook: @Sendable () -> Void
    func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
      hook()
      try reply.append(7)
    }
  }

  /// A cancellation handler of an earlier call that runs late (after that call ended, while the
  /// same thread is in its next call, and again between calls) aborts nothing.
  @Test(arguments: [L4DispatchMode.threaded, .direct])
  func aLateCancelDoesNotAbortTheThreadsNextCall(mode: L4DispatchMode) {
    let kernel = L4Kernel()
    let clientSpace = kernel.createSpace()
    let earlier = CallCancellation()
    let clientThread = Slot<L4Thread>()  // set once the earlier call is over
    let lateCancel: @Sendable () -> Void = {
      // What the earlier call's `onCancel` action does, run now.
      if let thread = clientThread.value { kernel.cancelCall(thread, armedWith: earlier) }
    }
    let server = L4ServerTransport(space: kernel.createSpace(), mode: mode)
    let done = DispatchSemaphore(value: 0)
    let dispatcher = RequestDispatcher(HookDemux(hook: lateCancel))
    Thread.detach {
      try? server.serve(dispatcher)
      done.signal()
    }
    #expect(waitUntil { kernel.thread(server.endpoint)?.ipcActivity == .receiving })
    let client = RPCClient(transport: L4ClientTransport(space: clientSpace, server: server))
    var request = Message(label: 1)
    try? request.append(1)

    // The earlier call, with its own handle; it ends normally.
    #expect(rpcError { () throws(RPCError) in _ = try client.call(request, options: CallOptions(cancellation: earlier)) } == nil)
    clientThread.set(kernel.currentThread(in: clientSpace).thread)
    // The next calls (with and without a handle) each run the late cancel inside the handler.
    #expect(rpcError { () throws(RPCError) in _ = try client.call(request, options: CallOptions(cancellation: CallCancellation())) } == nil)
    #expect(rpcError { () throws(RPCError) in _ = try client.call(request) } == nil)
    // Late cancel between calls: nothing is left pending for the call after it.
    lateCancel()
    #expect(rpcError { () throws(RPCError) in _ = try client.call(request, options: CallOptions(cancellation: CallCancellation())) } == nil)
    server.shutdown()
    done.wait()
  }

  /// A worker whose open wait fails (here: aborted) goes back to waiting listed once, however
  /// often that happens.
  @Test func aWorkerIsListedIdleOnceAfterFailedWaits() {
    let kernel = L4Kernel()
    let running = RunningServer(kernel, workers: 1)
    #expect(waitUntil { running.transport.idleWorkers == 1 })
    let workers = running.transport.workerThreads
    #expect(workers.count == 1)
    guard let worker = workers.first else { return }
    for _ in 0..<5 {
      #expect(waitUntil(worker, is: .receiving))
      #expect(worker.abortIPC())  // its wait fails with `cancelled`; the loop waits again
      #expect(waitUntil(worker, is: .receiving))
      #expect(running.transport.idleWorkers == 1)
    }
    // And the worker still serves.
    let client = RPCClient(transport: L4ClientTransport(space: kernel.createSpace(), server: running.transport))
    var request = Message(label: EchoService.add)
    try? request.append(2)
    try? request.append(3)
    #expect((try? client.call(request))?[1] == 5)
    running.finish()
  }

  /// A sender queued with a closed receive phase from a third thread, which is deleted before
  /// the send completes, fails "non-existing partner" in the receive phase (and is not left
  /// waiting for a thread that no longer exists).
  @Test func aReceivePartnerDeletedDuringTheSendPhaseIsNonExisting() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let receiver = kernel.createThread(in: space, name: "receiver")
    let partner = kernel.createThread(in: space, name: "partner")
    let result = Slot<L4ErrorCode?>()
    let (receiverID, partnerID) = (receiver.id, partner.id)
    let sender = kernel.spawn(in: space, name: "sender") { ctx in
      ctx.mr.tag = L4MessageTag(label: 1)
      result.set(ipcError { () throws(L4ErrorCode) in _ = try ctx.ipc(to: receiverID, from: partnerID, timeouts: .never) })
    }
    #expect(waitUntil(sender, is: .sending))
    partner.run { _ in }  // deleted
    receiver.run { ctx in _ = try? ctx.wait() }
    sender.join()
    #expect(result.value == L4ErrorCode(.nonExistingPartner, phase: .receive))
  }

  /// Deleted threads free their local index for the next thread of the space.
  @Test func localIndicesOfDeletedThreadsAreReused() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let first = kernel.createThread(in: space)
    let firstLocal = first.localID
    first.run { _ in }
    let second = kernel.createThread(in: space)
    #expect(second.localID == firstLocal)
    #expect(second.id != first.id)  // the global ID is new (version)
    let third = kernel.createThread(in: space)
    #expect(third.localID != firstLocal)
  }
}
