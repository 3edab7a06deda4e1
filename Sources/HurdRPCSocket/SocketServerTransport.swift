import CSocketSupport
@_spi(Transport) import HurdRPC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The server side of the cross-process transport: receive loops over Unix-domain
/// `SOCK_SEQPACKET` connections that feed a `RequestDispatcher`.
///
/// - Clients reach it through its `path` (if it has one) or through capabilities: ports made by
///   `makePort(badge:)` (see `SocketCapabilitySpace`). Every connection is watched by one epoll
///   set; each thread that calls `serve` takes one ready connection at a time, so several threads
///   form a worker pool and one slow handler never stalls other clients. Call connections are
///   edge-triggered and registered once: a call costs epoll_wait + recvmmsg + sendmsg, no
///   epoll_ctl (see "Server" in docs/socket-transport.md).
/// - `CallContext`: `caller` = (the peer's pid, the badge of the port the connection came
///   through; 0 for the path), `peerCredentials` from `SO_PEERCRED`, `deadline` from the time the
///   caller said it still waits, and a cancellation handle that fires when the caller's connection
///   hangs up during the call (it cancelled, timed out, or its process died).
/// - Replies are sent without blocking: a client that does not read its replies gets its
///   connection closed, never a server thread stuck on it.
/// - A malformed, truncated or oversized datagram closes that connection only (and every
///   descriptor it brought); other clients are unaffected.
/// - `shutdown()` ends every loop, closes every connection and removes the socket file: callers
///   waiting for a reply get `.serverDied`, later callers `.nonExistingPartner`.
public final class SocketServerTransport: ServerTransport {
  /// The socket file clients connect to (nil for a server reachable only by capabilities).
  public let path: String?
  public let configuration: SocketTransportConfiguration
  private let encoder: WireEncoder
  private let decoder: WireDecoder
  private let epoll: Int32
  /// Connections whose request is being handled, watched for hang-ups (cancellation).
  private let watcher: Int32
  /// Signalled once by `shutdown` (level-triggered: wakes every loop).
  private let wake: Int32
  private let state = Locked(State())

  private static let wakeID: UInt64 = 0
  private static let listenerID: UInt64 = 1

  private enum Role {
    case listener
    case port(badge: UInt64)
    case call(caller: CallerIdentity, credentials: PeerCredentials?)
  }

  private final class Endpoint: @unchecked Sendable {
    let id: UInt64
    let socket: SocketConnection
    let role: Role
    /// The running call's handle (guarded by the transport's state lock).
    var inFlight: CallCancellation?
    /// The watcher saw the peer hang up (guarded by the state lock).
    var hungUp = false
    /// A thread is serving it (guarded by the state lock).
    var busy = false
    /// An event arrived while it was busy: the serving thread looks again before letting go
    /// (guarded by the state lock).
    var pending = false
    /// A cancellation handle of an earlier call that nobody else holds, for the next call (only
    /// the thread serving the endpoint touches it).
    var spareCancellation: CallCancellation?
    /// Shared memory this connection's client sent lately, kept mapped (only the serving thread
    /// touches it).
    let mappings = MappingCache()
    /// Cancellation handles of calls whose reply was deferred (by request sequence; guarded by
    /// the state lock): a hang-up cancels them, as it cancels a running handler. An entry goes
    /// when its reply is sent or the connection closes.
    var deferred: [UInt64: CallCancellation] = [:]
    /// The sequence of the running call when it expects a reply and has a cancellation handle
    /// (guarded by the state lock): a deferred reply sent for it before its handler returned
    /// sets `answeredEarly`, so no `deferred` entry is made for it afterwards. One slot, not a
    /// set: only one call runs per connection, and the slot is cleared when it returns, so an
    /// early answer can neither outlive its call nor be taken for a later call's that reuses the
    /// sequence number.
    var runningSequence: UInt64?
    var answeredEarly = false

    /// The port badge a connection or port carries (0 for the listener and path connections).
    var badge: UInt64 {
      switch role {
      case .listener: 0
      case .port(let badge): badge
      case .call(let caller, _): caller.badgeID
      }
    }

    init(id: UInt64, socket: SocketConnection, role: Role) {
      self.id = id
      self.socket = socket
      self.role = role
    }
  }

  private struct State {
    var shutDown = false
    var nextID: UInt64 = 2
    var endpoints: [UInt64: Endpoint] = [:]
    var watcherStarted = false
    var loops = 0
    weak var observer: (any SocketServerObserver)?
  }

  /// A server listening at `path`. A stale socket file (nobody accepting) is replaced; a live
  /// one is an error.
  public init(path: String, configuration: SocketTransportConfiguration = .default) throws(RPCError) {
    self.path = path
    self.configuration = configuration
    encoder = configuration.encoder()
    decoder = configuration.decoder()
    (epoll, watcher, wake) = try Self.makeEventSources()
    var listener = hurd_sock_listen(path, 128)
    if listener == -EADDRINUSE {
      let probe = hurd_sock_connect(path)
      if probe >= 0 {
        close(probe)
        Self.closeEventSources(epoll, watcher, wake)
        throw RPCError(.unsupported, "a server is already listening at \(path)")
      }
      unlink(path)
      listener = hurd_sock_listen(path, 128)
    }
    guard listener >= 0 else {
      Self.closeEventSources(epoll, watcher, wake)
      throw RPCError(.unsupported, "cannot listen at \(path): \(errnoText(listener))")
    }
    let endpoint = Endpoint(id: Self.listenerID, socket: SocketConnection(fd: listener), role: .listener)
    state.withLock { $0.endpoints[Self.listenerID] = endpoint }
    _ = hurd_epoll_control(epoll, hurd_epoll_add, listener, hurd_epollin | hurd_epolloneshot, Self.listenerID)
  }

  /// A server reachable only through the ports it makes (capabilities).
  public init(configuration: SocketTransportConfiguration = .default) throws(RPCError) {
    path = nil
    self.configuration = configuration
    encoder = configuration.encoder()
    decoder = configuration.decoder()
    (epoll, watcher, wake) = try Self.makeEventSources()
  }

  deinit {
    shutdown()
    Self.closeEventSources(epoll, watcher, wake)
  }

  private static func makeEventSources() throws(RPCError) -> (Int32, Int32, Int32) {
    let epoll = hurd_epoll_create()
    let watcher = hurd_epoll_create()
    let wake = hurd_eventfd()
    guard epoll >= 0, watcher >= 0, wake >= 0 else {
      closeEventSources(epoll, watcher, wake)
      throw RPCError(.unsupported, "cannot create the server's event sources")
    }
    _ = hurd_epoll_control(epoll, hurd_epoll_add, wake, hurd_epollin, wakeID)
    _ = hurd_epoll_control(watcher, hurd_epoll_add, wake, hurd_epollin, wakeID)
    return (epoll, watcher, wake)
  }

  private static func closeEventSources(_ fds: Int32...) { closeAll(fds) }

  /// A new port to this server for the object `badge` (its callers' `CallerIdentity` badge):
  /// the returned descriptor is the capability to send (the caller closes its copy after sending).
  public func makePort(badge: UInt64) throws(RPCError) -> Int32 {
    var pair: (Int32, Int32) = (-1, -1)
    let made = withUnsafeMutablePointer(to: &pair) {
      $0.withMemoryRebound(to: Int32.self, capacity: 2) { hurd_sock_pair($0) }
    }
    guard made == 0 else { throw RPCError(.unsupported, "socketpair failed: \(errnoText(made))") }
    guard adopt(pair.0, role: .port(badge: badge)) else {
      close(pair.1)
      throw RPCError(.shutDown, "the server transport was shut down")
    }
    return pair.1
  }

  /// What the server remembers of deferred calls on its open connections: their entries (a
  /// hang-up cancels them) and early answers not yet taken by their handler's return. 0 when
  /// no deferred call waits for its reply (tests: nothing is kept after a reply).
  package var deferredCallRecords: Int {
    state.withLock { $0.endpoints.values.reduce(0) { $0 + $1.deferred.count + ($1.answeredEarly ? 1 : 0) } }
  }

  /// Connections (and ports) currently open.
  public var connectionCount: Int { state.withLock { $0.endpoints.values.count { if case .listener = $0.role { false } else { true } } } }

  /// Tells `observer` (held weakly) when call connections open and close and when ports hang up:
  /// how a capability layer keeps its reference counts (see `SocketServerObserver`). Set it
  /// before serving.
  public func observe(with observer: any SocketServerObserver) {
    state.withLock { $0.observer = observer }
  }

  /// Hangs up every port with `badge` and, with `connections`, every connection that came
  /// through one: holders see the port as dead, calls on those connections fail, and the
  /// observer hears of each as it closes. (Revocation of the object the badge stands for; a
  /// send-once port after its call.)
  public func hangUp(badge: UInt64, connections: Bool = true) {
    let victims = state.withLock { state in
      state.endpoints.values.filter { endpoint in
        switch endpoint.role {
        case .listener: false
        case .port(let portBadge): portBadge == badge
        case .call(let caller, _): connections && caller.badgeID == badge
        }
      }
    }
    for endpoint in victims { endpoint.socket.hangUp() }
  }

  // MARK: Serving

  public func serve(_ dispatcher: RequestDispatcher) throws(RPCError) {
    let startWatcher = try state.withLock { (state) throws(RPCError) -> Bool in
      guard !state.shutDown else { throw RPCError(.shutDown, "the server transport was shut down") }
      state.loops += 1
      defer { state.watcherStarted = true }
      return configuration.observesCallerHangUp && !state.watcherStarted
    }
    defer { state.withLock { $0.loops -= 1 } }
    if startWatcher { BlockingExecutor.shared.execute { [self] in watchHangUps() } }
    let buffers = DatagramBuffers(maxDatagram: configuration.maxDatagram, pairs: true)
    var request = Message(label: 0)
    var reply = Message(label: 0)
    while true {
      var events: UInt32 = 0
      var id: UInt64 = 0
      let ready = hurd_epoll_wait_one(epoll, &events, &id, -1)
      if state.withLock({ $0.shutDown }) { return }
      guard ready > 0, id != Self.wakeID, let endpoint = claim(id) else { continue }
      switch endpoint.role {
      case .listener:
        acceptAll(endpoint)
      case .port(let badge):
        takeConnect(endpoint, badge: badge, buffers)
      case .call(let caller, let credentials):
        serveCalls(endpoint, caller, credentials, dispatcher, buffers, &request, &reply)
      }
    }
  }

  public func shutdown() {
    let endpoints = state.withLock { state -> [Endpoint] in
      guard !state.shutDown else { return [] }
      state.shutDown = true
      // Busy ones are closed by the thread handling them, when it finishes.
      defer { state.endpoints = state.endpoints.filter { $0.value.busy } }
      return state.endpoints.values.filter { !$0.busy }
    }
    _ = hurd_eventfd_signal(wake)
    for endpoint in endpoints { endpoint.socket.close() }
    if let path, !endpoints.isEmpty { unlink(path) }
  }

  // MARK: Endpoints

  /// Registers a connection; false after shutdown or when the observer refuses a call
  /// connection (the descriptor is then closed).
  @discardableResult
  private func adopt(_ fd: Int32, role: Role) -> Bool {
    let (endpoint, observer) = state.withLock { state -> (Endpoint?, (any SocketServerObserver)?) in
      guard !state.shutDown else { return (nil, nil) }
      let id = state.nextID
      state.nextID += 1
      return (Endpoint(id: id, socket: SocketConnection(fd: fd), role: role), state.observer)
    }
    guard let endpoint else {
      close(fd)
      return false
    }
    if case .call(_, let credentials) = role, let observer,
      !observer.connectionOpened(endpoint.id, badge: endpoint.badge, credentials: credentials)
    {
      return false  // `endpoint` closes its socket when released
    }
    let registered = state.withLock { state -> Bool in
      guard !state.shutDown else { return false }
      state.endpoints[endpoint.id] = endpoint
      return true
    }
    guard registered else {
      if case .call = role { observer?.connectionClosed(endpoint.id, badge: endpoint.badge) }
      return false
    }
    if case .call = role, configuration.observesCallerHangUp {
      // Edge-triggered, registered once: the hang-up is reported once, whenever it happens, and a
      // call costs no epoll_ctl of its own.
      _ = hurd_epoll_control(watcher, hurd_epoll_add, fd, hurd_epollrdhup | hurd_epollet, endpoint.id)
    }
    _ = hurd_epoll_control(epoll, hurd_epoll_add, fd, Self.events(of: role), endpoint.id)
    return true
  }

  /// What the serving epoll set waits for on an endpoint. The listener and ports: one-shot
  /// (re-armed after each turn; rare). Call connections: edge-triggered, never re-armed — an
  /// event while a thread serves the connection marks it `pending` instead (see `serveCalls`).
  private static func events(of role: Role) -> UInt32 {
    if case .call = role { return hurd_epollin | hurd_epollrdhup | hurd_epollet }
    return hurd_epollin | hurd_epolloneshot
  }

  /// The endpoint whose event fired, marked busy; nil if it is gone, or busy with another
  /// thread (which is told to look again: `pending`).
  private func claim(_ id: UInt64) -> Endpoint? {
    state.withLock { state in
      guard let endpoint = state.endpoints[id] else { return nil }
      guard !endpoint.busy else {
        endpoint.pending = true
        return nil
      }
      endpoint.busy = true
      return endpoint
    }
  }

  /// Waits for the endpoint's next event again, or closes it if the server is shutting down.
  private func release(_ endpoint: Endpoint) {
    let open = state.withLock { state -> Bool in
      endpoint.busy = false
      endpoint.pending = false
      if state.shutDown { state.endpoints[endpoint.id] = nil }
      return !state.shutDown
    }
    guard open else {
      endpoint.socket.close()
      return
    }
    // For a call connection this re-queues it if datagrams are waiting (a fairness turn).
    _ = hurd_epoll_control(epoll, hurd_epoll_mod, endpoint.socket.fd, Self.events(of: endpoint.role), endpoint.id)
  }

  /// Lets go of a call connection whose queue was seen empty: true if done; false if an event
  /// arrived meanwhile (`pending`), so the caller looks again. Closes it if the server is
  /// shutting down.
  private func finishCalls(_ endpoint: Endpoint) -> Bool {
    let outcome = state.withLock { state -> Bool? in
      if state.shutDown {
        endpoint.busy = false
        state.endpoints[endpoint.id] = nil
        return nil
      }
      if endpoint.pending {
        endpoint.pending = false
        return false
      }
      endpoint.busy = false
      return true
    }
    guard let done = outcome else {
      endpoint.socket.close()
      return true
    }
    return done
  }

  /// Drops a connection (its peer left, or misbehaved); closing it also removes it from epoll.
  private func drop(_ endpoint: Endpoint) {
    let (observer, deferred) = state.withLock { state -> ((any SocketServerObserver)?, [CallCancellation]) in
      let known = state.endpoints.removeValue(forKey: endpoint.id) != nil
      defer { endpoint.deferred = [:] }
      return (known ? state.observer : nil, Array(endpoint.deferred.values))
    }
    endpoint.socket.close()
    for handle in deferred { handle.cancel() }  // nobody will take those replies
    guard let observer else { return }
    switch endpoint.role {
    case .listener: break
    case .port(let badge): observer.portClosed(badge: badge)
    case .call: observer.connectionClosed(endpoint.id, badge: endpoint.badge)
    }
  }

  private func acceptAll(_ listener: Endpoint) {
    while true {
      let fd = hurd_sock_accept(listener.socket.fd)
      guard fd >= 0 else { break }
      adopt(fd, role: Self.callRole(fd, badge: 0))
    }
    release(listener)
  }

  private static func callRole(_ fd: Int32, badge: UInt64) -> Role {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    guard hurd_sock_peer_credentials(fd, &pid, &uid, &gid) == 0 else {
      return .call(caller: CallerIdentity(domain: .max, badge: badge), credentials: nil)
    }
    return .call(
      caller: CallerIdentity(domain: UInt64(UInt32(bitPattern: pid)), badge: badge),
      credentials: PeerCredentials(processID: pid, userID: uid, groupID: gid))
  }

  /// A port delivers "connect" datagrams, each with one socket to adopt as a call connection.
  private func takeConnect(_ port: Endpoint, badge: UInt64, _ buffers: DatagramBuffers) {
    while true {
      let fds: [Int32]
      let count: Int
      do throws(SocketConnection.Failure) {
        (count, fds) = try port.socket.receive(into: buffers, deadline: nil, blocking: false)
      } catch {
        if case .timedOut = error { break }
        drop(port)  // the holder closed the capability, or sent something truncated
        return
      }
      let datagram = UnsafeRawBufferPointer(start: buffers.receive.baseAddress, count: count)
      guard fds.count == 1, datagram.elementsEqual(Wire.connectDatagram) else {
        closeAll(fds)
        drop(port)
        return
      }
      adopt(fds[0], role: Self.callRole(fds[0], badge: badge))
    }
    release(port)
  }

  /// Calls one connection may have served in a row before it goes back to the end of the
  /// queue, so a client streaming one-way messages cannot keep a worker from the others.
  private static let turnLength = 16

  /// Serves a ready call connection until its queue is empty (or its turn is over). Edge-triggered
  /// events report arrivals, not a level, so every datagram that arrived before the event was
  /// taken must be read now: `receiveTwo` takes the next one and says in the same system call
  /// whether another waits behind it. Arrivals after that raise a new event, which goes to a
  /// free thread, or — while this one is busy here — sets `pending`, checked before letting go.
  private func serveCalls(
    _ endpoint: Endpoint, _ caller: CallerIdentity, _ credentials: PeerCredentials?, _ dispatcher: RequestDispatcher,
    _ buffers: DatagramBuffers, _ request: inout Message, _ reply: inout Message
  ) {
    var served = 0
    while true {
      let received: (first: SocketConnection.Received, second: SocketConnection.Received?)
      do throws(SocketConnection.Failure) {
        received = try endpoint.socket.receiveTwo(into: buffers)
      } catch {
        if case .timedOut = error {  // nothing (more) to read
          if finishCalls(endpoint) { return }
          continue
        }
        drop(endpoint)
        return
      }
      guard case .datagram(let count, let fds) = received.first, count > 0,
        handle(endpoint, caller, credentials, dispatcher, buffers.datagram(0, count: count), fds, buffers, &request, &reply)
      else {
        // End of file, a datagram over the limits, or one the handler rejected: the connection
        // goes, with whatever else arrived on it.
        if case .datagram(_, let fds)? = received.second { closeAll(fds) }
        drop(endpoint)
        return
      }
      served += 1
      guard let second = received.second else {
        // The queue was empty after the first: done unless something arrived since.
        if finishCalls(endpoint) { return }
        continue
      }
      guard case .datagram(let count, let fds) = second, count > 0,
        handle(endpoint, caller, credentials, dispatcher, buffers.datagram(1, count: count), fds, buffers, &request, &reply)
      else {
        drop(endpoint)
        return
      }
      served += 1
      if served >= Self.turnLength {
        release(endpoint)
        return
      }
    }
  }

  /// Decodes one request, runs the handler and sends its reply; false if the connection must
  /// be dropped (malformed request, reply not deliverable).
  private func handle(
    _ endpoint: Endpoint, _ caller: CallerIdentity, _ credentials: PeerCredentials?, _ dispatcher: RequestDispatcher,
    _ datagram: UnsafeRawBufferPointer, _ fds: [Int32], _ buffers: DatagramBuffers, _ request: inout Message,
    _ reply: inout Message
  ) -> Bool {
    let socket = endpoint.socket
    let header: (kind: Wire.Kind, sequence: UInt64, waitMicroseconds: UInt64)
    do throws(RPCError) {
      header = try decoder.decode(datagram, fds: fds, into: &request, keepingIn: endpoint.mappings)
    } catch {
      return false
    }
    guard header.kind == .call || header.kind == .oneWay else { return false }
    let expectsReply = header.kind == .call
    var cancellation: CallCancellation? = nil
    if configuration.observesCallerHangUp {
      cancellation = endpoint.spareCancellation.take() ?? CallCancellation()
    }
    if let cancellation {
      // A hang-up the watcher saw before this call began cancels it at once.
      let hungUp = state.withLock { _ -> Bool in
        endpoint.inFlight = cancellation
        endpoint.runningSequence = expectsReply ? header.sequence : nil
        return endpoint.hungUp
      }
      if hungUp { cancellation.cancel() }
    }
    let deadline: ContinuousClock.Instant? =
      header.waitMicroseconds == 0 ? nil : .now.advanced(by: .microseconds(Int64(clamping: header.waitMicroseconds)))
    let answer = respond(
      dispatcher, &request, &reply, caller, credentials, expectsReply, deadline, cancellation,
      // The connection is the caller's "thread" key: a client transport runs one call at a time
      // on a connection. The route lets a handler answer later (`sendDeferredReply`).
      replyRoute: expectsReply ? ReplyRoute(router: self, caller: endpoint.id, replier: header.sequence) : nil,
      callerThreadKey: endpoint.id)
    if cancellation != nil {
      // Without a cancellation handle (hang-ups not observed) a deferred call needs no entry.
      let deferred = !answer && expectsReply
      state.withLock { _ in
        endpoint.inFlight = nil
        endpoint.runningSequence = nil
        let answeredEarly = endpoint.answeredEarly
        endpoint.answeredEarly = false
        // A client reusing a sequence still deferred (only a hostile one does) keeps the first.
        if deferred, !answeredEarly, endpoint.deferred[header.sequence] == nil, let cancellation {
          endpoint.deferred[header.sequence] = cancellation
        }
      }
      // Kept for the next call if the handler left nothing behind (no reference — a deferred
      // reply's entry is one —, no handler, not cancelled).
      if isKnownUniquelyReferenced(&cancellation), cancellation?.isUnused == true {
        endpoint.spareCancellation = cancellation
      }
    }
    // A request that failed (the demux refused it, or its handler returned an error) did not
    // consume the rights it carried: release them, as GNU MIG's server loop destroys a request
    // whose reply carries an error — and as the L4 transport does. A handler keeps what it
    // received only by succeeding (or deferring its reply: MIG_NO_REPLY).
    let code = reply.replyReturnCode
    if code != .success, code != .migNoReply, let capabilities = decoder.capabilities {
      for case .capability(let item) in request.items { capabilities.release(item.name) }
    }
    request.reset(label: 0)  // drop the request's items (mappings, capabilities) now
    guard answer else { return true }
    defer { reply.reset(label: 0) }
    return sendReply(&reply, to: socket, sequence: header.sequence, buffers)
  }

  /// Runs the handler; its context (and what it holds) ends here.
  private func respond(
    _ dispatcher: RequestDispatcher, _ request: inout Message, _ reply: inout Message, _ caller: CallerIdentity,
    _ credentials: PeerCredentials?, _ expectsReply: Bool, _ deadline: ContinuousClock.Instant?,
    _ cancellation: CallCancellation?, replyRoute: ReplyRoute?, callerThreadKey: UInt64
  ) -> Bool {
    let context = CallContext(
      caller: caller, requestLabel: request.label, expectsReply: expectsReply, deadline: deadline,
      cancellation: cancellation, replyRoute: replyRoute, peerCredentials: credentials,
      callerThreadKey: callerThreadKey)
    return dispatcher.respond(to: request, reply: &reply, context: context)
  }

  /// Sends a reply without blocking; false if it could not be delivered (the connection is then
  /// dropped: its client is gone or not reading).
  private func sendReply(_ reply: inout Message, to socket: SocketConnection, sequence: UInt64, _ buffers: DatagramBuffers)
    -> Bool
  {
    guard let outgoing = encodeReply(&reply, { (reply) throws(RPCError) in
      try encoder.encode(reply, kind: .reply, sequence: sequence, waitMicroseconds: 0, into: buffers.send)
    }) else { return false }
    do throws(SocketConnection.Failure) {
      try socket.send(
        UnsafeRawBufferPointer(start: buffers.send.baseAddress, count: outgoing.byteCount), fds: outgoing.fds,
        deadline: nil, nonBlocking: true)
    } catch {
      outgoing.finish(delivered: false)
      return false
    }
    outgoing.finish(delivered: true)
    return true
  }

  /// Encodes `reply` with `encode`; a reply the transport cannot carry becomes an error reply,
  /// as on L4.
  private func encodeReply(
    _ reply: inout Message, _ encode: (borrowing Message) throws(RPCError) -> OutgoingMessage
  ) -> OutgoingMessage? {
    do throws(RPCError) {
      return try encode(reply)
    } catch {
      reply.resetAsReply(to: reply.label &- Message.replyLabelOffset, returnCode: error.wireReturnCode)
      do throws(RPCError) {
        return try encode(reply)
      } catch {
        return nil
      }
    }
  }

  /// Cancels the running call of a connection that hangs up (caller cancelled, timed out, died).
  private func watchHangUps() {
    while true {
      var events: UInt32 = 0
      var id: UInt64 = 0
      let ready = hurd_epoll_wait_one(watcher, &events, &id, -1)
      if state.withLock({ $0.shutDown }) {
        // Running handlers still learn that nobody will take their reply.
        for handle in state.withLock({ $0.endpoints.values.compactMap(\.inFlight) }) { handle.cancel() }
        return
      }
      guard ready > 0, id != Self.wakeID else { continue }
      let handle = state.withLock { state -> CallCancellation? in
        guard let endpoint = state.endpoints[id] else { return nil }
        endpoint.hungUp = true
        return endpoint.inFlight
      }
      handle?.cancel()
    }
  }
}

extension SocketServerTransport: ReplyRouter {
  /// A deferred reply: sent without blocking on the connection the call came in on, with the
  /// request's sequence number. A caller that hung up or does not read loses it
  /// (`.nonExistingPartner` / `.timeout`), and its connection is hung up; the server never blocks.
  public func sendDeferredReply(_ reply: Message, along route: ReplyRoute) throws(RPCError) {
    let endpoint = state.withLock { state -> Endpoint? in
      guard let endpoint = state.endpoints[route.callerID] else { return nil }
      if endpoint.deferred.removeValue(forKey: route.replierID) == nil, endpoint.runningSequence == route.replierID {
        endpoint.answeredEarly = true  // its handler has not returned yet
      }
      return endpoint
    }
    guard let endpoint else { throw RPCError(.nonExistingPartner, "the caller hung up before the deferred reply") }
    var reply = reply
    var bytes: [UInt8] = []
    guard
      let outgoing = encodeReply(&reply, { (reply) throws(RPCError) in
        try encoder.encode(reply, kind: .reply, sequence: route.replierID, waitMicroseconds: 0, into: &bytes)
      })
    else {
      throw RPCError(.badArguments, "the deferred reply cannot be encoded")
    }
    do throws(SocketConnection.Failure) {
      try endpoint.socket.sendIfOpen(bytes, fds: outgoing.fds)
    } catch {
      outgoing.finish(delivered: false)
      endpoint.socket.hangUp()
      if case .timedOut = error { throw RPCError(.timeout, "the caller is not reading its replies", phase: .send) }
      throw RPCError(.nonExistingPartner, "the caller hung up before the deferred reply", phase: .send)
    }
    outgoing.finish(delivered: true)
  }
}

/// What a capability layer learns from a `SocketServerTransport` (`observe(with:)`): the
/// lifetimes of call connections and ports, which are its clients' references. Called on the
/// serving threads, never while the transport holds a lock.
public protocol SocketServerObserver: AnyObject, Sendable {
  /// A call connection arrived through the port `badge` (0: through the server's path), from the
  /// process `credentials` names. Returning false closes it at once (no call is read from it).
  func connectionOpened(_ connection: UInt64, badge: UInt64, credentials: PeerCredentials?) -> Bool
  /// A call connection that `connectionOpened` accepted closed (hang-up, kill, misbehaviour, or
  /// `hangUp(badge:)`). Not reported after `shutdown()`.
  func connectionClosed(_ connection: UInt64, badge: UInt64)
  /// The port `badge` closed: every holder's descriptor is gone (or `hangUp(badge:)` ended it).
  /// Not reported after `shutdown()`.
  func portClosed(badge: UInt64)
}
