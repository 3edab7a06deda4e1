// The tasks of the one-process-per-server mode: each is an operating-system process, its
// capabilities are port descriptors (HurdRPCSocket), and a server serves its bucket of objects
// (HurdCap) through a socket transport (HurdCapSocket).
import Foundation
import HurdCap
import HurdCapSocket
import HurdRPC
import HurdRPCSocket
import Synchronization

/// A process as a task: what it holds are names in its capability space; it calls through them.
struct SocketTask: Sendable {
  let capabilities: SocketCapTask

  init() throws(RPCError) { capabilities = try SocketCapTask() }

  /// A generated client (`FSClient.init(transport:)`, …) for calls on `name`. Choosing the
  /// transport is this one line; the generated code is the same as on L4.
  func client<Client>(for name: CapabilityName, _ makeClient: (SocketCapabilityClient) -> Client) throws(RPCError)
    -> Client
  {
    makeClient(try capabilities.client(for: name))
  }

  /// The names this task has been told are dead (dead-name notifications), in name order. A
  /// notification comes when the port hangs up, which may lag the server's answer by a moment:
  /// this waits up to `patience` for each of `expected` to arrive.
  func waitForDeadNames(_ expected: Set<CapabilityName>, patience: Duration = .seconds(5)) -> [CapabilityName] {
    let deadline = ContinuousClock.now + patience
    var dead: Set<CapabilityName> = []
    while !expected.isSubset(of: dead), ContinuousClock.now < deadline {
      for entry in capabilities.notifications.wait(until: deadline).entries {
        if case .deadName(let name) = entry.event { dead.insert(name) }
      }
    }
    return dead.sorted { $0.rawValue < $1.rawValue }
  }
}

/// A server process: its bucket of objects served through a socket transport, each capability a
/// port descriptor (`SocketCapServer`).
final class SocketServerTask: ServerHost {
  let task: SocketTask
  let server: SocketCapServer
  private let published = Mutex<[CapObject]>([])

  /// Threads serving the bucket (a handler that waits, like the pipe's reader, holds one).
  init(task: SocketTask, workers: Int = 4) throws(RPCError) {
    self.task = task
    server = try SocketCapServer(task: task.capabilities)
    server.start(threads: workers)
  }

  var bucket: CapBucket { server.bucket }

  func client<Client>(for name: CapabilityName, _ makeClient: (SocketCapabilityClient) -> Client) throws(RPCError)
    -> Client
  {
    try task.client(for: name, makeClient)
  }

  func deallocate(_ name: CapabilityName) { task.capabilities.space.deallocate(name) }

  func publish(_ object: CapObject, in objectClass: CapClass) throws(ReturnCode) -> CapabilityName {
    do throws(CapError) {
      let name = try server.publish(object, in: objectClass)
      published.withLock { $0.append(object) }
      return name
    } catch {
      throw .ENOMEM
    }
  }

  /// The objects it has published that `matching` selects.
  func objects(where matching: (CapObject) -> Bool) -> [CapObject] {
    published.withLock { $0.filter(matching) }
  }

  /// Revokes every object (their holders get dead-name notifications), then stops serving.
  func shutdown() { server.shutdown() }
}
