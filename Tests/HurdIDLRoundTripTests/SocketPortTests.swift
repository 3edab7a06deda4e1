@_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

/// ports.defs' routines through generated stubs over the socket transport, where a capability
/// is a port descriptor and an object is a port badge (`SocketTagServer`). The same interface
/// runs on L4 with HurdCap in `CapabilityPortTests`.
@Suite("Port arguments through generated stubs over the socket transport")
struct SocketPortTests {
  let space = SocketCapabilitySpace.process

  /// A send right in this process to a new object (tag `tag`) of the server.
  func object(_ tag: Int32, of served: Served) throws -> CapabilityName {
    try ServiceControl.makeObject(badge: UInt64(tag), at: served.transport)
  }

  func client(_ name: CapabilityName) throws(RPCError) -> PortsClient<SocketClientTransport> {
    PortsClient(transport: try space.client(for: name))
  }

  @Test(arguments: Placement.sockets)
  func handlersReceiveTheObjectTheCapabilityNames(_ placement: Placement) throws {
    let served = try placement.serve(.ports)
    defer { served.finish() }
    let one = try object(1, of: served)
    let two = try object(2, of: served)
    defer { for name in [one, two] { space.deallocate(name) } }
    #expect(try client(one).tagOf() == 1)
    #expect(try client(two).tagOf() == 2)
  }

  @Test(arguments: Placement.sockets)
  func copySendLeavesTheSendersRightAndMoveSendTakesIt(_ placement: Placement) throws {
    let served = try placement.serve(.ports)
    defer { served.finish() }
    let a = try object(1, of: served)
    let b = try object(2, of: served)
    defer { for name in [a, b] { space.deallocate(name) } }
    #expect(try client(a).takeCopy(given: b) == 2)
    #expect(try client(b).tagOf() == 2)  // still ours
    let c = try object(3, of: served)
    #expect(try client(a).takeMove(given: c) == 3)
    #expect(caught { () throws(RPCError) in _ = try space.client(for: c) }?.code == .badArguments)  // gone from our space
    // The handlers learn a received right's tag by calling it (a nested call to its server).
    #expect(try served.events() == ["takeCopy", "tagOf 2", "tagOf 2", "takeMove", "tagOf 3"])
  }

  /// make-send and make-send-once in a reply: new objects the client can call; a send-once
  /// right moved back in a request.
  @Test(arguments: Placement.sockets)
  func makeSendMakeSendOnceAndMoveSendOnce(_ placement: Placement) throws {
    let served = try placement.serve(.ports)
    defer { served.finish() }
    let a = try object(1, of: served)
    defer { space.deallocate(a) }
    let made = try client(a).make(tag: 7)
    defer { space.deallocate(made) }
    #expect(try client(made).tagOf() == 7)
    #expect(try client(made).tagOf() == 7)
    let once = try client(a).makeOnce(tag: 8)
    #expect(try client(a).takeOnce(given: once) == 8)
    #expect(caught { () throws(RPCError) in _ = try space.client(for: once) }?.code == .badArguments)  // moved away
  }

  /// A polymorphic port: the caller picks the disposition, the server its own for the reply.
  @Test(arguments: Placement.sockets)
  func polymorphicPortsCarryTheirDispositionBothWays(_ placement: Placement) throws {
    let served = try placement.serve(.ports)
    defer { served.finish() }
    let a = try object(1, of: served)
    let b = try object(2, of: served)
    defer { for name in [a, b] { space.deallocate(name) } }
    _ = try served.events()
    let back = try client(a).giveBack(given: CapabilityItem(b, disposition: .copySend))
    defer { space.deallocate(back.name) }
    #expect(back.disposition == .moveSend && back.name != b)  // a new name of the same object
    #expect(try client(back.name).tagOf() == 2)
    #expect(try served.events() == ["giveBack copy-send", "tagOf 2"])
  }

  /// A receive right does not travel between processes: the call fails clearly before anything
  /// is sent, whether the name is a receive right of ours or only a send right.
  @Test(arguments: Placement.sockets)
  func aReceiveRightIsRefused(_ placement: Placement) throws {
    let served = try placement.serve(.ports)
    defer { served.finish() }
    let a = try object(1, of: served)
    defer { space.deallocate(a) }
    let ownServer = try SocketServerTransport()
    defer { ownServer.shutdown() }
    let own = space.insertReceiveRight(for: ownServer, badge: 5)
    defer { space.deallocate(own) }
    _ = try served.events()
    for name in [own, a] {
      let error = caught { () throws(RPCError) in try client(a).takeReceive(given: name) }
      #expect(error?.code == .unsupported)
      #expect(error?.message.contains("receive right") == true, "\(String(describing: error))")
    }
    #expect(try served.events().isEmpty)  // no handler ran
  }
}
