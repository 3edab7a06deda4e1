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
    let (alice, counter, aliceName) = try world.holder("shared")
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
    let (alice, counter, aliceName) = try world.holder()
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
    let (client, _, root) = try world.holder("root")
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
    let (client, _, root) = try world.holder("root")
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
    let (client, _, root) = try world.holder("root")
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
    let (alice, counter, aliceName) = try world.holder()
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
    let (alice, counter, name) = try world.holder()
    // Unknown routine: the server answers bad id; the copy it received is released.
    #expect(
      caught { () throws(RPCError) in
        try world.call(name, in: alice, 99, items: [.capability(CapabilityItem(name, disposition: .copySend))])
      }?.code == .badID)
    #expect(counter.referenceCount == 1)
    #expect(world.system.space(for: world.serverTask).names.isEmpty)
  }
}

/// Today's generated code: a plain `Demultiplexer` whose routine takes a port and returns it
/// (`routine echo_port(server; given: copy-send; out back: move-send)`), over L4 with a
/// capability system — the shape of `KindsDemux.swapPort`, with real capabilities.
struct PortEchoDemux: Demultiplexer {
  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    guard request.label == 1, case .capability(let given)? = request.items.first, given.disposition.right == .send else {
      throw RPCError(.badArguments, "`given` is not a capability of the declared right")
    }
    // The name is in the server's space; moving it back hands the right to the caller.
    try reply.append(.capability(CapabilityItem(given.name, disposition: .moveSend)))
  }
}

@Suite("Port arguments through a plain demux over L4")
struct PlainDemuxPortTests {
  @Test func portArgumentsRoundTripThroughAPlainDemultiplexerOverL4() throws {
    let world = CapWorld()
    defer { world.stop() }
    let echoSpace = world.kernel.createSpace()
    let echo = L4ServerTransport(space: echoSpace, capabilities: world.system)
    let done = DispatchSemaphore(value: 0)
    BlockingExecutor.shared.execute {
      try? echo.serve(RequestDispatcher(PortEchoDemux()))
      done.signal()
    }
    defer {
      echo.shutdown()
      done.wait()
    }
    let (client, counter, name) = try world.holder()
    let rpc = RPCClient(transport: L4ClientTransport(space: client, server: echo, capabilities: world.system))
    var request = Message(label: 1)
    try request.append(.capability(CapabilityItem(name, disposition: .copySend)))
    let reply = try rpc.call(request)
    guard case .capability(let back)? = reply.items.first else {
      Issue.record("no capability in the reply")
      return
    }
    // The same object comes back under the caller's own name, one more user reference.
    #expect(back.name == name && back.disposition == .moveSend)
    #expect(world.system.space(for: UInt64(client.number)).userReferences(of: name) == 2)
    #expect(world.system.space(for: UInt64(echoSpace.number)).names.isEmpty)
    #expect(counter.referenceCount == 2)
    #expect(try world.call(name, in: client, CounterDemux.add, [3]) == [3])
  }
}

@Suite("Capability transfer: undelivered messages")
struct UndeliveredTransferTests {
  @Test func aMoveThatIsNotDeliveredGivesTheRightBack() throws {
    let world = CapWorld()
    defer { world.stop() }
    let alice = world.task()
    let task = UInt64(alice.number)
    let counter = try world.counter()
    let name = try world.bucket.give(counter, to: task)
    let gone = L4ServerTransport(space: world.kernel.createSpace(), capabilities: world.system)
    gone.shutdown()  // never served: its endpoint is deleted, sends fail before delivery
    let rpc = RPCClient(transport: L4ClientTransport(space: alice, server: gone, capabilities: world.system))
    var request = Message(label: 1)
    try request.append(.capability(CapabilityItem(name, disposition: .moveSend)))
    #expect(caught { () throws(RPCError) in try rpc.call(request) }?.code == .nonExistingPartner)
    let space = world.system.space(for: task)
    let back = try #require(space.names.first)
    #expect(space.names.count == 1)
    #expect(try world.call(back, in: alice, CounterDemux.add, [1]) == [1])
    #expect(counter.referenceCount == 1)
    #expect(world.bucket.openContainers == 0)
  }

  @Test func aCopyThatIsNotDeliveredLeavesNothingBehind() throws {
    let world = CapWorld()
    defer { world.stop() }
    let (alice, counter, name) = try world.holder()
    let gone = L4ServerTransport(space: world.kernel.createSpace(), capabilities: world.system)
    gone.shutdown()
    let rpc = RPCClient(transport: L4ClientTransport(space: alice, server: gone, capabilities: world.system))
    var request = Message(label: 1)
    try request.append(.capability(CapabilityItem(name, disposition: .copySend)))
    #expect(caught { () throws(RPCError) in try rpc.call(request) }?.code == .nonExistingPartner)
    #expect(world.system.space(for: UInt64(alice.number)).userReferences(of: name) == 1)
    #expect(counter.referenceCount == 1)
    #expect(world.bucket.openContainers == 0)
  }
}
