import CSocketSupport
@_spi(Transport) import HurdRPC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Buffers for one thread's datagrams: a client connection owns one, a serving thread owns one
/// (so a server with many connections does not hold a receive buffer per connection).
final class DatagramBuffers {
  var send: [UInt8] = []
  let receive: UnsafeMutableRawBufferPointer
  let fds: UnsafeMutableBufferPointer<Int32>

  /// Datagrams up to `maxDatagram` bytes are accepted.
  init(maxDatagram: Int) {
    // One byte more than allowed, so an oversized datagram is seen as such (MSG_TRUNC also says it).
    receive = .allocate(byteCount: maxDatagram + 1, alignment: 16)
    fds = .allocate(capacity: Int(HURD_SOCK_MAX_FDS))
    send.reserveCapacity(4096)
  }

  deinit {
    receive.deallocate()
    fds.deallocate()
  }
}

/// One end of a connected `SOCK_SEQPACKET` socket, used by one thread at a time, with a switch
/// that aborts a blocked send or receive (cancellation).
final class SocketConnection: @unchecked Sendable {
  let fd: Int32
  /// Sequence number of the last request sent (a reply must echo it).
  var sequence: UInt64 = 0

  private struct Switch {
    var armedWith: CallCancellation?
    var aborted = false
    var closed = false
  }
  private let state = Locked(Switch())

  /// Takes ownership of `fd`.
  init(fd: Int32) {
    self.fd = fd
  }

  deinit { close() }

  /// Closes the socket (once); an abort arriving later does nothing.
  func close() {
    let wasOpen = state.withLock { state -> Bool in
      defer { state.closed = true }
      return !state.closed
    }
    if wasOpen { Glibc.close(fd) }
  }

  // MARK: Cancellation

  /// Makes `handle` able to abort this connection's current operation.
  func arm(_ handle: CallCancellation) {
    state.withLock { state in
      state.armedWith = handle
      state.aborted = false
    }
  }

  /// Ends the armed period; returns whether an abort happened (the socket is then shut down).
  func disarm() -> Bool {
    state.withLock { state in
      state.armedWith = nil
      return state.aborted
    }
  }

  var isAborted: Bool { state.withLock { $0.aborted } }

  /// Shuts the socket down if it is still armed with `handle`, which wakes a blocked poll at
  /// once; the server sees the hang-up and cancels the handler. A late cancel finds another
  /// handle (or none) armed and does nothing.
  func abort(armedWith handle: CallCancellation) {
    state.withLock { state in
      guard !state.closed, state.armedWith === handle else { return }
      state.aborted = true
      shutdown(fd, Int32(SHUT_RDWR))
    }
  }

  /// Shuts the socket down (both directions) unless it is closed: the peer sees a hang-up at
  /// once, and a thread waiting on it here wakes up. The descriptor stays until `close`.
  func hangUp() {
    state.withLock { state in
      guard !state.closed else { return }
      shutdown(fd, Int32(SHUT_RDWR))
    }
  }

  /// Sends without waiting, from a thread that does not own the connection (a deferred reply):
  /// under the switch's lock, so the descriptor cannot be closed (and its number reused) meanwhile.
  func sendIfOpen(_ bytes: [UInt8], fds: [Int32]) throws(Failure) {
    let sent = state.withLock { state -> Int in
      guard !state.closed else { return -Int(EPIPE) }
      return bytes.withUnsafeBytes { bytes in
        fds.withUnsafeBufferPointer { fds in
          hurd_sock_send(fd, bytes.baseAddress, bytes.count, fds.baseAddress, Int32(fds.count), Int32(MSG_DONTWAIT))
        }
      }
    }
    guard sent < 0 else { return }
    switch Int32(-sent) {
    case EAGAIN, EWOULDBLOCK: throw .timedOut
    case EPIPE, ECONNRESET, ENOTCONN, ECONNREFUSED: throw .peerGone
    default: throw .system(Int32(-sent))
    }
  }

  // MARK: Datagrams

  enum Failure: Error {
    case timedOut
    case aborted
    /// The peer is gone (EOF, reset, broken pipe).
    case peerGone
    case malformed(String)
    case system(Int32)
  }

  /// Sends `bytes` with `fds`, waiting for room until `deadline` (nil: forever), or not at all
  /// when `nonBlocking` (a server's reply).
  func send(_ bytes: [UInt8], fds: [Int32], deadline: ContinuousClock.Instant?, nonBlocking: Bool = false) throws(Failure) {
    while true {
      let sent = bytes.withUnsafeBytes { bytes in
        fds.withUnsafeBufferPointer { fds in
          hurd_sock_send(fd, bytes.baseAddress, bytes.count, fds.baseAddress, Int32(fds.count), Int32(MSG_DONTWAIT))
        }
      }
      if sent >= 0 { return }
      if isAborted { throw .aborted }
      switch Int32(-sent) {
      case EAGAIN, EWOULDBLOCK:
        if nonBlocking { throw .timedOut }
        try wait(for: hurd_poll_out, until: deadline)
      case EPIPE, ECONNRESET, ENOTCONN, ECONNREFUSED: throw .peerGone
      default: throw .system(Int32(-sent))
      }
    }
  }

  /// Receives one datagram into `buffers.receive`; returns its length and descriptors.
  func receive(into buffers: DatagramBuffers, deadline: ContinuousClock.Instant?, blocking: Bool = true) throws(Failure)
    -> (Int, [Int32])
  {
    // A caller waiting for a reply that cannot be there yet polls first (saves a recvmsg that
    // would only say EAGAIN).
    if blocking { try wait(for: hurd_poll_in, until: deadline) }
    while true {
      var fdCount: Int32 = 0
      var truncated: Int32 = 0
      let received = hurd_sock_receive(
        fd, buffers.receive.baseAddress, buffers.receive.count, buffers.fds.baseAddress, Int32(buffers.fds.count),
        &fdCount, &truncated, Int32(MSG_DONTWAIT))
      if received > 0 {
        let got = fdCount == 0 ? [] : Array(buffers.fds[0..<Int(fdCount)])
        if truncated != 0 || received >= buffers.receive.count {
          closeAll(got)
          throw .malformed("datagram or its descriptors exceed the limits (\(received) bytes)")
        }
        return (received, got)
      }
      if isAborted { throw .aborted }
      if received == 0 { throw .peerGone }  // EOF: seqpacket has no empty datagrams here
      switch Int32(-received) {
      case EAGAIN, EWOULDBLOCK:
        guard blocking else { throw .timedOut }
        try wait(for: hurd_poll_in, until: deadline)
      case ECONNRESET, ENOTCONN, EPIPE: throw .peerGone
      default: throw .system(Int32(-received))
      }
    }
  }

  private func wait(for events: Int16, until deadline: ContinuousClock.Instant?) throws(Failure) {
    let timeout = nanoseconds(until: deadline)
    if timeout == 0 { throw .timedOut }
    let revents = hurd_poll(fd, events, timeout)
    if revents < 0 { throw .system(-revents) }
    if revents == 0, deadline != nil, nanoseconds(until: deadline) == 0 { throw .timedOut }
    if isAborted { throw .aborted }
    // Readiness, hang-up or error: the next send/receive reports which.
  }
}
