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
    /// A receive right whose ports `maker` makes (the capability layer's objects).
    case object(maker: any SocketPortMaker, key: UInt64)
  }

  private struct Table {
    var next: UInt32 = 1
    var entries: [UInt32: Entry] = [:]
    /// The dead-name watch (`watchDeadNames`), once started.
    var deadNames: DeadNameWatch?

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
    let (entries, watch) = table.withLock { ($0.entries.values, $0.deadNames) }
    watch?.stop()
    for case .send(let fd, _) in entries { close(fd) }
  }

  /// Names an object `server` serves: callers through ports made from it carry `badge`.
  public func insertReceiveRight(for server: SocketServerTransport, badge: UInt64) -> CapabilityName {
    table.withLock { $0.insert(.receive(server: server, badge: badge)) }
  }

  /// Names a receive right whose ports `maker` makes for `key` (`.makeSend` / `.makeSendOnce`
  /// of the name ask it for a port): how the capability layer's objects get names.
  public func insertReceiveRight(for maker: any SocketPortMaker, key: UInt64) -> CapabilityName {
    table.withLock { $0.insert(.object(maker: maker, key: key)) }
  }

  /// Takes ownership of a port descriptor (e.g. one from `SocketBootstrap`) as a send right.
  public func insertSendRight(descriptor fd: Int32) -> CapabilityName {
    insertSend(fd, once: false)
  }

  private func insertSend(_ fd: Int32, once: Bool) -> CapabilityName {
    table.withLock { table in
      let name = table.insert(.send(fd: fd, once: once))
      table.deadNames?.watch(fd, name: name)
      return name
    }
  }

  /// Drops a name (closing its descriptor, if it is a send right).
  public func deallocate(_ name: CapabilityName) {
    let fd = table.withLock { table -> Int32? in
      guard case .send(let fd, _)? = table.entries.removeValue(forKey: name.rawValue) else { return nil }
      table.deadNames?.forget(fd)
      return fd
    }
    if let fd { close(fd) }
  }

  /// Calls `handler` once for each send right whose port hangs up — its server died or revoked
  /// it — from a watcher thread, including rights received later (dead-name notifications).
  /// Rights already dead when the watch starts are reported at once. One handler per space.
  public func watchDeadNames(_ handler: @escaping @Sendable (CapabilityName) -> Void) throws(RPCError) {
    let watch = try DeadNameWatch(handler)
    try table.withLock { (table) throws(RPCError) in
      guard table.deadNames == nil else {
        watch.discard()
        throw RPCError(.unsupported, "this capability space already has a dead-name watch")
      }
      table.deadNames = watch
      for (name, entry) in table.entries {
        if case .send(let fd, _) = entry { watch.watch(fd, name: CapabilityName(rawValue: name)) }
      }
    }
    watch.start()
  }

  /// The identity of the port `name` holds (a send right), to recognise a port a server made.
  public func portIdentity(of name: CapabilityName) -> SocketPortIdentity? {
    guard case .send(let fd, _)? = table.withLock({ $0.entries[name.rawValue] }) else { return nil }
    return SocketPortIdentity(descriptor: fd)
  }

  /// Whether `name` is a send-once right.
  public func isSendOnce(_ name: CapabilityName) -> Bool {
    if case .send(_, true)? = table.withLock({ $0.entries[name.rawValue] }) { true } else { false }
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
  ///
  /// A send-once right is **consumed**: the name leaves the space and the transport owns the
  /// port; its server answers only the first call made through it.
  public func client(for name: CapabilityName, configuration: SocketTransportConfiguration = .default)
    throws(RPCError) -> SocketClientTransport
  {
    let taken = table.withLock { table -> (fd: Int32, once: Bool)? in
      guard case .send(let fd, let once)? = table.entries[name.rawValue] else { return nil }
      if once {
        table.entries[name.rawValue] = nil
        table.deadNames?.forget(fd)
      }
      return (fd, once)
    }
    guard let (fd, once) = taken else {
      throw RPCError(.badArguments, "\(name) is not a send right in this capability space")
    }
    if once { return SocketClientTransport(port: SocketPort(fd: fd), configuration: configuration) }
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
    case (.make, let right, .object(let maker, let key)):
      return (try maker.makePort(for: key, sendOnce: right == .sendOnce), true, nil)
    case (.move, .receive, _):
      throw RPCError(.unsupported, "a receive right cannot move between processes (objects stay with their server)")
    default:
      throw RPCError(.badArguments, "\(item.name) does not hold the right \(item.disposition) needs")
    }
  }

  func install(_ fd: Int32, disposition: CapabilityDisposition) -> CapabilityName {
    insertSend(fd, once: disposition.right == .sendOnce)
  }

  func release(_ name: CapabilityName) { deallocate(name) }
}

/// Makes ports for receive rights it names in a `SocketCapabilitySpace` (the capability layer's
/// binding implements it, for its objects).
public protocol SocketPortMaker: AnyObject, Sendable {
  /// A new port for the object `key`: the descriptor to send (the caller closes its copy after
  /// sending). A send-once port answers one call only.
  func makePort(for key: UInt64, sendOnce: Bool) throws(RPCError) -> Int32
}

/// What identifies a port across processes: the device and inode of its socket (every copy of
/// a descriptor, in any process, refers to the same socket).
public struct SocketPortIdentity: Hashable, Sendable {
  public let device: UInt64
  public let inode: UInt64

  /// The identity of the socket `fd` refers to; nil if it cannot be inspected.
  public init?(descriptor fd: Int32) {
    var status = stat()
    guard fstat(fd, &status) == 0 else { return nil }
    device = UInt64(status.st_dev)
    inode = UInt64(status.st_ino)
  }
}

/// Watches the ports of a space's send rights for hang-ups (one thread, one epoll set; each
/// port reported at most once).
final class DeadNameWatch: @unchecked Sendable {
  private let epoll: Int32
  private let wake: Int32
  private let handler: @Sendable (CapabilityName) -> Void
  private let stopped = Locked(false)
  private static let wakeID = UInt64.max

  init(_ handler: @escaping @Sendable (CapabilityName) -> Void) throws(RPCError) {
    epoll = hurd_epoll_create()
    wake = hurd_eventfd()
    guard epoll >= 0, wake >= 0 else {
      closeAll([epoll, wake])
      throw RPCError(.unsupported, "cannot create the dead-name watch")
    }
    self.handler = handler
    _ = hurd_epoll_control(epoll, hurd_epoll_add, wake, hurd_epollin, Self.wakeID)
  }

  /// Watches `fd` (one-shot: a hang-up is reported once). Called under the space's lock.
  func watch(_ fd: Int32, name: CapabilityName) {
    _ = hurd_epoll_control(epoll, hurd_epoll_add, fd, hurd_epollrdhup | hurd_epolloneshot, UInt64(name.rawValue))
  }

  /// Stops watching `fd` (before it is closed: another copy of it would keep the watch alive).
  func forget(_ fd: Int32) { _ = hurd_epoll_control(epoll, hurd_epoll_del, fd, 0, 0) }

  func start() {
    BlockingExecutor.shared.execute { [self] in
      while true {
        var events: UInt32 = 0
        var id: UInt64 = 0
        let ready = hurd_epoll_wait_one(epoll, &events, &id, -1)
        if stopped.withLock({ $0 }) { break }
        guard ready > 0, id != Self.wakeID else { continue }
        handler(CapabilityName(rawValue: UInt32(truncatingIfNeeded: id)))
      }
      closeAll([epoll, wake])
    }
  }

  func stop() {
    stopped.withLock { $0 = true }
    _ = hurd_eventfd_signal(wake)
  }

  /// Closes a watch that was never started.
  func discard() { closeAll([epoll, wake]) }
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
