@_spi(Transport) import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// This process as a task of the capability layer on the socket transport: its capability
/// system (the buckets it serves), its capability space (the port descriptors it holds) and its
/// notification queue — dead-name events for held capabilities whose server died or revoked them,
/// no-senders events for the objects it serves. See docs/socket-transport.md.
///
/// One per process (a second one needs its own `SocketCapabilitySpace`, as in tests that model
/// several tasks in one process).
public final class SocketCapTask: Sendable {
  /// The process-local registry: the buckets this process serves, and its own notification queue.
  public let system: CapabilitySystem
  /// This process's task id in `system` (its pid; the tasks of its clients are numbered apart).
  public let task: TaskID
  /// The names this process holds (send rights are port descriptors; receive rights are objects
  /// of its buckets). Transports of this task carry capabilities in and out of it.
  public let space: SocketCapabilitySpace

  /// Dead-name, no-senders and server-defined events for this process.
  public var notifications: NotificationQueue { system.space(for: task).notifications }

  /// Starts watching `space`'s send rights: a port that hangs up posts `.deadName(name)` once.
  public init(
    system: CapabilitySystem = CapabilitySystem(), space: SocketCapabilitySpace = .process
  ) throws(RPCError) {
    self.system = system
    self.space = space
    task = TaskID(UInt32(bitPattern: getpid()))
    let queue = system.space(for: task).notifications
    try space.watchDeadNames { name in queue.post(.deadName(name)) }
  }

  /// The configuration of this task's transports: capabilities go through `space`.
  public func configuration(_ base: SocketTransportConfiguration = .default) -> SocketTransportConfiguration {
    var configuration = base
    configuration.capabilities = space
    return configuration
  }

  /// A client transport for calls on the send right `name` (build a generated client on it).
  /// A dead name throws `ReturnCode.capDied`; calls fail with it once the capability dies (its
  /// port hangs up), as a revoked capability's calls do on L4. A send-once right is consumed.
  public func client(for name: CapabilityName, configuration: SocketTransportConfiguration = .default)
    throws(RPCError) -> SocketCapabilityClient
  {
    if space.isDead(name) { throw RPCError(.returnCode(.capDied), "\(name) is a dead name") }
    return SocketCapabilityClient(
      base: try space.client(for: name, configuration: self.configuration(configuration)), throughPort: true)
  }

  /// A client of the bootstrap object of the server at `path` (`SocketCapServer.setBootstrap`):
  /// how a process gets its first capability.
  public func client(path: String, configuration: SocketTransportConfiguration = .default) -> SocketCapabilityClient {
    SocketCapabilityClient(
      base: SocketClientTransport(path: path, configuration: self.configuration(configuration)), throughPort: false)
  }
}

/// A client transport for one capability on the socket transport. A call through a port whose
/// server is gone (the port hung up: revoked, shut down, or the server process died) fails with
/// `ReturnCode.capDied`, as on L4; a server that dies during a call gives `.serverDied`. As with
/// `CapabilityTransport`, a call cancelled after its request went out fails `.aborted` (the
/// server's handler saw the cancellation), one cancelled before `.cancelled`.
public struct SocketCapabilityClient: ClientTransport {
  public let base: SocketClientTransport
  let throughPort: Bool

  public func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    do throws(RPCError) {
      return try base.call(request, options: options)
    } catch {
      throw died(error)
    }
  }

  public func send(_ message: Message, options: CallOptions) throws(RPCError) {
    do throws(RPCError) {
      try base.send(message, options: options)
    } catch {
      throw died(error)
    }
  }

  private func died(_ error: RPCError) -> RPCError {
    guard throughPort, error.code == .nonExistingPartner else { return error.abortedIfDelivered() }
    return RPCError(.returnCode(.capDied), "the capability died (its port hung up)", phase: error.phase, cause: error)
  }
}
