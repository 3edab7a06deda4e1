import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

extension CapabilityLayerTests {
/// Swift task cancellation of `async` calls through the capability layer (L4 transport +
/// bucket): cancelling the calling task is the client cancelling its own call
/// (docs/capabilities.md §4). Everything that blocks runs on `BlockingExecutor` threads, and
/// every wait has a deadline.
@Suite("Capability lifecycle: Swift task cancellation")
struct TaskCancellationTests {
  @Test func cancellingTheCallingTaskAfterDeliveryGivesAbortedAndTheHandlerSeesIt() async throws {
    let world = await BlockingExecutor.shared.run { CapWorld() }.get()
    let (client, _, name) = try world.holder()
    let rpc = try world.client(name, in: client)
    let request = Message(label: CounterDemux.waitForCancel)
    let call = inTask(rpc, request)
    // The handler runs (and blocks until it sees a cancel): the request was delivered.
    #expect(await started(world))
    call.cancel()
    let error = await call.value
    #expect(error?.code == .aborted)
    // The handler returns only once it observed the cancellation; then the call leaves the bucket.
    #expect(await eventually { world.bucket.callsInFlight == 0 })
    #expect(world.log.all == ["counter:\(CounterDemux.waitForCancel)"])
    _ = await BlockingExecutor.shared.run { world.stop() }
  }

  @Test func cancellingTheCallingTaskBeforeDeliveryGivesCancelledAndNoHandlerRuns() async throws {
    // One worker, busy with Xavier's call; the manager holds Yann's request while it waits for
    // a worker, so it receives nothing more: Zoe's request stays in its send phase.
    let world = await BlockingExecutor.shared.run { CapWorld(workers: 1) }.get()
    let (xavier, _, xavierName) = try world.holder("x")
    let (yann, _, yannName) = try world.holder("y")
    let (zoe, _, zoeName) = try world.holder("z")
    let (xavierCancel, options) = cancellable()
    var xavierOptions = options
    xavierOptions.timeout = .seconds(60)
    let busy = Background { [xavierOptions] in
      caught { () throws(RPCError) in
        try world.call(xavierName, in: xavier, CounterDemux.waitForCancel, options: xavierOptions)
      }
    }
    #expect(await started(world))
    let manager = world.kernel.thread(world.transport.endpoint)
    #expect(await eventually { manager?.ipcActivity == .receiving })
    let held = Background {
      caught { () throws(RPCError) in try world.call(yannName, in: yann, CounterDemux.add, [1], options: .timeout(.seconds(60))) }
    }
    #expect(await eventually { manager?.ipcActivity != .receiving })
    let zoeThread = Locked<L4Thread?>(nil)
    let rpc = RPCClient(
      transport: try world.system.client(for: zoeName, in: UInt64(zoe.number)) { [system = world.system] address in
        ThreadReportingTransport(
          base: L4ClientTransport(space: zoe, server: L4ThreadID(raw: address), capabilities: system), thread: zoeThread)
      })
    let request = try Message(label: CounterDemux.add, words: [1])
    let call = inTask(rpc, request)
    #expect(await eventually { zoeThread.withLock { $0 }?.ipcActivity == .sending })
    call.cancel()
    let error = await call.value
    #expect(error?.code == .cancelled)
    #expect(error?.phase == .send)
    // Free the worker: Xavier's call ends, Yann's runs; Zoe's never reached a handler.
    xavierCancel.cancel()
    #expect(await BlockingExecutor.shared.run { busy.finishes(within: 60_000) && held.finishes(within: 60_000) }.get())
    #expect(busy.wait()?.code == .aborted)
    #expect(held.wait() == nil)
    #expect(world.log.all == ["x:\(CounterDemux.waitForCancel)", "y:\(CounterDemux.add)"])
    _ = await BlockingExecutor.shared.run { world.stop() }
  }

  @Test func cancellingTheCallingTaskWhileTheCapabilityIsInhibitedAbortsWithoutAHandler() async throws {
    let world = await BlockingExecutor.shared.run { CapWorld(workers: 2) }.get()
    let (client, _, name) = try world.holder()
    world.bucket.inhibit(.bucket)
    let rpc = try world.client(name, in: client)
    let request = try Message(label: CounterDemux.add, words: [1])
    let call = inTask(rpc, request)
    // The request reached the bucket (delivered) and waits there for the inhibition to end.
    #expect(await eventually { world.bucket.callsInFlight == 1 })
    call.cancel()
    let error = await call.value
    #expect(error?.code == .aborted)
    #expect(await eventually { world.bucket.callsInFlight == 0 })
    world.bucket.resume(.bucket)
    #expect(world.log.all.isEmpty)
    _ = await BlockingExecutor.shared.run { world.stop() }
  }

  /// Starts `request` as an `async` call in its own task (deadline a minute); the task's value is
  /// the call's error, if any.
  private func inTask<Transport: ClientTransport>(_ rpc: RPCClient<Transport>, _ request: Message)
    -> Task<RPCError?, Never>
  {
    Task {
      do throws(RPCError) {
        _ = try await rpc.call(request, options: .timeout(.seconds(60)))
        return nil
      } catch {
        return error
      }
    }
  }

  /// Whether a handler of `world` signalled that it started, within a minute (waits on an
  /// executor thread, not on the cooperative pool).
  private func started(_ world: CapWorld) async -> Bool {
    await BlockingExecutor.shared.run { world.log.started.wait(timeout: .now() + .seconds(60)) == .success }.get()
  }

  /// Polls `condition` (without blocking a cooperative thread) until it holds or `seconds` pass.
  private func eventually(within seconds: Int = 60, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while !condition() {
      if ContinuousClock.now > deadline { return false }
      try? await Task.sleep(for: .milliseconds(1))
    }
    return true
  }
}
}

/// A client transport that records the L4 thread its calls run on (so a test can see a call
/// blocked in its send phase), then calls `base`.
struct ThreadReportingTransport: ClientTransport {
  let base: L4ClientTransport
  let thread: Locked<L4Thread?>

  func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    let current = base.kernel.currentThread(in: base.space).thread
    thread.withLock { $0 = current }
    return try base.call(request, options: options)
  }

  func send(_ message: Message, options: CallOptions) throws(RPCError) {
    try base.send(message, options: options)
  }
}
