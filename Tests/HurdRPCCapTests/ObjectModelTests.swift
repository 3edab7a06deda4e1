import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

extension CapabilityLayerTests {
/// Server object model: ids per client namespace, checks before any handler, revocation,
/// caller identity (docs/capabilities.md §1, §3).
@Suite("Capability object model")
struct ObjectModelTests {
  @Test func handlerSeesTheObjectAndTheCallersTask() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, _, name) = try world.holder("mine")
    #expect(try world.call(name, in: client, CounterDemux.add, [5]) == [5])
    #expect(try world.call(name, in: client, CounterDemux.whoAmI) == [UInt64(client.number)])
    #expect(world.log.all == ["mine:1", "mine:2"])
  }

  @Test func forgedCapabilityIDIsRejectedWithoutRunningAHandler() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, _, name) = try world.holder()
    let (_, id) = try world.system.space(for: UInt64(client.number)).target(of: name)
    // Wrong generation, unknown slot, slot 0, no id word at all.
    for forged in [id.rawValue ^ (1 << 32), id.rawValue + 7, 0] {
      #expect(world.rawCall(forged, from: client)?.code == .returnCode(.capInvalid))
    }
    let bare = L4ClientTransport(space: client, server: world.transport, capabilities: world.system)
    #expect(caught { () throws(RPCError) in try RPCClient(transport: bare).call(Message(label: 1)) }?.code
      == .returnCode(.capInvalid))
    #expect(world.log.all.isEmpty)
  }

  @Test func capabilityFromAnotherClientsNamespaceIsRejected() throws {
    let world = CapWorld()
    defer { world.stop() }
    let alice = world.task()
    let mallory = world.task()
    let counter = try world.counter()
    let name = try world.bucket.give(counter, to: UInt64(alice.number))
    _ = try world.bucket.give(try world.counter("other"), to: UInt64(mallory.number))
    let (_, aliceID) = try world.system.space(for: UInt64(alice.number)).target(of: name)
    // Mallory replays Alice's id word: it means nothing in Mallory's namespace… or names
    // Mallory's own capability, never Alice's object.
    let error = world.rawCall(aliceID.rawValue, from: mallory)
    #expect(error == nil || error?.code == .returnCode(.capInvalid))
    #expect(!world.log.all.contains("counter:1"))
    // A task with no namespace at all gets nothing.
    #expect(world.rawCall(aliceID.rawValue, from: world.task())?.code == .returnCode(.capInvalid))
    #expect(world.log.all.allSatisfy { $0.hasPrefix("other:") })
  }

  @Test func staleCapabilityIDIsRejectedAfterTheLastReferenceIsReleased() throws {
    let world = CapWorld()
    defer { world.stop() }
    let client = world.task()
    let space = world.system.space(for: UInt64(client.number))
    let name = try world.bucket.give(try world.counter(), to: UInt64(client.number))
    let (_, id) = try space.target(of: name)
    space.deallocate(name)
    #expect(world.rawCall(id.rawValue, from: client)?.code == .returnCode(.capInvalid))
    // The slot is reused with a new generation: the old id still names nothing.
    let again = try world.bucket.give(try world.counter("second"), to: UInt64(client.number))
    let (_, newID) = try space.target(of: again)
    #expect(newID != id)
    #expect(world.rawCall(id.rawValue, from: client)?.code == .returnCode(.capInvalid))
    #expect(world.log.all.isEmpty)
  }

  @Test func theSameObjectGetsTheSameIDAndNameForOneClient() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, counter, first) = try world.holder()
    let second = try world.bucket.give(counter, to: UInt64(client.number))
    #expect(first == second)
    #expect(world.system.space(for: UInt64(client.number)).userReferences(of: first) == 2)
    #expect(counter.referenceCount == 2)
  }

  @Test func revocationKillsEveryCopyAtOnce() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (counter, alice, aliceName, bob, bobName) = try world.aliceAndBob()
    #expect(try world.call(aliceName, in: alice, CounterDemux.add, [1]) == [1])
    world.bucket.revoke(counter)
    let handledBefore = world.log.all.count
    #expect(caught { () throws(RPCError) in try world.call(aliceName, in: alice, CounterDemux.add, [1]) }?.code
      == .returnCode(.capDied))
    #expect(world.system.space(for: UInt64(bob.number)).right(of: bobName) == .dead)
    #expect(world.log.all.count == handledBefore)
    #expect(counter.referenceCount == 0)
    // Both holders were told, once each.
    #expect(world.system.space(for: UInt64(alice.number)).notifications.poll().entries
      == [.init(event: .deadName(aliceName), count: 1)])
    #expect(world.system.space(for: UInt64(bob.number)).notifications.poll().entries
      == [.init(event: .deadName(bobName), count: 1)])
  }

  @Test func aRevokedCapabilityAnswersCapabilityDiedWithoutAHandler() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (client, counter, name) = try world.holder()
    let (_, id) = try world.system.space(for: UInt64(client.number)).target(of: name)
    world.bucket.revoke(counter)
    #expect(world.rawCall(id.rawValue, from: client)?.code == .returnCode(.capDied))
    #expect(world.log.all.isEmpty)
  }
}
}
