import CSocketSupport
@_spi(Transport) import HurdRPC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A process's capabilities on the socket transport: `CapabilityName` → what it stands for.
///
/// - A **send right** is a descriptor for a *port*: a socket whose other end a server watches.
///   Calls never go over the port itself; a client sends the server one end of a fresh socket
///   pair through it (a "connect" datagram) and calls over that, so one capability serves many
///   concurrent calls. Only a process that was given the descriptor can reach the object.
/// - A **receive right** is an object this process serves: a `SocketServerTransport` and a badge
///   (the `CallerIdentity` badge its callers get). `.makeSend` of it creates a new port.
///
/// Dispositions: `.copySend` attaches the descriptor (the kernel duplicates it), `.moveSend` /
/// `.moveSendOnce` also close the sender's once the message is delivered, `.makeSend` /
/// `.makeSendOnce` create a port on the named receive right, `.moveReceive` is refused
/// (objects do not migrate between servers). A received capability becomes a send right with a
/// new name in the receiver's space. A process that dies closes its descriptors: the server sees
/// the ports hang up and drops them; a holder sees a dead server's port as dead (`isDead`).
public final class SocketCapabilitySpace: @unchecked Sendable, CapabilityCodec {
  /// The process-wide space transports use by default.
  public static let process = SocketCapabilitySpace()

  enum Entry {
    case send(fd: Int32, once: Bool)
    case receive(server: SocketServerTransport, badge: UInt64)
  }

  private struct Table {
    var next: UInt32 = 1
    var entries: [UInt32: Entry] = [:]

    mutating func insert(_ entry: Entry) -> CapabilityName {
      while entries[next] != nil || next == 0 { next &+= 1 }
      let name = next
      next &+= 1
      entries[name] = entry
      return CapabilityName(rawValue: name)
    }
  }
  private let table = Locked(Table())

  public init() {}

  deinit {
    for case .send(let fd, _) in table.withLock({ $0.entries.values }) { close(fd) }
  }

  /// Names an object `server` serves: callers through ports made from it carry `badge`.
  public func insertReceiveRight(for server: SocketServerTransport, badge: UInt64) -> CapabilityName {
    table.withLock { $0.insert(.receive(server: server, badge: badge)) }
  }

  /// Takes ownership of a port descriptor (e.g. one from `SocketBootstrap`) as a send right.
  public func insertSendRight(descriptor fd: Int32) -> CapabilityName {
    table.withLock { $0.insert(.send(fd: fd, once: false)) }
  }

  /// Drops a name (closing its descriptor, if it is a send right).
  public func deallocate(_ name: CapabilityName) {
    if case .send(let fd, _)? = table.withLock({ $0.entries.removeValue(forKey: name.rawValue) }) { close(fd) }
  }

  /// Number of names in the space.
  public var count: Int { table.withLock { $0.entries.count } }

  /// Whether `name` is a send right whose server is gone (its port hung up): a dead name.
  public func isDead(_ name: CapabilityName) -> Bool {
    guard case .send(let fd, _)? = table.withLock({ $0.entries[name.rawValue] }) else { return false }
    let revents = hurd_poll(fd, hurd_poll_rdhup, 0)
    return revents > 0 && revents & Int32(hurd_poll_hup | hurd_poll_rdhup | hurd_poll_err) != 0
  }

  /// A client transport calling the object `name` (a send right) names.
  public func client(for name: CapabilityName, configuration: SocketTransportConfiguration = .default)
    throws(RPCError) -> SocketClientTransport
  {
    guard case .send(let fd, _)? = table.withLock({ $0.entries[name.rawValue] }) else {
      throw RPCError(.badArguments, "\(name) is not a send right in this capability space")
    }
    let own = fcntl(fd, F_DUPFD_CLOEXEC, 0)
    guard own >= 0 else { throw RPCError(.unsupported, "duplicating \(name)'s descriptor failed: \(errnoText(-errno))") }
    return SocketClientTransport(port: SocketPort(fd: own), configuration: configuration)
  }

  // MARK: CapabilityCodec

  func export(_ item: CapabilityItem) throws(RPCError) -> (fd: Int32, temporary: Bool, onDelivery: (@Sendable () -> Void)?) {
    guard let entry = table.withLock({ $0.entries[item.name.rawValue] }) else {
      throw RPCError(.badArguments, "no capability named \(item.name) in this space")
    }
    switch (item.disposition.action, item.disposition.right, entry) {
    case (.copy, .send, .send(let fd, _)):
      return (fd, false, nil)
    case (.move, .send, .send(let fd, _)), (.move, .sendOnce, .send(let fd, _)):
      return (fd, false, { [self] in deallocate(item.name) })
    case (.make, _, .receive(let server, let badge)):
      return (try server.makePort(badge: badge), true, nil)
    case (.move, .receive, _):
      throw RPCError(.unsupported, "a receive right cannot move between processes (objects stay with their server)")
    default:
      throw RPCError(.badArguments, "\(item.name) does not hold the right \(item.disposition) needs")
    }
  }

  func install(_ fd: Int32, disposition: CapabilityDisposition) -> CapabilityName {
    table.withLock { $0.insert(.send(fd: fd, once: disposition.right == .sendOnce)) }
  }

  func release(_ name: CapabilityName) { deallocate(name) }
}

/// A send right's port descriptor, owned by a client transport: it dials new connections to the
/// object by sending the server one end of a fresh socket pair.
final class SocketPort: Sendable {
  let fd: Int32

  init(fd: Int32) { self.fd = fd }

  deinit { close(fd) }

  /// A new connection to the port's object.
  func dial(deadline: ContinuousClock.Instant?) throws(RPCError) -> SocketConnection {
    var pair: (Int32, Int32) = (-1, -1)
    let made = withUnsafeMutablePointer(to: &pair) {
      $0.withMemoryRebound(to: Int32.self, capacity: 2) { hurd_sock_pair($0) }
    }
    guard made == 0 else { throw RPCError(.unsupported, "socketpair failed: \(errnoText(made))", phase: .send) }
    let mine = SocketConnection(fd: pair.0)
    defer { close(pair.1) }
    let port = SocketConnection(fd: fcntl(fd, F_DUPFD_CLOEXEC, 0))
    do throws(SocketConnection.Failure) {
      try port.send(Wire.connectDatagram, fds: [pair.1], deadline: deadline)
    } catch {
      switch error {
      case .timedOut: throw RPCError(.timeout, "the object's server did not take the connection in time", phase: .send)
      default: throw RPCError(.nonExistingPartner, "the capability's server is gone", phase: .send)
      }
    }
    return mine
  }
}

extension Wire {
  /// The datagram that asks a port's server to adopt the attached socket.
  static let connectDatagram: [UInt8] = {
    var bytes: [UInt8] = []
    withUnsafeBytes(of: magic.littleEndian) { bytes.append(contentsOf: $0) }
    bytes += [version, Kind.connect.rawValue, 0, 1]
    bytes += [UInt8](repeating: 0, count: headerSize - 8)
    return bytes
  }()
}
