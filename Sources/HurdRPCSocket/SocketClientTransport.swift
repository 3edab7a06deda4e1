import CSocketSupport
@_spi(Transport) import HurdRPC
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// The client side of the cross-process transport: calls a server in another process over
/// Unix-domain `SOCK_SEQPACKET` connections.
///
/// Each call takes an idle connection (or opens one: `connect` to the server's path, or a dial
/// through a capability's port) and gives it back afterwards, so concurrent callers use separate
/// connections and a thread's calls stay in order on one. A call that ends abnormally — timeout,
/// cancellation, a malformed reply — closes its connection: a late reply can never be taken for
/// another call's, and the server sees the hang-up (its handler is cancelled).
///
/// Errors: the server cannot be reached → `.nonExistingPartner` (send phase); the server's process
/// died or shut down after the request was sent → `.serverDied` (receive phase); limits →
/// `.timeout` with the phase; a cancel → `.cancelled` with the phase it hit (a datagram is sent
/// whole or not at all, so there is no partial transfer to report as `.aborted`).
public final class SocketClientTransport: ClientTransport {
  enum Endpoint {
    case path(String)
    case port(SocketPort)
  }

  let endpoint: Endpoint
  public let configuration: SocketTransportConfiguration
  private let encoder: WireEncoder
  private let decoder: WireDecoder
  private let idle = Locked<[ClientConnection]>([])
  /// The connection given back last (the address of a retained `ClientConnection`, 0: none),
  /// taken and given back without a lock: the common case of one thread calling in a loop.
  /// Others wait in `idle`.
  private let lastIdle = Atomic<UInt>(0)

  final class ClientConnection {
    let socket: SocketConnection
    let buffers: DatagramBuffers
    /// Shared memory the server sent back lately, kept mapped.
    let mappings = MappingCache()

    init(_ socket: SocketConnection, maxDatagram: Int) {
      self.socket = socket
      buffers = DatagramBuffers(maxDatagram: maxDatagram)
    }
  }

  /// A client of the server listening at `path` (see `SocketServerTransport(path:)`).
  public convenience init(path: String, configuration: SocketTransportConfiguration = .default) {
    self.init(endpoint: .path(path), configuration: configuration)
  }

  convenience init(port: SocketPort, configuration: SocketTransportConfiguration) {
    self.init(endpoint: .port(port), configuration: configuration)
  }

  private init(endpoint: Endpoint, configuration: SocketTransportConfiguration) {
    self.endpoint = endpoint
    self.configuration = configuration
    encoder = configuration.encoder()
    decoder = configuration.decoder()
  }

  deinit {
    if let last = UnsafeRawPointer(bitPattern: lastIdle.exchange(0, ordering: .acquiring)) {
      Unmanaged<ClientConnection>.fromOpaque(last).release()
    }
  }

  /// Idle connections currently kept.
  public var idleConnections: Int {
    idle.withLock { $0.count } + (lastIdle.load(ordering: .relaxed) == 0 ? 0 : 1)
  }

  public func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    var reply = Message(label: 0)
    try exchange(request, options: options, expectsReply: true, reply: &reply)
    return reply
  }

  /// The call, decoding the reply straight into `reply`.
  public func call(_ request: inout Message, reply: inout Message, options: CallOptions) throws(RPCError) {
    try exchange(request, options: options, expectsReply: true, reply: &reply)
  }

  public func send(_ message: Message, options: CallOptions) throws(RPCError) {
    var unused = Message(label: 0)
    try exchange(message, options: options, expectsReply: false, reply: &unused)
  }

  /// Sends `request` and, if it `expectsReply` (not a one-way send), waits for the reply into `reply`.
  private func exchange(_ request: borrowing Message, options: CallOptions, expectsReply: Bool, reply: inout Message)
    throws(RPCError)
  {
    if options.cancellation?.isCancelled == true {
      throw RPCError(.cancelled, "call cancelled before it started", phase: .send)
    }
    var callDeadline = Deadline.never
    var sendDeadline = Deadline.never
    if options.hasDeadline || options.sendTimeout != .never || options.receiveTimeout != .never {
      (callDeadline, sendDeadline) = try Self.deadlines(of: options)
    }

    let connection = try takeConnection(deadline: sendDeadline)
    let socket = connection.socket
    let buffers = connection.buffers
    socket.sequence &+= 1
    let wait = callDeadline.isNever ? 0 : UInt64(max(1, callDeadline.remaining / 1000))
    let outgoing = try encoder.encode(
      request, kind: expectsReply ? .call : .oneWay, sequence: socket.sequence, waitMicroseconds: wait,
      into: buffers.send)

    // Sticky cancellation: the abort shuts the socket down, which ends a poll (or a blocked
    // recvmsg) that has not even started yet.
    let handle = options.cancellation
    var registration: CallCancellation.Registration? = nil
    if let handle {
      socket.arm(handle)
      registration = handle.onCancel { socket.abort(armedWith: handle) }
    }
    var keep = false
    defer {
      if let handle, let registration { handle.remove(registration) }
      let aborted = handle != nil && socket.disarm()
      if keep && !aborted { give(connection) } else { socket.close() }
    }

    do throws(SocketConnection.Failure) {
      try socket.send(
        UnsafeRawBufferPointer(start: buffers.send.baseAddress, count: outgoing.byteCount), fds: outgoing.fds,
        deadline: sendDeadline)
    } catch {
      outgoing.finish(delivered: false)
      throw Self.rpcError(error, phase: .send)
    }
    outgoing.finish(delivered: true)
    guard expectsReply else {
      keep = true
      return
    }

    var receiveDeadline = callDeadline
    if options.receiveTimeout != .never {
      receiveDeadline = .earlier(callDeadline, Deadline(options.receiveTimeout.deadline(from: .now)))
    }
    let (received, fds): (Int, [Int32])
    do throws(SocketConnection.Failure) {
      (received, fds) = try socket.receive(into: buffers, deadline: receiveDeadline)
    } catch {
      throw Self.rpcError(error, phase: .receive)
    }
    let header = try decoder.decode(UnsafeRawBufferPointer(start: buffers.receive.baseAddress, count: received),
      fds: fds, into: &reply, keepingIn: connection.mappings)
    guard header.kind == .reply, header.sequence == socket.sequence else {
      throw RPCError(.replyMismatch, "reply \(header.sequence) (\(header.kind)) to request \(socket.sequence)", phase: .receive)
    }
    keep = true
  }

  /// The whole call's deadline and the send phase's, from a call's limits (which start now).
  private static func deadlines(of options: CallOptions) throws(RPCError) -> (call: Deadline, send: Deadline) {
    let start = ContinuousClock.now
    let callDeadline = options.effectiveDeadline(start: start)
    if let callDeadline, callDeadline <= .now { throw RPCError(.timeout, "deadline already passed", phase: .send) }
    return (Deadline(callDeadline), Deadline(options.sendPhaseDeadline(start: start)))
  }

  private func takeConnection(deadline: Deadline) throws(RPCError) -> ClientConnection {
    if let last = UnsafeRawPointer(bitPattern: lastIdle.exchange(0, ordering: .acquiring)) {
      return Unmanaged<ClientConnection>.fromOpaque(last).takeRetainedValue()
    }
    if let reused = idle.withLock({ $0.popLast() }) { return reused }
    let socket: SocketConnection
    switch endpoint {
    case .path(let path):
      let fd = hurd_sock_connect(path)
      guard fd >= 0 else {
        throw RPCError(.nonExistingPartner, "no server at \(path): \(errnoText(fd))", phase: .send)
      }
      socket = SocketConnection(fd: fd)
    case .port(let port):
      socket = try port.dial(deadline: deadline.instant)
    }
    socket.waitInReceive()
    return ClientConnection(socket, maxDatagram: configuration.maxDatagram)
  }

  private func give(_ connection: ClientConnection) {
    if configuration.maxIdleConnections > 0 {
      let retained = Unmanaged.passRetained(connection).toOpaque()
      if lastIdle.compareExchange(expected: 0, desired: UInt(bitPattern: retained), ordering: .releasing).exchanged {
        return
      }
      Unmanaged<ClientConnection>.fromOpaque(retained).release()
    }
    let kept = idle.withLock { idle -> Bool in
      // The lock-free slot holds one more.
      guard idle.count + 1 < configuration.maxIdleConnections else { return false }
      idle.append(connection)
      return true
    }
    if !kept { connection.socket.close() }
  }

  static func rpcError(_ failure: SocketConnection.Failure, phase: IPCPhase) -> RPCError {
    switch (failure, phase) {
    case (.timedOut, _): RPCError(.timeout, "the \(phase) phase timed out", phase: phase)
    case (.aborted, _): RPCError(.cancelled, "call cancelled", phase: phase)
    case (.peerGone, .send): RPCError(.nonExistingPartner, "the server is gone", phase: .send)
    case (.peerGone, .receive): RPCError(.serverDied, "the server closed the connection during the call", phase: .receive)
    case (.malformed(let detail), _): RPCError(.badArguments, "malformed reply: \(detail)", phase: phase)
    case (.system(let code), _): RPCError(.unsupported, "socket error: \(errnoText(-code))", phase: phase)
    }
  }
}
