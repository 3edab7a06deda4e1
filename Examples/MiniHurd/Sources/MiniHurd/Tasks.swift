// The modelled system: one L4 kernel, one capability system, and tasks in it. Each task is an
// L4 address space; a server task also serves a bucket of capabilities (HurdCap).
import Foundation
import HurdCap
import HurdRPC
import HurdRPCL4

/// The kernel and the trusted capability registry every task shares.
struct MiniSystem {
  let kernel = L4Kernel()
  let capabilities = CapabilitySystem()

  /// A new task (its own address space and capability space).
  func task(_ name: String) -> HurdTask {
    HurdTask(name: name, space: kernel.createSpace(), system: capabilities)
  }

  /// A new task serving capabilities on `workers` worker threads.
  func server(_ name: String, workers: Int = 2) -> ServerTask {
    ServerTask(task: task(name), workers: workers)
  }
}

/// A task: what it holds are names in its capability space; it calls through them.
struct HurdTask: Sendable {
  let name: String
  let space: L4AddressSpace
  let system: CapabilitySystem

  var id: TaskID { TaskID(space.number) }
  var capabilities: CapabilitySpace { system.space(for: id) }

  /// A generated client (`FSClient.init(transport:)`, …) for calls on `name` from this task.
  func client<Client>(
    for name: CapabilityName, _ makeClient: (CapabilityTransport<L4ClientTransport>) -> Client
  ) throws(RPCError) -> Client {
    let transport = try system.client(for: name, in: id) { [space, system] server in
      L4ClientTransport(space: space, server: L4ThreadID(raw: server), capabilities: system)
    }
    return makeClient(transport)
  }

  /// The names this task has been told are dead (dead-name notifications), in name order.
  func pollDeadNames() -> [CapabilityName] {
    capabilities.notifications.poll().entries.compactMap { entry -> CapabilityName? in
      if case .deadName(let name) = entry.event { name } else { nil }
    }.sorted { $0.rawValue < $1.rawValue }
  }
}

/// A server task: its bucket of objects, served by an L4 manager thread and a worker pool.
final class ServerTask: Sendable {
  let task: HurdTask
  let bucket: CapBucket
  private let transport: L4ServerTransport

  init(task: HurdTask, workers: Int) {
    self.task = task
    transport = L4ServerTransport(space: task.space, workers: workers, capabilities: task.system)
    bucket = CapBucket(system: task.system, serverTask: task.id, address: transport.endpoint.raw)
    Thread { [transport, bucket] in try? transport.serve(RequestDispatcher(bucket)) }.start()
  }

  /// Registers `object` in `objectClass` and names its receive right in this task's space: what
  /// a handler returns for a `mach_port_make_send_t` result (the caller gets a send right).
  func publish(_ object: CapObject, in objectClass: CapClass) throws(ReturnCode) -> CapabilityName {
    do throws(CapError) {
      try bucket.register(object, in: objectClass)
      return try task.capabilities.insertReceiveRight(object)
    } catch {
      throw .ENOMEM
    }
  }

  /// Gives `client` a capability to `object` (as a parent task would at start-up).
  func give(_ object: CapObject, in objectClass: CapClass, to client: HurdTask) throws(CapError) -> CapabilityName {
    try bucket.register(object, in: objectClass)
    return try bucket.give(object, to: client.id)
  }

  /// The object `name` in `client`'s space names, if this task serves it.
  func object(named name: CapabilityName, by client: HurdTask) -> CapObject? {
    guard let (server, id) = try? client.capabilities.target(of: name), server == bucket.address else { return nil }
    return bucket.object(for: id, client: client.id)
  }

  /// Revokes every object (their holders get dead-name notifications), then stops serving.
  func shutdown() {
    bucket.shutdown()
    transport.shutdown()
  }
}

extension ServerTask: ServerHost {
  func client<Client>(
    for name: CapabilityName, _ makeClient: (CapabilityTransport<L4ClientTransport>) -> Client
  ) throws(RPCError) -> Client {
    try task.client(for: name, makeClient)
  }

  func deallocate(_ name: CapabilityName) { task.capabilities.deallocate(name) }
}

/// Shows which messages carry out-of-line data (region items), as a client-side interceptor.
struct OutOfLineTrace: ClientInterceptor {
  func intercept(_ call: ClientCall, next: (ClientCall) throws(RPCError) -> Message?) throws(RPCError) -> Message? {
    Self.report("request", call.request)
    let reply = try next(call)
    if let reply { Self.report("reply", reply) }
    return reply
  }

  private static func report(_ what: String, _ message: borrowing Message) {
    for case .region(let item) in message.items {
      print("  [ipc] the \(what) carries \(item.region.count) bytes out of line (\(item.kind) of a memory region)")
    }
  }
}
