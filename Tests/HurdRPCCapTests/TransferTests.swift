import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// Capabilities inside messages over the L4 transport: dispositions and the copy protocol
/// (docs/capabilities.md §2).
@Suite("Capability transfer over L4")
struct TransferTests {
  /// Alice copies her capability to a third task (server D), which then calls the object at S.
  @Test func copySendGivesAThirdTaskItsOwnWorkingCapability() throws {
    let world = CapWorld()
    defer { world.stop() }
    let third = world.anotherServer()
    let alice = world.task()
    let counter = try world.counter("shared")
    let aliceName = try world.bucket.give(counter, to: UInt64(alice.number))
    let dummy = try third.bucket.give(try third.counter("d"), to: UInt64(alice.number))
    _ = try third.call(
      dummy, in: alice, CounterDemux.keep, items: [.capability(CapabilityItem(aliceName, disposition: .copySend))])
    let kept = try #require(third.log.kept.withLock { $0.first })
    #expect(kept.disposition == .moveSend && kept.name.isValid)
    // D's name works from D's task; Alice's still works; the object has two references.
    #expect(try world.call(kept.name, in: third.serverSpace, CounterDemux.add, [2]) == [2])
    #expect(try world.call(aliceName, in: alice, CounterDemux.add, [3]) == [5])
    #expect(counter.referenceCount == 2)
    #expect(world.system.space(for: UInt64(alice.number)).userReferences(of: aliceName) == 1)
    // Each task's id is its own: the callers seen are Alice's and D's tasks.
    #expect(Set(world.log.callers.withLock { $0.map(\.description) }).count == 2)
    #expect(world.bucket.openContainers == 0)
  }

  @Test func moveSendTakesTheRightFromTheSender() throws {
    let world = CapWorld()
    defer { world.stop() }
    let third = world.anotherServer()
    let alice = world.task()
    let counter = try world.counter()
    let aliceName = try world.bucket.give(counter, to: UInt64(alice.number))
    let dummy = try third.bucket.give(try third.counter("d"), to: UInt64(alice.number))
    _ = try third.call(
      dummy, in: alice, CounterDemux.keep, items: [.capability(CapabilityItem(aliceName, disposition: .moveSend))])
    #expect(world.system.space(for: UInt64(alice.number)).right(of: aliceName) == nil)
    #expect(counter.referenceCount == 1)
    let kept = try #require(third.log.kept.withLock { $0.first })
    #expect(try world.call(kept.name, in: third.serverSpace, CounterDemux.add, [1]) == [1])
    #expect(world.bucket.openContainers == 0)
  }

  /// The server hands out a new object in its reply (make-send), as `dir_lookup` does.
  @Test func makeSendInAReplyGivesTheClientACapability() throws {
    let world = CapWorld()
    defer { world.stop() }
    let client = world.task()
    let root = try world.bucket.give(try world.counter("root"), to: UInt64(client.number))
    let reply = try world.callForReply(root, in: client, CounterDemux.makeCounter)
    guard case .capability(let made)? = reply.items.first else {
      Issue.record("no capability in the reply")
      return
    }
    #expect(made.disposition == .moveSend)
    #expect(try world.call(made.name, in: client, CounterDemux.add, [7]) == [7])
    #expect(world.log.all.last == "made:1")
    #expect(world.bucket.openContainers == 0)
  }

  @Test func makeSendOnceIsGoodForExactlyOneCall() throws {
    let world = CapWorld()
    defer { world.stop() }
    let client = world.task()
    let root = try world.bucket.give(try world.counter("root"), to: UInt64(client.number))
    let reply = try world.callForReply(root, in: client, CounterDemux.makeCounter, [1])
    guard case .capability(let made)? = reply.items.first else {
      Issue.record("no capability in the reply")
      return
    }
    #expect(made.disposition == .moveSendOnce)
    #expect(try world.call(made.name, in: client, CounterDemux.add, [1]) == [1])
    let (_, id) = try world.system.space(for: UInt64(client.number)).target(of: made.name)
    #expect(world.rawCall(id.rawValue, from: client)?.code == .returnCode(.capInvalid))
  }

  /// A capability sent back to the server that implements it resolves to the server's object.
  @Test func aCapabilitySentToItsOwnServerResolvesToTheObject() throws {
    let world = CapWorld()
    defer { world.stop() }
    let client = world.task()
    let counter = try world.counter("target")
    counter.value.withLock { $0 = 41 }
    let name = try world.bucket.give(counter, to: UInt64(client.number))
    let root = try world.bucket.give(try world.counter("root"), to: UInt64(client.number))
    #expect(
      try world.call(root, in: client, CounterDemux.readPort, items: [.capability(CapabilityItem(name, disposition: .copySend))])
        == [41])
    // The server released what it received: only the client's reference is left.
    #expect(counter.referenceCount == 1)
  }

  @Test func sendingARightTheSenderDoesNotHoldFailsBeforeAnythingIsSent() throws {
    let world = CapWorld()
    defer { world.stop() }
    let client = world.task()
    let root = try world.bucket.give(try world.counter("root"), to: UInt64(client.number))
    let forged = CapabilityItem(CapabilityName(rawValue: 999), disposition: .copySend)
    #expect(
      caught { () throws(RPCError) in try world.call(root, in: client, CounterDemux.keep, items: [.capability(forged)]) }?
        .code == .badArguments)
    let receive = CapabilityItem(root, disposition: .moveReceive)
    #expect(
      caught { () throws(RPCError) in try world.call(root, in: client, CounterDemux.keep, items: [.capability(receive)]) }?
        .code == .unsupported)
    #expect(world.log.all.isEmpty)
  }

  @Test func aReceiverThatDoesNotTrustTheServerGetsADeadNameAndNothingLeaks() throws {
    let world = CapWorld()
    defer { world.stop() }
    let third = world.anotherServer()
    let alice = world.task()
    let counter = try world.counter()
    let aliceName = try world.bucket.give(counter, to: UInt64(alice.number))
    let dummy = try third.bucket.give(try third.counter("d"), to: UInt64(alice.number))
    world.system.space(for: third.serverTask).acceptCapabilities { _ in false }
    _ = try third.call(
      dummy, in: alice, CounterDemux.keep, items: [.capability(CapabilityItem(aliceName, disposition: .copySend))])
    #expect(third.log.kept.withLock { $0.first?.name } == .dead)
    #expect(counter.referenceCount == 1)
    #expect(world.bucket.openContainers == 0)
  }

  @Test func aRejectedRequestGivesBackTheCapabilitiesItCarried() throws {
    let world = CapWorld()
    defer { world.stop() }
    let alice = world.task()
    let counter = try world.counter()
    let name = try world.bucket.give(counter, to: UInt64(alice.number))
    // Unknown routine: the server answers bad id; the copy it received is released.
    #expect(
      caught { () throws(RPCError) in
        try world.call(name, in: alice, 99, items: [.capability(CapabilityItem(name, disposition: .copySend))])
      }?.code == .badID)
    #expect(counter.referenceCount == 1)
    #expect(world.system.space(for: world.serverTask).names.isEmpty)
  }
}
