@_spi(Transport) import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A `CapBucket` served to other processes through a `SocketServerTransport`: the same classes,
/// objects, handlers, inhibition, revocation, deferred replies and limits as on L4, with each
/// capability a **port descriptor** (docs/socket-transport.md, "Capabilities of the cap library").
///
/// - **References.** Every port of an object is one reference, held in the bucket's namespace of
///   `descriptorHolder` (the kernel carries the descriptors, so the server cannot know which
///   process holds a copy; the port hangs up when the last copy anywhere is closed). Every call
///   connection is one reference in the namespace of the **client task** it came from. An object
///   whose ports and connections are all gone gets its no-senders notification (process death
///   included: the kernel closes the dead process's descriptors).
/// - **Client tasks.** A client task is a connection group: the connections from one process
///   (pid from `SO_PEERCRED` plus its start time, so a reused pid is another task). When its
///   last connection closes, `CapabilitySystem.taskDied` runs for it; if the process connects
///   again later it is a new task with a fresh namespace.
/// - **Calls.** The port a connection came through names the object (its badge), so the client
///   sends no capability id; the binding puts the connection's id in word 0 and the bucket
///   checks it as on L4 — a revoked object answers `capDied`, a used send-once right `capInvalid`,
///   before any handler runs.
/// - **Revocation** (`bucket.revoke`, `bucket.shutdown`) hangs up the object's ports: every
///   holder's port is dead at once (dead-name notification in its process; new calls fail
///   `capDied`), and calls on connections still open answer `capDied` from the bucket.
public final class SocketCapServer: Demultiplexer, SocketServerObserver, SocketPortMaker, @unchecked Sendable {
  /// The task whose namespace holds one reference per port of the bucket's objects.
  public static let descriptorHolder: TaskID = 1 << 63

  public let task: SocketCapTask
  public let bucket: CapBucket
  public let transport: SocketServerTransport

  private let lock = PThreadMutex()
  // Guarded by `lock`.
  private var state = State()

  private struct Port {
    let object: CapObject
    let holderID: CapabilityID
    let once: Bool
    var used = false
  }

  private struct Connection {
    let task: TaskID
    let id: CapabilityID
    let badge: UInt64
    let process: ProcessKey
    /// Came through a send-once port.
    let once: Bool
    /// Its send-once port's one call was made (through this connection or another).
    var spent = false
  }

  private struct ProcessKey: Hashable {
    let pid: Int32
    let startTime: UInt64
  }

  private struct Group {
    let task: TaskID
    var connections = 0
  }

  private struct State {
    var ports: [UInt64: Port] = [:]
    var portsByIdentity: [SocketPortIdentity: UInt64] = [:]
    var identities: [UInt64: SocketPortIdentity] = [:]
    var portsOfObject: [ObjectIdentifier: Set<UInt64>] = [:]
    var connections: [UInt64: Connection] = [:]
    var groups: [ProcessKey: Group] = [:]
    var nextBadge: UInt64 = 1
    var bootstrap: (object: CapObject, holderID: CapabilityID)?
    /// Receive-right names: key → object, and the object's name.
    var receiveKeys: [UInt64: CapObject] = [:]
    var receiveNames: [ObjectIdentifier: (key: UInt64, name: CapabilityName)] = [:]
    var nextKey: UInt64 = 1
  }

  /// A server for `task`, reachable at `path` (its bootstrap object, `setBootstrap`) and through
  /// the ports it hands out. Start it with `start(threads:)` (or serve `transport` yourself with
  /// `RequestDispatcher(server)`).
  public init(
    task: SocketCapTask, path: String? = nil, limits: CapLimits = .default,
    configuration: SocketTransportConfiguration = .default
  ) throws(RPCError) {
    let configuration = task.configuration(configuration)
    let transport =
      if let path { try SocketServerTransport(path: path, configuration: configuration) } else {
        try SocketServerTransport(configuration: configuration)
      }
    let relay = RevocationRelay()
    self.task = task
    self.transport = transport
    // The address only has to be unique among the process's buckets.
    bucket = CapBucket(
      system: task.system, serverTask: task.task, address: UInt64(UInt(bitPattern: ObjectIdentifier(transport).hashValue)),
      limits: limits, revocationObserver: { relay.server?.revoked($0) })
    relay.server = self
    transport.observe(with: self)
  }

  /// Serves on `threads` threads (a worker pool: one slow handler never stalls other clients).
  public func start(threads: Int = 2) {
    let dispatcher = RequestDispatcher(self)
    for _ in 0..<max(1, threads) {
      BlockingExecutor.shared.execute { [transport] in try? transport.serve(dispatcher) }
    }
  }

  /// Revokes every object (holders' ports hang up: dead names), then stops the transport.
  public func shutdown() {
    bucket.shutdown()
    transport.shutdown()
  }

  // MARK: Objects

  /// Registers `object` in `objectClass` and names its receive right: what a handler returns
  /// for a `mach_port_make_send_t` result (the caller gets a port).
  public func publish(_ object: CapObject, in objectClass: CapClass) throws(CapError) -> CapabilityName {
    try bucket.register(object, in: objectClass)
    return try receiveRight(for: object)
  }

  /// The name of `object`'s receive right in the task's space (the same name each time):
  /// sending it `.makeSend` / `.makeSendOnce` makes a port.
  public func receiveRight(for object: CapObject) throws(CapError) -> CapabilityName {
    guard object.objectClass != nil, !object.isRevoked else { throw CapError.objectRevoked }
    return lock.withLock {
      if let (_, name) = state.receiveNames[ObjectIdentifier(object)] { return name }
      let key = state.nextKey
      state.nextKey += 1
      let name = task.space.insertReceiveRight(for: self, key: key)
      state.receiveKeys[key] = object
      state.receiveNames[ObjectIdentifier(object)] = (key, name)
      return name
    }
  }

  /// Path connections reach `object` (the analogue of the Hurd's root filesystem port). The path
  /// holds one reference to it until the server shuts down or the object is revoked.
  public func setBootstrap(_ object: CapObject) throws(CapError) {
    let holderID = try bucket.inject(object, into: Self.descriptorHolder)
    let previous = lock.withLock {
      defer { state.bootstrap = (object, holderID) }
      return state.bootstrap
    }
    if let previous { bucket.release(previous.holderID, from: Self.descriptorHolder) }
  }

  /// A new port to `object`: a descriptor to hand to another process (e.g. inherited by a child
  /// it spawns), which installs it with `space.insertSendRight(descriptor:)`. The caller owns
  /// and closes this copy. A send-once port answers one call.
  public func makePort(for object: CapObject, sendOnce: Bool = false) throws(RPCError) -> Int32 {
    let holderID: CapabilityID
    do throws(CapError) {
      holderID = try bucket.inject(object, into: Self.descriptorHolder)
    } catch {
      throw RPCError(.returnCode(.capDied), "the object is revoked or not registered: \(error)")
    }
    let badge = lock.withLock {
      let badge = state.nextBadge
      state.nextBadge += 1
      state.ports[badge] = Port(object: object, holderID: holderID, once: sendOnce)
      state.portsOfObject[ObjectIdentifier(object), default: []].insert(badge)
      return badge
    }
    let fd: Int32
    do throws(RPCError) {
      fd = try transport.makePort(badge: badge)
    } catch {
      portClosed(badge: badge)
      throw error
    }
    if let identity = SocketPortIdentity(descriptor: fd) {
      lock.withLock {
        state.portsByIdentity[identity] = badge
        state.identities[badge] = identity
      }
    }
    // Revoked between the reference and the port's registration: the revocation did not see it.
    if object.isRevoked { transport.hangUp(badge: badge) }
    return fd
  }

  /// `SocketPortMaker`: a port for the receive right `key` names.
  public func makePort(for key: UInt64, sendOnce: Bool) throws(RPCError) -> Int32 {
    guard let object = lock.withLock({ state.receiveKeys[key] }) else {
      throw RPCError(.returnCode(.capDied), "the object was revoked")
    }
    return try makePort(for: object, sendOnce: sendOnce)
  }

  /// The object `name` stands for when this server serves it: a port it made (come back from a
  /// client) or one of its receive-right names. What a server's `intran` wants.
  public func object(named name: CapabilityName) -> CapObject? {
    let identity = task.space.portIdentity(of: name)
    return lock.withLock { () -> CapObject? in
      if let identity, let badge = state.portsByIdentity[identity], let port = state.ports[badge] {
        return port.object.isRevoked ? nil : port.object
      }
      return state.receiveNames.first { $0.value.name == name }.flatMap { state.receiveKeys[$0.value.key] }
    }
  }

  /// The task of the live connection group of process `pid` (for `bucket.inhibit(.client(…))`).
  public func clientTask(ofProcess pid: Int32) -> TaskID? {
    lock.withLock { state.groups.first { $0.key.pid == pid }?.value.task }
  }

  /// Ports of this server open now (each one a reference).
  public var portCount: Int { lock.withLock { state.ports.count } }

  /// Client tasks (connection groups) connected now.
  public var clientTaskCount: Int { lock.withLock { state.groups.count } }

  /// Everything kept per client task, here, in the bucket and in the capability system
  /// (connection groups and connections, client namespaces, task records): it returns to its
  /// baseline once the tasks that came are gone (tests).
  package var taskRecordCount: Int {
    lock.withLock { state.groups.count + state.connections.count } + bucket.clientTableCount
      + task.system.taskRecordCount
  }

  // MARK: Demultiplexer

  public func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    let (connection, consumed) = try lock.withLock { () throws(RPCError) -> (Connection, Bool) in
      guard let connection = state.connections[context.callerThreadKey] else {
        throw RPCError(.returnCode(.capInvalid), "the connection names no capability")
      }
      guard connection.once else { return (connection, false) }
      guard !connection.spent else {
        throw RPCError(.returnCode(.capInvalid), "the send-once right was already used")
      }
      state.ports[connection.badge]?.used = true
      for (key, other) in state.connections where other.badge == connection.badge { state.connections[key]!.spent = true }
      return (connection, true)
    }
    // A send-once port is good for this call only: no more connections through it.
    if consumed { transport.hangUp(badge: connection.badge, connections: false) }
    let addressed = try request.addressed(to: connection.id)
    let context = CallContext(
      caller: CallerIdentity(domain: connection.task, badge: connection.badge), requestLabel: context.requestLabel,
      expectsReply: context.expectsReply, deadline: context.deadline, cancellation: context.cancellation,
      replyRoute: context.replyRoute, peerCredentials: context.peerCredentials,
      callerThreadKey: context.callerThreadKey)
    try bucket.dispatch(addressed, reply: &reply, context: context)
  }

  // MARK: SocketServerObserver

  public func connectionOpened(_ connection: UInt64, badge: UInt64, credentials: PeerCredentials?) -> Bool {
    guard let credentials else { return false }
    let process = ProcessKey(pid: credentials.processID, startTime: Self.startTime(of: credentials.processID))
    let (accepted, unusedTask) = lock.withLock { () -> (Bool, unusedTask: TaskID?) in
      let object: CapObject
      var once = false
      if badge == 0 {
        guard let bootstrap = state.bootstrap else { return (false, nil) }
        object = bootstrap.object
      } else {
        guard let port = state.ports[badge], !(port.once && port.used) else { return (false, nil) }
        object = port.object
        once = port.once
      }
      // A new connection group is a new task: a number never used before, so nothing of an
      // earlier group of the same process (or of anyone) can apply to it.
      let group = state.groups[process]?.task
      let clientTask = group ?? task.system.newTask()
      // The bucket's lock is taken inside ours (never the other way round).
      guard let id = try? bucket.inject(object, into: clientTask) else { return (false, group == nil ? clientTask : nil) }
      state.groups[process, default: Group(task: clientTask)].connections += 1
      state.connections[connection] = Connection(task: clientTask, id: id, badge: badge, process: process, once: once)
      return (true, nil)
    }
    if let unusedTask { task.system.taskDied(unusedTask) }  // so the system forgets it
    return accepted
  }

  public func connectionClosed(_ connection: UInt64, badge: UInt64) {
    let closed = lock.withLock { () -> (Connection, lastOfTask: Bool)? in
      guard let record = state.connections.removeValue(forKey: connection) else { return nil }
      state.groups[record.process]!.connections -= 1
      guard state.groups[record.process]!.connections == 0 else { return (record, false) }
      state.groups[record.process] = nil
      return (record, true)
    }
    guard let (record, last) = closed else { return }
    bucket.release(record.id, from: record.task)
    if last { task.system.taskDied(record.task) }
  }

  public func portClosed(badge: UInt64) {
    let port = lock.withLock { () -> Port? in
      guard let port = state.ports.removeValue(forKey: badge) else { return nil }
      if let identity = state.identities.removeValue(forKey: badge) { state.portsByIdentity[identity] = nil }
      let key = ObjectIdentifier(port.object)
      state.portsOfObject[key]?.remove(badge)
      if state.portsOfObject[key]?.isEmpty == true { state.portsOfObject[key] = nil }
      return port
    }
    if let port { bucket.release(port.holderID, from: Self.descriptorHolder) }
  }

  // MARK: Revocation

  /// The bucket revoked `object`: its ports hang up (holders see dead names; the transport
  /// reports each closing, which releases the dead references), and its receive-right name
  /// goes away.
  fileprivate func revoked(_ object: CapObject) {
    let (badges, name, bootstrapID) = lock.withLock { () -> (Set<UInt64>, CapabilityName?, CapabilityID?) in
      let key = ObjectIdentifier(object)
      let receive = state.receiveNames.removeValue(forKey: key)
      if let receive { state.receiveKeys[receive.key] = nil }
      var bootstrapID: CapabilityID? = nil
      if let bootstrap = state.bootstrap, bootstrap.object === object {
        bootstrapID = bootstrap.holderID
        state.bootstrap = nil
      }
      return (state.portsOfObject[key] ?? [], receive?.name, bootstrapID)
    }
    // Only the ports: a call in flight on a connection (the revoking handler's own) still gets
    // its reply, and later calls on open connections get `capDied` from the bucket, as on L4.
    for badge in badges { transport.hangUp(badge: badge, connections: false) }
    if let name { task.space.deallocate(name) }
    if let bootstrapID { bucket.release(bootstrapID, from: Self.descriptorHolder) }  // frees the dead slot
  }

  /// The process's start time (clock ticks after boot, field 22 of `/proc/PID/stat`): with the
  /// pid, it names one process for the whole life of the system. 0 if it cannot be read.
  static func startTime(of pid: Int32) -> UInt64 {
    let fd = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 1024)
    let count = read(fd, &buffer, buffer.count)
    guard count > 0, let end = buffer[0..<count].lastIndex(of: UInt8(ascii: ")")) else { return 0 }
    // After "pid (comm)": field 3 (state) is the first; the start time is field 22.
    let fields = buffer[(end + 1)..<count].split(separator: UInt8(ascii: " "))
    guard fields.count > 19 else { return 0 }
    return UInt64(String(decoding: fields[19], as: UTF8.self)) ?? 0
  }
}

/// Lets the bucket's revocation observer reach the server that owns it (made before it).
private final class RevocationRelay: @unchecked Sendable {
  weak var server: SocketCapServer?
}
