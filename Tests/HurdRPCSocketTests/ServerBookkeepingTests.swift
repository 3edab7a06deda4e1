import CSocketSupport
@_spi(Transport) import HurdRPC
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A raw connection to a server, for sending requests the way a client transport never would:
/// several in a row without waiting (pipelined), or with sequence numbers of our choosing.
final class RawConnection {
  private(set) var fd: Int32

  init(path: String) {
    fd = hurd_sock_connect(path)
    _ = hurd_sock_set_blocking(fd, 1)
  }

  deinit { hangUp() }

  func hangUp() {
    if fd >= 0 { close(fd) }
    fd = -1
  }

  /// Sends a request (`call`, else one-way) with `label`, `words` and `sequence`.
  func send(_ label: UInt64, _ words: [UInt64] = [], sequence: UInt64, call: Bool = true) -> Bool {
    var bytes = forged(kind: call ? 1 : 2, label: label, untyped: words.count, words: words)
    withUnsafeBytes(of: sequence.littleEndian) { bytes.replaceSubrange(8..<16, with: $0) }
    return bytes.withUnsafeBytes { hurd_sock_send(fd, $0.baseAddress, $0.count, nil, 0, 0) } == bytes.count
  }

  /// The sequence number of the next reply, or nil if none comes within `milliseconds` (or the
  /// connection closed).
  func reply(within milliseconds: Int64 = 10_000) -> UInt64? {
    guard hurd_poll(fd, hurd_poll_in, milliseconds * 1_000_000) > 0 else { return nil }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
    guard count >= 16, buffer[5] == 3 else { return nil }
    return buffer[8..<16].withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
  }
}

/// A service whose handlers defer their replies and answer them from other calls (the ways a
/// real server's deferred replies can cross the calls of one connection).
final class DeferringService: Demultiplexer, @unchecked Sendable {
  /// Call: keeps its reply route and cancellation handle, answers later.
  static let deferReply: UInt64 = 1
  /// One-way: answers every kept reply `word 0` times (a second answer is a handler's bug the
  /// transport must survive), then forgets them.
  static let answerKept: UInt64 = 2
  /// Call: defers, and answers at once from inside its own handler (an early answer).
  static let deferAndAnswerNow: UInt64 = 3

  private let lock = PThreadMutex()
  private var kept: [(ReplyRoute, CallCancellation?)] = []
  private var cancellations: [CallCancellation?] = []

  /// Deferred calls kept and not answered yet.
  var keptCount: Int { lock.withLock { kept.count } }
  /// The cancellation handle of every deferred call so far, in order.
  var deferredCancellations: [CallCancellation?] { lock.withLock { cancellations } }

  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    switch request.label {
    case Self.deferReply, Self.deferAndAnswerNow:
      guard let route = context.replyRoute else { throw RPCError(.badArguments, "no reply route") }
      lock.withLock {
        kept.append((route, context.cancellation))
        cancellations.append(context.cancellation)
      }
      if request.label == Self.deferAndAnswerNow { answerKept(times: 1) }
      reply.setReplyReturnCode(.migNoReply)
    case Self.answerKept:
      answerKept(times: Int(try request.word(at: 0)))
      reply.setReplyReturnCode(.migNoReply)
    default:
      throw RPCError(.badID, "unknown label")
    }
  }

  private func answerKept(times: Int) {
    let routes = lock.withLock {
      defer { kept = [] }
      return kept.map(\.0)
    }
    for route in routes {
      for _ in 0..<times {
        _ = try? route.router.sendDeferredReply(Message.reply(to: Self.deferReply, returnCode: .success), along: route)
      }
    }
  }
}

@Suite("Socket transport server bookkeeping")
struct SocketServerBookkeepingTests {
  /// A server in this process serving `demux` on one thread.
  private static func serve(_ demux: some Demultiplexer, observingHangUps: Bool) throws -> (SocketServerTransport, String) {
    let path = socketPath("bookkeeping")
    let server = try SocketServerTransport(
      path: path, configuration: SocketTransportConfiguration(observesCallerHangUp: observingHangUps))
    let dispatcher = RequestDispatcher(demux)
    Thread.detach { try? server.serve(dispatcher) }
    return (server, path)
  }

  @Test(arguments: [false, true])
  func aDeferredReplySentWhileItsConnectionServesAnotherCallLeavesNothingBehind(observingHangUps: Bool) throws {
    let service = DeferringService()
    let (server, path) = try Self.serve(service, observingHangUps: observingHangUps)
    defer { server.shutdown() }
    let raw = RawConnection(path: path)
    #expect(raw.send(DeferringService.deferReply, sequence: 1))
    #expect(waitUntil { service.keptCount == 1 })
    // The one-way request's handler answers call 1 while its own call holds the connection.
    #expect(raw.send(DeferringService.answerKept, [1], sequence: 2, call: false))
    #expect(raw.reply() == 1)
    #expect(waitUntil { server.deferredCallRecords == 0 })
  }

  @Test(arguments: [false, true])
  func aDeferredReplyAnsweredInsideItsHandlerLeavesNothingBehind(observingHangUps: Bool) throws {
    let service = DeferringService()
    let (server, path) = try Self.serve(service, observingHangUps: observingHangUps)
    defer { server.shutdown() }
    let raw = RawConnection(path: path)
    for sequence: UInt64 in 1...3 {
      #expect(raw.send(DeferringService.deferAndAnswerNow, sequence: sequence))
      #expect(raw.reply() == sequence)
    }
    #expect(waitUntil { server.deferredCallRecords == 0 })
  }

  @Test func aLaterCallReusingASequenceNumberIsNotTakenForAnEarlyAnswer() throws {
    let service = DeferringService()
    let (server, path) = try Self.serve(service, observingHangUps: true)
    defer { server.shutdown() }
    let raw = RawConnection(path: path)
    #expect(raw.send(DeferringService.deferReply, sequence: 1))
    #expect(waitUntil { service.keptCount == 1 })
    // Call 1 answered twice while the connection serves a one-way request: the second answer
    // finds no deferred call 1 and must leave no mark either.
    #expect(raw.send(DeferringService.answerKept, [2], sequence: 2, call: false))
    #expect(raw.reply() == 1)
    #expect(waitUntil { server.deferredCallRecords == 0 })
    // A new call with sequence 1 defers: it is a deferred call like any other, so the caller's
    // hang-up cancels it.
    #expect(raw.send(DeferringService.deferReply, sequence: 1))
    #expect(waitUntil { service.keptCount == 1 })
    #expect(waitUntil { server.deferredCallRecords == 1 })
    let second = try #require(service.deferredCancellations.last ?? nil)
    #expect(!second.isCancelled)
    raw.hangUp()
    #expect(waitUntil { second.isCancelled })
    #expect(waitUntil { server.deferredCallRecords == 0 })
  }

  @Test func aCallerThatHangsUpLeavesNoDeferredCallBehind() throws {
    let service = DeferringService()
    let (server, path) = try Self.serve(service, observingHangUps: true)
    defer { server.shutdown() }
    let raw = RawConnection(path: path)
    #expect(raw.send(DeferringService.deferReply, sequence: 7))
    #expect(waitUntil { server.deferredCallRecords == 1 })
    raw.hangUp()
    #expect(waitUntil { server.deferredCallRecords == 0 })
    #expect(waitUntil { service.deferredCancellations.last??.isCancelled == true })
  }
}

/// Counts the calls it serves from a flooding connection and tells a quiet caller how many.
private final class FloodCounter: Demultiplexer, @unchecked Sendable {
  static let flood: UInt64 = 1
  /// → how many flood calls were served before this one.
  static let quiet: UInt64 = 2

  private let lock = PThreadMutex()
  private var floods: UInt64 = 0

  var served: UInt64 { lock.withLock { floods } }

  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    switch request.label {
    case Self.flood: lock.withLock { floods += 1 }
    case Self.quiet: try reply.append(served)
    default: throw RPCError(.badID, "unknown label")
    }
  }
}

@Suite("Socket transport fairness")
struct SocketFairnessTests {
  @Test func aConnectionFloodingRequestsCannotStarveAnotherCallersCall() throws {
    // One serving thread, so the flood and the quiet call compete for it.
    let path = socketPath("flood")
    let server = try SocketServerTransport(path: path)
    defer { server.shutdown() }
    let counter = FloodCounter()
    let dispatcher = RequestDispatcher(counter)
    Thread.detach { try? server.serve(dispatcher) }
    let quiet = RPCClient(transport: SocketClientTransport(path: path))
    _ = try quiet.call(Message(label: FloodCounter.quiet))  // its connection is open before the flood

    // The flooder keeps `window` calls queued on one connection: each reply is answered by
    // another call, so its queue never runs dry while it floods.
    let window = 96
    let limit = 20_000
    let stop = SharedLog<Int>()
    let flooding = SharedLog<Int>()
    Thread.detach {
      let raw = RawConnection(path: path)
      var sent = 0
      while sent < window, raw.send(FloodCounter.flood, sequence: UInt64(sent)) { sent += 1 }
      flooding.append(1)
      while sent < limit, stop.values.isEmpty, raw.reply() != nil, raw.send(FloodCounter.flood, sequence: UInt64(sent)) {
        sent += 1
      }
      flooding.append(2)
    }
    #expect(waitUntil { flooding.values.count >= 1 && counter.served >= UInt64(4 * window) })
    let before = counter.served
    let atQuietCall = try quiet.call(Message(label: FloodCounter.quiet)).word(at: 1)
    stop.append(1)
    #expect(waitUntil { flooding.values.count == 2 })
    // The flooder still had calls queued (it was not simply done) …
    #expect(counter.served < UInt64(limit))
    // … and a connection gets at most a turn of 16 calls (twice, if its next event was queued
    // before the quiet call's) before the quiet call is served.
    let floodCallsFirst = atQuietCall - before
    #expect(floodCallsFirst <= 48, "the quiet call waited for \(floodCallsFirst) flood calls")
  }
}
