import CSocketSupport
import Dispatch
@_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Real request datagrams of the generated roundtrip.defs client, as the socket transport puts
/// them on the wire: recorded by a raw listener standing in for the server.
enum RecordedDatagrams {
  static func record() throws -> [[UInt8]] {
    let path = Placement.socketPath()
    let listener = hurd_sock_listen(path, 8)
    try #require(listener >= 0)
    defer {
      close(listener)
      unlink(path)
    }
    let client = RoundtripClient(transport: SocketClientTransport(path: path))
    let calls: [@Sendable () -> Void] = [
      { _ = try? client.add(a: 1, b: 2, options: .timeout(.seconds(5))) },
      { _ = try? client.sumQuad(values: [1, 2, 3, 4], options: .timeout(.seconds(5))) },
      { _ = try? client.reverseList(list: [1, 2, 3], options: .timeout(.seconds(5))) },
      { _ = try? client.greet(name: "name", options: .timeout(.seconds(5))) },
      { _ = try? client.bump(counter: 1, twice: true, options: .timeout(.seconds(5))) },
      { _ = try? client.failWith(code: 2, options: .timeout(.seconds(5))) },
      { _ = try? client.divide(dividend: 4, divisor: 2, options: .timeout(.seconds(5))) },
    ]
    var datagrams: [[UInt8]] = []
    for call in calls {
      let done = DispatchSemaphore(value: 0)
      DispatchQueue(label: "recorded-call").async {
        call()
        done.signal()
      }
      // (The listener and its connections are non-blocking: wait for each first.)
      try #require(hurd_poll(listener, hurd_poll_in, 10_000_000_000) > 0)
      let connection = hurd_sock_accept(listener)
      try #require(connection >= 0)
      try #require(hurd_poll(connection, hurd_poll_in, 10_000_000_000) > 0)
      var buffer = [UInt8](repeating: 0, count: SocketTransportConfiguration.default.maxDatagram)
      var fds = [Int32](repeating: -1, count: 4)
      var fdCount: Int32 = 0
      var truncated: Int32 = 0
      let count = hurd_sock_receive(connection, &buffer, buffer.count, &fds, 4, &fdCount, &truncated, 0)
      close(connection)  // the call fails (server died); its datagram is what we wanted
      done.wait()
      try #require(count > 40 && fdCount == 0 && truncated == 0)
      datagrams.append(Array(buffer[0..<count]))
    }
    return datagrams
  }
}

/// The first word of a reply datagram: its return code (0 = success).
func replyReturnCode(_ datagram: [UInt8]) -> Int32? {
  // Header: magic, version, kind (3 = reply) …; 40 bytes, then the untyped words.
  guard datagram.count >= 48, datagram[0...3] == [0x48, 0x50, 0x52, 0x43], datagram[5] == 3 else { return nil }
  let word = datagram[40..<48].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
  return Int32(truncatingIfNeeded: word)
}

@Suite("Hostile datagrams to a generated server in another process")
struct RawSocketHostileTests {
  /// Recorded requests damaged at the byte level — bytes of the words, item descriptors and
  /// inline data overwritten, the datagram cut short or lengthened (never the label or the kind,
  /// so every one still asks for a reply) — sent on a raw connection to the server process. Each
  /// gets a reply (an error reply when the damage made it malformed for the generated demux) or
  /// its connection closed (when it is malformed for the transport); nothing hangs, the process
  /// keeps serving, and holds no more descriptors than before.
  @Test func byteLevelDamageGetsAnErrorReplyOrACloseAndTheServerKeepsServing() throws {
    let datagrams = try RecordedDatagrams.record()
    let served = try Placement.socketOtherProcess.serve(.roundtrip)
    defer { served.finish() }
    let client = RoundtripClient(transport: served.transport)
    #expect(try client.add(a: 1, b: 1) == 2)
    let baseline = try ServiceControl.openDescriptors(at: served.transport)
    let path = try #require(served.helper).path
    var random = SeededRandom(state: 0xBAD_DA7A)
    var raw: Int32 = -1
    var replies = 0
    var errorReplies = 0
    var closes = 0
    var silent = 0
    for _ in 0..<300 {
      var datagram = datagrams[Int.random(in: 0..<datagrams.count, using: &random)]
      let wordBytes = 8 * Int(datagram[16] & 0x3F)  // the tag's untyped word count
      switch Int.random(in: 0...4, using: &random) {
      case let kind where kind < 2 && wordBytes > 0:
        // Overwrite a byte of the words: the framing holds, the demux judges the values.
        datagram[40 + Int.random(in: 0..<wordBytes, using: &random)] = .random(in: 0...255, using: &random)
      case 0...2:
        // Overwrite 1–4 bytes after the tag (what the caller waits, lengths, words, items).
        for _ in 0...Int.random(in: 0...3, using: &random) {
          datagram[Int.random(in: 24..<datagram.count, using: &random)] = .random(in: 0...255, using: &random)
        }
      case 3: datagram.removeLast(Int.random(in: 1...(datagram.count - 40), using: &random))
      default: datagram += (0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
      }
      if raw < 0 { raw = hurd_sock_connect(path) }
      try #require(raw >= 0)
      let sent = datagram.withUnsafeBytes { hurd_sock_send(raw, $0.baseAddress, $0.count, nil, 0, 0) }
      try #require(sent == datagram.count)
      switch answer(on: raw) {
      case .reply(let code):
        replies += 1
        if code != 0 { errorReplies += 1 }
      case .closed:
        closes += 1
        close(raw)
        raw = -1
      case .nothing:
        // The damage may have put a short wait in the header: the server answers as told, or
        // not at all once the caller gave up. Start again on a fresh connection.
        silent += 1
        close(raw)
        raw = -1
      }
    }
    if raw >= 0 { close(raw) }
    #expect(replies + closes + silent == 300)
    #expect(errorReplies > 15 && closes > 50, "replies \(replies) (errors \(errorReplies)), closes \(closes), silent \(silent)")
    #expect(silent < 30)
    // Still serving, and every connection and descriptor of the hostile peer is gone.
    #expect(try client.greet(name: "after") == "hello, after")
    #expect(waitUntil { (try? ServiceControl.openDescriptors(at: served.transport)) == baseline })
    #expect(kill(try #require(served.helper).pid, 0) == 0)
  }

  enum Answer { case reply(Int32?), closed, nothing }

  /// What the server did with the datagram just sent on `fd`, within 2 seconds.
  func answer(on fd: Int32) -> Answer {
    var buffer = [UInt8](repeating: 0, count: SocketTransportConfiguration.default.maxDatagram)
    guard hurd_poll(fd, hurd_poll_in, 2_000_000_000) > 0 else { return .nothing }
    let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
    if count == 0 || (count < 0 && errno == ECONNRESET) { return .closed }
    guard count > 0 else { return .nothing }
    return .reply(replyReturnCode(Array(buffer[0..<count])))
  }
}
