import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension CapabilityLayerTests {
/// Per-client limits and bounded work (docs/capabilities.md §6).
@Suite("Capability DoS discipline")
struct DenialOfServiceTests {
  @Test func aClientOverItsInFlightLimitGetsBusyWithoutAHandler() throws {
    let world = CapWorld(workers: 3, limits: CapLimits(callsPerClient: 1))
    defer { world.stop() }
    let (alice, _, name) = try world.holder()
    let (handle, options) = cancellable()
    let first = Background { [options] in
      caught { () throws(RPCError) in try world.call(name, in: alice, CounterDemux.waitForCancel, options: options) }
    }
    world.log.started.wait()
    #expect(
      caught { () throws(RPCError) in try world.call(name, in: alice, CounterDemux.add, [1]) }?.code == .returnCode(.EBUSY))
    #expect(!world.log.all.contains("counter:1"))
    handle.cancel()
    _ = first.wait()
  }

  /// Alice occupies her limit and floods; Bob's call still gets through promptly.
  @Test func aFloodingClientDoesNotDelayAnotherClientBeyondABound() throws {
    let world = CapWorld(workers: 3, limits: CapLimits(callsPerClient: 2))
    defer { world.stop() }
    let (_, alice, aliceName, bob, bobName) = try world.aliceAndBob()
    let handles = [CallCancellation(), CallCancellation()]
    let blockers = handles.map { handle in
      Background {
        var options = CallOptions.default
        options.cancellation = handle
        return caught { () throws(RPCError) in
          try world.call(aliceName, in: alice, CounterDemux.waitForCancel, options: options)
        }
      }
    }
    world.log.started.wait()
    world.log.started.wait()
    let flood = (0..<8).map { _ in
      Background {
        (0..<25).map { _ in caught { () throws(RPCError) in try world.call(aliceName, in: alice, CounterDemux.add, [1]) } }
      }
    }
    let start = ContinuousClock.now
    #expect(try world.call(bobName, in: bob, CounterDemux.add, [0]) == [0])
    #expect(ContinuousClock.now - start < .seconds(2))
    for errors in flood.map({ $0.wait() }) {
      #expect(errors.allSatisfy { $0?.code == .returnCode(.EBUSY) })
    }
    for handle in handles { handle.cancel() }
    for blocker in blockers { _ = blocker.wait() }
  }

  /// A request carrying a string cannot be propagated to a worker: the manager hands it over
  /// decoded, so a slow handler of it occupies a worker, never the manager.
  @Test func aSlowHandlerOfAStringRequestDoesNotDelayAnotherClientBeyondABound() throws {
    let world = CapWorld(workers: 2)
    defer { world.stop() }
    let (_, alice, aliceName, bob, bobName) = try world.aliceAndBob()
    let payload = [UInt8](repeating: 7, count: 10_000)
    let (handle, options) = cancellable()
    defer { handle.cancel() }  // also when an expectation below throws: frees the handler
    let slow = Background { [options] in
      caught { () throws(RPCError) in
        try world.call(aliceName, in: alice, CounterDemux.slowString, items: [.string(StringItem(payload))], options: options)
      }
    }
    world.log.started.wait()
    #expect(world.log.all.contains("string:10000"))
    // Bob's calls, register-only and string-carrying, get through while Alice's handler blocks.
    var bounded = CallOptions.default
    bounded.timeout = .seconds(2)  // the bound: a manager stuck in Alice's handler fails it
    let start = ContinuousClock.now
    #expect(try world.call(bobName, in: bob, CounterDemux.add, [5], options: bounded) == [5])
    let echoed = try world.callForReply(
      bobName, in: bob, CounterDemux.echoString, items: [.string(StringItem([1, 2, 3]))], options: bounded)
    #expect(ContinuousClock.now - start < .seconds(2))
    guard case .string(let string)? = echoed.items.first else {
      Issue.record("the reply lost its string")
      return
    }
    #expect(string.bytes == [1, 2, 3])
    handle.cancel()
    #expect(slow.wait()?.code == .aborted)
    while world.bucket.callsInFlight > 0 { usleep(1000) }
  }

  /// Call records (and their tokens) are reused, so steady calls allocate no call state — but
  /// never while anything still references them.
  @Test func callRecordsAreReusedOnlyWhenNothingElseHoldsThem() throws {
    let world = CapWorld(workers: 1)
    defer { world.stop() }
    let (client, _, name) = try world.holder()
    for n in 1...3 { #expect(try world.call(name, in: client, CounterDemux.add, [1]) == [UInt64(n)]) }
    #expect(world.bucket.spareRecordCount == 1)  // one record served all three calls
    // A handler that keeps its context keeps the record out of the pool.
    _ = try world.call(name, in: client, CounterDemux.keepContext)
    #expect(world.bucket.spareRecordCount == 0)
    let kept = try #require(world.log.contexts.withLock { $0.first })
    // The next call gets a fresh record: cancelling it is not seen through the kept context.
    let (handle, options) = cancellable()
    let call = Background { [options] in
      caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.waitForCancel, options: options) }
    }
    world.log.started.wait()
    handle.cancel()
    #expect(call.wait()?.code == .aborted)
    #expect(!kept.isCancelled)
  }

  @Test func aRejectedRequestAllocatesNoCallState() throws {
    let world = CapWorld()
    defer { world.stop() }
    let mallory = world.task()
    for word: UInt64 in [0, 1, .max, 1 << 32 | 1] { _ = world.rawCall(word, from: mallory) }
    #expect(world.bucket.callsInFlight == 0)
    #expect(world.log.all.isEmpty)
  }
}
}

extension CapabilityLayerTests {
@Suite("Capability DoS discipline: one call per client thread")
struct PerThreadLimitTests {
  /// One-way requests do not wait for their handler, so without the per-thread rule one thread
  /// could start any number of handlers.
  @Test func aClientThreadCannotPileUpOneWayRequests() throws {
    let refusals = RefusalRecorder()
    let world = CapWorld(workers: 3, interceptors: [refusals])
    defer { world.stop() }
    let client = world.task()
    let task = UInt64(client.number)
    let counter = try world.counter()
    let name = try world.bucket.give(counter, to: task)
    let rpc = try world.client(name, in: client)
    try rpc.send(Message(label: CounterDemux.waitForCancel))
    world.log.started.wait()
    try rpc.send(try Message(label: CounterDemux.add, words: [1]))  // same thread: refused, no handler
    // A one-way sender hears nothing back: wait until the server has refused it (a worker may
    // only get to it later, under load; by then it must still be refused, as the first one runs).
    #expect(refusals.refused.wait(timeout: .now() + .seconds(30)) == .success)
    #expect(refusals.codes.withLock { $0 } == [.returnCode(.EBUSY)])
    // Another thread of the same task is served.
    let other = Background { caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.add, [2]) } }
    #expect(other.wait() == nil)
    #expect(counter.value.withLock { $0 } == 2)
    world.bucket.inhibit(.client(task))  // cancels the one-way handler still running
    world.bucket.resume(.client(task))
    #expect(world.log.all.filter { $0 == "counter:1" }.count == 1)  // only the other thread's add ran
    #expect(world.bucket.callsInFlight == 0)
  }
}
}

/// Records the error code of each request the server refused, and signals each refusal.
final class RefusalRecorder: ServerInterceptor, @unchecked Sendable {
  let codes = Locked<[RPCError.Code]>([])
  let refused = DispatchSemaphore(value: 0)

  func intercept(
    _ request: borrowing Message, reply: inout Message, context: CallContext,
    next: (borrowing Message, inout Message, CallContext) throws(RPCError) -> Void
  ) throws(RPCError) {
    do {
      try next(request, &reply, context)
    } catch {
      codes.withLock { $0.append(error.code) }
      refused.signal()
      throw error
    }
  }
}
