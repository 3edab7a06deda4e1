@_spi(Generated) import HurdRPC
import Testing

/// A deferral that records what is sent, single use like HurdCap's `DeferredReply`.
final class RecordingDeferral: ReplyDeferral, DeferredReplySender, @unchecked Sendable {
  let requestLabel: UInt64 = 7910
  var isCancelled: Bool { false }
  let sent = Locked<[Message]>([])
  let deferred = Locked(0)

  func deferReply() -> (any DeferredReplySender)? {
    deferred.withLock { $0 += 1 }
    return self
  }

  func sendReply(_ reply: Message) throws(DeferredReplyError) {
    let first = sent.withLock { messages -> Bool in
      guard messages.isEmpty else { return false }
      messages.append(reply)
      return true
    }
    if !first { throw .alreadyAnswered }
  }
}

/// What generated `sreplyport` handlers get: `ServerReplyPort` marshals deferred results with the
/// routine's encoder, answers a failure with its code, and reports results it cannot marshal.
@Suite("Server reply ports (sreplyport) and deferred replies")
struct ServerReplyPortTests {
  /// An encoder like a generated one: one word, bounded to 0...100.
  static let encode: @Sendable (Int32, inout Message) throws(RPCError) -> Void = { value, reply throws(RPCError) in
    guard (0...100).contains(value) else { throw RPCError(.arrayTooLarge, "`value` is over its bound") }
    try reply.append(UInt64(UInt32(bitPattern: value)))
  }

  @Test func withoutADeferralTheReplyCannotBeDeferred() {
    let port = ServerReplyPort<Int32>(deferral: nil, encode: Self.encode)
    #expect(!port.canDefer)
    do throws(ReturnCode) {
      _ = try port.deferReply()
      Issue.record("deferred without a deferral")
    } catch {
      #expect(error == .EOPNOTSUPP)
    }
  }

  @Test func deferredResultsAreMarshalledWithTheRoutinesEncoder() throws {
    let deferral = RecordingDeferral()
    let port = ServerReplyPort<Int32>(deferral: deferral, encode: Self.encode)
    #expect(port.canDefer)
    let later = try port.deferReply()
    #expect(deferral.deferred.withLock { $0 } == 1)
    try later.send(42)
    let reply = try #require(deferral.sent.withLock { $0.first })
    #expect(reply.label == 8010 && reply.replyReturnCode == .success)
    #expect(reply.wordCount == 2 && reply[1] == 42)
    do throws(DeferredReplyError) {
      try later.send(1)
      Issue.record("answered twice")
    } catch {
      guard case .alreadyAnswered = error else { throw error }
    }
  }

  @Test func resultsThatCannotBeMarshalledAnswerTheirErrorAndAreReported() throws {
    let deferral = RecordingDeferral()
    let later = try ServerReplyPort<Int32>(deferral: deferral, encode: Self.encode).deferReply()
    do throws(DeferredReplyError) {
      try later.send(1_000)
      Issue.record("invalid results were sent")
    } catch {
      guard case .invalidResults(let cause) = error else { throw error }
      #expect(cause.code == .arrayTooLarge)
    }
    // The caller was answered anyway, with the error's return code.
    #expect(deferral.sent.withLock { $0.map(\.replyReturnCode) } == [.migArrayTooLarge])
  }

  @Test func aDeferredFailureCarriesItsReturnCode() throws {
    let deferral = RecordingDeferral()
    try ServerReplyPort<Int32>(deferral: deferral, encode: Self.encode).deferReply().fail(.EINVAL)
    #expect(deferral.sent.withLock { $0.map(\.replyReturnCode) } == [.EINVAL])
  }
}
