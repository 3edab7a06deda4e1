import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension CapabilityLayerTests {
/// Task death learnt from the kernel (deleting an L4 address space), not reported by hand
/// (docs/capabilities.md §5, docs/l4-backend.md §1 "Deletion").
@Suite("Capability task death from the kernel")
struct TaskDeathTests {
  @Test func deletingAClientSpaceDropsItsReferencesAndNoSendersFollowsAutomatically() throws {
    let world = CapWorld()
    defer { world.stop() }
    let alice = world.task()
    let bob = world.task()
    let mine = try world.counter("mine")
    let shared = try world.counter("shared")
    _ = try world.bucket.give(mine, to: UInt64(alice.number))
    _ = try world.bucket.give(shared, to: UInt64(alice.number))
    _ = try world.bucket.give(shared, to: UInt64(bob.number))
    world.kernel.deleteSpace(alice)
    #expect(!world.system.isAlive(UInt64(alice.number)))
    // No-senders only for the object the dead task alone referenced, exactly once.
    #expect(world.system.space(for: world.serverTask).notifications.poll().entries == [.init(event: .noSenders(mine), count: 1)])
    #expect(world.bucket.referenceCount(of: mine) == 0)
    #expect(world.bucket.referenceCount(of: shared) == 1)
    // Its namespace is freed, and nothing can be given to it any more.
    #expect(world.system.space(for: UInt64(alice.number)).names.isEmpty)
    var refused: CapError? = nil
    do { _ = try world.bucket.inject(shared, into: UInt64(alice.number)) } catch { refused = error }
    #expect(refused == .taskDead(UInt64(alice.number)))
    world.system.taskDied(UInt64(alice.number))  // a transport reporting it again changes nothing
    #expect(world.system.space(for: world.serverTask).notifications.poll().isEmpty)
  }

  @Test func deletingAServerSpaceGivesEveryHolderADeadName() throws {
    let world = CapWorld()
    defer { world.stop() }
    let holders = (0..<3).map { _ in world.task() }
    let counter = try world.counter()
    let names = try holders.map { try world.bucket.give(counter, to: UInt64($0.number)) }
    world.kernel.deleteSpace(world.serverSpace)
    #expect(world.bucket.isShutDown)
    for (holder, name) in zip(holders, names) {
      let space = world.system.space(for: UInt64(holder.number))
      #expect(space.notifications.poll().entries == [.init(event: .deadName(name), count: 1)])
      #expect(space.right(of: name) == .dead)
      // The server's threads are gone: a call fails at once.
      #expect(caught { () throws(RPCError) in try world.call(name, in: holder, CounterDemux.add, [1]) } != nil)
    }
  }

  @Test func aDyingClientsPendingCallIsCancelledAndLeavesTheBucket() throws {
    let world = CapWorld(workers: 2)
    defer { world.stop() }
    let (alice, _, name) = try world.holder()
    let call = Background { caught { () throws(RPCError) in try world.call(name, in: alice, CounterDemux.waitForCancel) } }
    world.log.started.wait()
    #expect(world.bucket.callsInFlight == 1)
    world.kernel.deleteSpace(alice)
    // The handler saw the cancel and returned; the client's thread was deleted mid-call.
    #expect(call.wait() != nil)
    #expect(waitUntilTrue { world.bucket.callsInFlight == 0 })
    // The server goes on serving others.
    let (bob, _, bobName) = try world.holder("bob's")
    #expect(try world.call(bobName, in: bob, CounterDemux.add, [3]) == [3])
  }

  /// A transfer in flight to a task that dies is destroyed with it (the copy protocol's
  /// clean-up on D's death), learnt from the kernel.
  @Test func aContainerForADeletedReceiverIsDestroyed() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (sender, counter, name) = try world.holder()
    let receiver = world.task()
    let exported = try world.system.export(
      CapabilityItem(name, disposition: .copySend), from: UInt64(sender.number), to: UInt64(receiver.number))
    #expect(world.bucket.openContainers == 1)
    #expect(world.bucket.referenceCount(of: counter) == 2)
    world.kernel.deleteSpace(receiver)
    #expect(world.bucket.openContainers == 0)
    #expect(world.bucket.referenceCount(of: counter) == 1)
    world.system.finish(exported, item: CapabilityItem(name, disposition: .copySend), from: UInt64(sender.number), delivered: false)
    #expect(world.bucket.referenceCount(of: counter) == 1)
  }
}
}

/// Polls until `condition` holds (bounded, 10 s).
func waitUntilTrue(_ condition: () -> Bool) -> Bool {
  for _ in 0..<10_000 {
    if condition() { return true }
    usleep(1000)
  }
  return false
}
