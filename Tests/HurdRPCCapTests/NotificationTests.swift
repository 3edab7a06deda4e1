import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

extension CapabilityLayerTests {
/// Dead-name and no-senders notifications, and the bounded coalescing queue (docs/capabilities.md §5).
@Suite("Capability notifications")
struct NotificationTests {
  @Test func noSendersFiresExactlyOnceAfterTheLastReferenceIsDropped() throws {
    let world = CapWorld()
    defer { world.stop() }
    let alice = world.task()
    let bob = world.task()
    let counter = try world.counter()
    let aliceName = try world.bucket.give(counter, to: UInt64(alice.number))
    _ = try world.bucket.give(counter, to: UInt64(alice.number))
    let bobName = try world.bucket.give(counter, to: UInt64(bob.number))
    let serverQueue = world.system.space(for: world.serverTask).notifications
    world.system.space(for: UInt64(alice.number)).deallocate(aliceName)
    world.system.space(for: UInt64(bob.number)).deallocate(bobName)
    #expect(serverQueue.poll().isEmpty)
    world.system.space(for: UInt64(alice.number)).deallocate(aliceName)
    #expect(serverQueue.poll().entries == [.init(event: .noSenders(counter), count: 1)])
    #expect(serverQueue.poll().isEmpty)
  }

  @Test func aDyingClientTaskDropsItsReferencesAndNoSendersFollows() throws {
    let world = CapWorld()
    defer { world.stop() }
    let alice = world.task()
    let counter = try world.counter()
    _ = try world.bucket.give(counter, to: UInt64(alice.number))
    world.system.taskDied(UInt64(alice.number))
    #expect(counter.referenceCount == 0)
    #expect(world.system.space(for: world.serverTask).notifications.poll().entries == [.init(event: .noSenders(counter), count: 1)])
  }

  @Test func deadNameFiresForEveryHolderWhenTheServerShutsDown() throws {
    let world = CapWorld()
    defer { world.stop() }
    let holders = (0..<3).map { _ in world.task() }
    let counter = try world.counter()
    let names = try holders.map { try world.bucket.give(counter, to: UInt64($0.number)) }
    world.system.taskDied(world.serverTask)
    for (holder, name) in zip(holders, names) {
      let space = world.system.space(for: UInt64(holder.number))
      #expect(space.notifications.poll().entries == [.init(event: .deadName(name), count: 1)])
      #expect(space.right(of: name) == .dead)
      #expect(caught { () throws(RPCError) in try world.call(name, in: holder, CounterDemux.add, [1]) }?.code
        == .returnCode(.capDied))
    }
    // The server gets no no-senders for objects that died with it.
    #expect(world.system.space(for: world.serverTask).notifications.poll().isEmpty)
  }

  @Test func aFullQueueCoalescesEqualEventsAndCountsTheOthersAsMissed() {
    let queue = NotificationQueue(capacity: 2)
    let a = CapNotification.deadName(CapabilityName(rawValue: 1))
    let b = CapNotification.server(about: .null, code: 7, word: 1)
    let c = CapNotification.deadName(CapabilityName(rawValue: 3))
    for event in [a, b, a, c, c] { queue.post(event) }
    let batch = queue.poll()
    #expect(batch.entries == [.init(event: a, count: 2), .init(event: b, count: 1)])
    #expect(batch.missedEvents == 2)
    #expect(queue.poll().isEmpty)
  }

  @Test func waitingForNotificationsWakesOnPostAndTimesOut() {
    let queue = NotificationQueue()
    let empty = queue.wait(until: .now + .milliseconds(20))
    #expect(empty.isEmpty)
    let waiter = Background { queue.wait() }
    queue.post(.server(about: .null, code: 1, word: 2))
    #expect(waiter.wait().entries == [.init(event: .server(about: .null, code: 1, word: 2), count: 1)])
  }
}
}
