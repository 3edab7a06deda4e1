import HurdCap
import HurdCapSocket
@_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// ports.defs through generated stubs with the capability layer over the socket transport: the
/// server is a `CapBucket` served by a `SocketCapServer` (`SocketCapTagService`), in this process
/// or in another one, and the test process is a `SocketCapTask` holding port descriptors. The
/// same server code runs on L4 in `CapabilityPortTests`.
@Suite("Port arguments through generated stubs with HurdCap over the socket transport")
struct SocketCapPortTests {
  /// A cap-layer server of ports.defs placed as asked, and this process as a task holding
  /// capabilities in a space of its own.
  struct World {
    let served: Served
    let me: SocketCapTask
    /// A client of the server's bootstrap object (tag 0), also for the control routines.
    let root: SocketCapabilityClient

    init(_ placement: Placement) throws {
      served = try placement.serve(.portsCap)
      me = try SocketCapTask(space: SocketCapabilitySpace())
      root = me.client(path: try #require(served.path))
    }

    /// A send right in this task to a new object of tag `tag`.
    func object(_ tag: Int32) throws(RPCError) -> CapabilityName {
      try ServiceControl.makeObject(badge: UInt64(UInt32(bitPattern: tag)), at: root)
    }

    func client(_ name: CapabilityName) throws(RPCError) -> PortsClient<SocketCapabilityClient> {
      PortsClient(transport: try me.client(for: name))
    }

    func finish() { served.finish() }
  }

  @Test(arguments: Placement.sockets)
  func handlersReceiveTheObjectTheCapabilityNames(_ placement: Placement) throws {
    let world = try World(placement)
    defer { world.finish() }
    #expect(try PortsClient(transport: world.root).tagOf() == 0)
    #expect(try world.client(world.object(1)).tagOf() == 1)
    #expect(try world.client(world.object(2)).tagOf() == 2)
  }

  @Test(arguments: Placement.sockets)
  func copySendLeavesTheSendersRightAndMoveSendTakesIt(_ placement: Placement) throws {
    let world = try World(placement)
    defer { world.finish() }
    let a = try world.object(1)
    let b = try world.object(2)
    #expect(try world.client(a).takeCopy(given: b) == 2)
    #expect(try world.client(b).tagOf() == 2)
    let c = try world.object(3)
    #expect(try world.client(a).takeMove(given: c) == 3)
    #expect(caught { () throws(RPCError) in _ = try world.me.client(for: c) } != nil)  // no longer ours
  }

  /// make-send and make-send-once in replies; a send-once right is good for one use, also when
  /// moved back to the server.
  @Test(arguments: Placement.sockets)
  func makeSendMakeSendOnceAndMoveSendOnce(_ placement: Placement) throws {
    let world = try World(placement)
    defer { world.finish() }
    let a = try world.object(1)
    let made = try world.client(a).make(tag: 7)
    #expect(try world.client(made).tagOf() == 7)
    #expect(try world.client(made).tagOf() == 7)
    let once = try world.client(a).makeOnce(tag: 8)
    #expect(world.me.space.isSendOnce(once))
    #expect(try world.client(a).takeOnce(given: once) == 8)
    #expect(caught { () throws(RPCError) in _ = try world.me.client(for: once) } != nil)
    let another = try world.client(a).makeOnce(tag: 9)
    let onceClient = try world.client(another)
    #expect(try onceClient.tagOf() == 9)
    #expect(caught { () throws(RPCError) in try onceClient.tagOf() } != nil)
  }

  @Test(arguments: Placement.sockets)
  func polymorphicPortsCarryTheirDispositionBothWays(_ placement: Placement) throws {
    let world = try World(placement)
    defer { world.finish() }
    let a = try world.object(1)
    let b = try world.object(2)
    _ = try world.served.events()
    let back = try world.client(a).giveBack(given: CapabilityItem(b, disposition: .copySend))
    #expect(back.disposition == .copySend)
    #expect(try world.client(back.name).tagOf() == 2)
    #expect(try world.served.events() == ["giveBack copy-send", "tagOf"])
  }

  /// A receive right does not travel between processes: refused before anything is sent.
  @Test(arguments: Placement.sockets)
  func aReceiveRightIsRefused(_ placement: Placement) throws {
    let world = try World(placement)
    defer { world.finish() }
    let a = try world.object(1)
    _ = try world.served.events()
    let error = caught { () throws(RPCError) in try world.client(a).takeReceive(given: a) }
    #expect(error?.code == .unsupported)
    #expect(error?.message.contains("receive right") == true, "\(String(describing: error))")
    #expect(try world.served.events().isEmpty)
  }

  /// Revoking an object in the server kills every copy at once: each holder's name becomes dead
  /// (one dead-name notification each), calls fail "capability died", no handler runs.
  @Test(arguments: Placement.sockets)
  func revocationKillsEveryCopyAndNotifiesTheHolder(_ placement: Placement) throws {
    let world = try World(placement)
    defer { world.finish() }
    let first = try world.object(4)
    let second = try world.client(first).make(tag: 4)  // another object of the same tag
    let other = try world.object(5)
    #expect(try world.client(first).tagOf() == 4)
    _ = try world.served.events()
    try ServiceControl.revoke(badge: 4, at: world.root)
    #expect(world.me.deadNames(expected: 2) == [first: 1, second: 1])
    for name in [first, second] {
      #expect(caught { () throws(RPCError) in try world.client(name).tagOf() }?.code == .returnCode(.capDied))
    }
    #expect(try world.client(other).tagOf() == 5)
    #expect(try world.served.events() == ["tagOf"])  // only the call on the living object ran
  }

  /// kill -9 of the server process: every capability it served becomes a dead name, once.
  @Test func aKilledServerProcessLeavesDeadNames() throws {
    let world = try World(.socketOtherProcess)
    let names = [try world.object(1), try world.object(2)]
    #expect(try world.client(names[0]).tagOf() == 1)
    world.served.helper?.kill(SIGKILL)
    #expect(world.me.deadNames(expected: 2) == [names[0]: 1, names[1]: 1])
    #expect(caught { () throws(RPCError) in try world.client(names[1]).tagOf() }?.code == .returnCode(.capDied))
  }
}
