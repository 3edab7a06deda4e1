// The tasks of the one-process-per-server mode: each is an operating-system process, its
// capabilities are descriptors in the process's `SocketCapabilitySpace` (HurdRPCSocket), and calls
// cross process boundaries over Unix-domain sockets.
import Foundation
import HurdCap
import HurdRPC
import HurdRPCSocket
import Synchronization

/// A process as a client: what it holds are names in its capability space; it calls through them.
struct SocketTask: Sendable {
  let space = SocketCapabilitySpace.process

  /// A generated client (`FSClient.init(transport:)`, …) for calls on `name`. Choosing the
  /// transport is this one line; the generated code is the same as on L4.
  func client<Client>(for name: CapabilityName, _ makeClient: (SocketClientTransport) -> Client) throws(RPCError)
    -> Client
  {
    makeClient(try space.client(for: name))
  }

  /// Those of `names` that are dead names (their server's port hung up), in the order given.
  /// A port hangs up when its server closes it, which may lag the server's answer by a moment:
  /// each name gets up to `patience` to be seen dead.
  func deadNames(among names: [CapabilityName], patience: Duration = .seconds(2)) -> [CapabilityName] {
    names.filter { name in
      let end = ContinuousClock.now + patience
      while !space.isDead(name) {
        guard ContinuousClock.now < end else { return false }
        Thread.sleep(forTimeInterval: 0.005)
      }
      return true
    }
  }
}

/// A kind of object a server process serves, with the generated demux that serves it: the
/// socket mode's `CapClass`.
struct SocketObjectClass: Sendable {
  let name: String
  /// A demux serving `object` alone (nil if the object is not of the class's type).
  let demux: @Sendable (CapObject) -> (any Demultiplexer)?

  init<Demux: TargetedDemultiplexer>(name: String, _ demux: Demux) where Demux.Target: CapObject {
    self.name = name
    self.demux = { object in (object as? Demux.Target).map { ObjectPortDemux(object: $0, demux: demux) } }
  }
}

/// Serves one object: every request that comes through its ports is addressed to it.
struct ObjectPortDemux<Demux: TargetedDemultiplexer>: Demultiplexer where Demux.Target: CapObject {
  let object: Demux.Target
  let demux: Demux

  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    try demux.dispatch(request, reply: &reply, target: object, context: context)
  }
}

/// A server process. Each object it serves is a receive right of its own: a
/// `SocketServerTransport` reachable only through the ports (descriptors) made from it, so a
/// holder of a port reaches that object and nothing else. Revoking an object shuts its transport
/// down: every holder's port hangs up at once (a dead name) and calls through it fail.
final class SocketServerTask: ServerHost {
  let task = SocketTask()
  private let served = Mutex<[Served]>([])

  /// Threads serving each object (a handler that waits, like the pipe's reader, holds one).
  static let workersPerObject = 2

  private struct Served {
    let object: CapObject
    let objectClass: SocketObjectClass
    let transport: SocketServerTransport
    let receiveRight: CapabilityName
  }

  func client<Client>(for name: CapabilityName, _ makeClient: (SocketClientTransport) -> Client) throws(RPCError)
    -> Client
  {
    try task.client(for: name, makeClient)
  }

  func deallocate(_ name: CapabilityName) { task.space.deallocate(name) }

  func publish(_ object: CapObject, in objectClass: SocketObjectClass) throws(ReturnCode) -> CapabilityName {
    guard let demux = objectClass.demux(object) else { throw .capInvalid }
    let transport: SocketServerTransport
    do throws(RPCError) {
      transport = try SocketServerTransport()
    } catch {
      throw .ENOMEM
    }
    let dispatcher = RequestDispatcher(demux)
    for _ in 0..<Self.workersPerObject {
      Thread { try? transport.serve(dispatcher) }.start()
    }
    let name = task.space.insertReceiveRight(for: transport, badge: 0)
    served.withLock {
      $0.append(Served(object: object, objectClass: objectClass, transport: transport, receiveRight: name))
    }
    return name
  }

  func publish(_ object: CapObject, inClassOf sibling: CapObject) throws(ReturnCode) -> CapabilityName {
    guard let objectClass = served.withLock({ $0.first { $0.object === sibling }?.objectClass }) else {
      throw .capInvalid
    }
    return try publish(object, in: objectClass)
  }

  /// The objects served, in the order they were published.
  func objects() -> [CapObject] { served.withLock { $0.map(\.object) } }

  /// Stops serving the objects `matching` selects: their ports hang up in every holder's space.
  func revoke(where matching: (CapObject) -> Bool) {
    let revoked = served.withLock { served -> [Served] in
      defer { served.removeAll { matching($0.object) } }
      return served.filter { matching($0.object) }
    }
    for entry in revoked {
      entry.transport.shutdown()
      task.space.deallocate(entry.receiveRight)
    }
  }

  /// Stops serving every object.
  func shutdown() { revoke { _ in true } }
}
