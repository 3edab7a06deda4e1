import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension CapabilityLayerTests {
/// Inhibition, deferred replies, cancellation (docs/capabilities.md §4).
@Suite("Capability lifecycle: inhibition, deferred replies, cancellation")
struct LifecycleTests {
  @Test func deferredReplyIsAnsweredLaterFromAnotherThreadAndOnlyOnce() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, _, name) = try world.holder()
    let call = Background { caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.deferred) } }
    world.log.started.wait()
    #expect(!call.finishes(within: 50))
    #expect(world.bucket.callsInFlight == 1)  // the deferred call stays pending
    let handle = try #require(world.log.deferredReplies.withLock { $0.first })
    var reply = handle.makeReply()
    try reply.append(42)
    let sent = try handle.send(reply)
    #expect((try? sent.get()) != nil)
    #expect(call.wait() == nil)
    #expect(world.bucket.callsInFlight == 0)
    var secondError: CapError? = nil
    do { _ = try handle.fail(.EIO) } catch { secondError = error }
    #expect(secondError == .replyAlreadySent)
  }

  @Test func aDeferredReplyToACallerThatStoppedWaitingDoesNotBlock() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, _, name) = try world.holder()
    var options = CallOptions.default
    options.timeout = .milliseconds(30)
    let error = caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.deferred, options: options) }
    #expect(error?.code == .timeout)
    let handle = try #require(world.log.deferredReplies.withLock { $0.first })
    let start = ContinuousClock.now
    let sent = try handle.fail(.EIO)
    #expect(ContinuousClock.now - start < .seconds(1))
    if case .success = sent { Issue.record("a reply nobody waits for was reported delivered") }
  }

  @Test func inhibitCancelsRunningCallsBlocksNewOnesAndResumeLetsThemRun() throws {
    let world = CapWorld(workers: 3)
    defer { world.stop() }
    let (counter, alice, aliceName, bob, bobName) = try world.aliceAndBob()
    let running = Background { caught { () throws(RPCError) in try world.call(aliceName, in: alice, CounterDemux.waitForCancel) } }
    world.log.started.wait()
    world.bucket.inhibit(.object(counter))  // returns once the running call drained
    #expect(running.wait()?.code == .returnCode(.ECANCELED))
    let blocked = Background { caught { () throws(RPCError) in try world.call(bobName, in: bob, CounterDemux.add, [1]) } }
    #expect(!blocked.finishes(within: 100))
    #expect(!world.log.all.contains("counter:1"))
    world.bucket.resume(.object(counter))
    #expect(blocked.wait() == nil)
    #expect(world.log.all.last == "counter:1")
  }

  @Test(arguments: ["bucket", "class", "client"])
  func inhibitionAppliesToEachScope(scope: String) throws {
    let world = CapWorld(workers: 2)
    defer { world.stop() }
    let (client, _, name) = try world.holder()
    let chosen: CapBucket.Scope =
      switch scope {
      case "bucket": .bucket
      case "class": .objectClass(world.counters)
      default: .client(UInt64(client.number))
      }
    world.bucket.inhibit(chosen)
    let blocked = Background { caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.add, [1]) } }
    #expect(!blocked.finishes(within: 100))
    world.bucket.resume(chosen)
    #expect(blocked.wait() == nil)
  }

  @Test func aCallWaitingOnInhibitionRechecksItsCapabilityAfterResume() throws {
    let world = CapWorld(workers: 2)
    defer { world.stop() }
    let (client, counter, name) = try world.holder()
    world.bucket.inhibit(.bucket)
    let blocked = Background { caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.add, [1]) } }
    while world.bucket.callsInFlight == 0 { usleep(1000) }
    // Revoked while it waited: resuming must not run the handler.
    world.bucket.revoke(counter)
    world.bucket.resume(.bucket)
    #expect(blocked.wait()?.code == .returnCode(.capDied))
    #expect(world.log.all.isEmpty)
  }

  @Test func aDeferredCallIsDrainedByInhibitionOnlyWhenAnswered() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, counter, name) = try world.holder()
    let call = Background { caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.deferred) } }
    world.log.started.wait()
    let handle = try #require(world.log.deferredReplies.withLock { $0.first })
    let inhibitor = Background { world.bucket.inhibit(.object(counter)) }
    #expect(!inhibitor.finishes(within: 100))
    #expect(handle.isCancelled)  // inhibition cancelled it
    _ = try handle.fail(.ECANCELED)
    inhibitor.wait()
    #expect(call.wait()?.code == .returnCode(.ECANCELED))
    world.bucket.resume(.object(counter))
  }

  @Test func cancellingBeforeDeliveryGivesCancelledAndNoHandlerRuns() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, _, name) = try world.holder()
    var options = CallOptions.default
    options.cancellation = CallCancellation()
    options.cancellation?.cancel()
    let error = caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.add, [1], options: options) }
    #expect(error?.code == .cancelled)
    #expect(world.log.all.isEmpty)
  }

  @Test func cancellingAfterDeliveryGivesAbortedAndTheHandlerSeesIt() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, _, name) = try world.holder()
    let (handle, options) = cancellable()
    let call = Background { [options] in
      caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.waitForCancel, options: options) }
    }
    world.log.started.wait()
    handle.cancel()
    #expect(call.wait()?.code == .aborted)
    // The handler returned (it saw the cancel), so the call left the bucket.
    while world.bucket.callsInFlight > 0 { usleep(1000) }
    // The handler saw a server-side token, never the client's own handle.
    #expect(world.log.tokens.withLock { $0 } != [ObjectIdentifier(handle)])
    #expect(!world.log.tokens.withLock { $0 }.contains(ObjectIdentifier(handle)))
  }

  @Test func cancellationWorksWhileTheCapabilityIsInhibited() throws {
    let world = CapWorld(workers: 2)
    defer { world.stop() }
    let (client, _, name) = try world.holder()
    world.bucket.inhibit(.bucket)
    defer { world.bucket.resume(.bucket) }
    let (handle, options) = cancellable()
    let call = Background { [options] in
      caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.add, [1], options: options) }
    }
    while world.bucket.callsInFlight == 0 { usleep(1000) }
    handle.cancel()
    #expect(call.wait()?.code == .aborted)
    while world.bucket.callsInFlight > 0 { usleep(1000) }
    #expect(world.log.all.isEmpty)
  }
}
}

extension CapabilityLayerTests {
@Suite("Capability lifecycle: deferred replies and cancellation")
struct DeferredCancellationTests {
  @Test func aDeferredCallSeesItsClientCancelAfterTheHandlerReturned() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, _, name) = try world.holder()
    let (handle, options) = cancellable()
    let call = Background { [options] in
      caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.deferred, options: options) }
    }
    world.log.started.wait()
    let deferred = try #require(world.log.deferredReplies.withLock { $0.first })
    #expect(!deferred.isCancelled)
    handle.cancel()
    #expect(call.wait()?.code == .aborted)
    #expect(deferred.isCancelled)
    _ = try deferred.fail(.ECANCELED)  // nobody waits any more: dropped, and the call ends
    #expect(world.bucket.callsInFlight == 0)
  }

  @Test func objectsOfAShutDownServerStayRevoked() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, counter, name) = try world.holder()
    #expect(try world.call(name, in: client, CounterDemux.add, [1]) == [1])
    world.bucket.shutdown()
    #expect(counter.isRevoked)
    var error: CapError? = nil
    do { try world.bucket.register(counter, in: world.counters) } catch let thrown { error = thrown }
    #expect(error == .objectRevoked)
  }
}
}
