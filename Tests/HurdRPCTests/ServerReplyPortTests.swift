@_spi(Generated) @_spi(Transport) import HurdRPC
import Testing

/// A deferral that records what is sent, single use like HurdCap's `DeferredReply`.
final class RecordingDeferral: ReplyDeferral, DeferredReplySender, @unchecked Sendable {
  let requestLabel: UInt64 = 7910
  var isCancelled: Bool { false }
  let sent = Locked<[Message]>([])
  let deferred = Locked(0)

  func deferReply(requestLabel: UInt64, route: ReplyRoute) -> (any DeferredReplySender)? {
    #expect(requestLabel == self.requestLabel && route.callerID == 1)
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

/// A transport's route for late replies (never used: `RecordingDeferral` answers itself).
final class UnusedRouter: ReplyRouter {
  func sendDeferredReply(_ reply: Message, along route: ReplyRoute) throws(RPCError) {
    Issue.record("the recording deferral sends its replies itself")
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

  /// The context of a call labelled 7910, with a reply route unless `expectsReply` is false.
  static func context(expectsReply: Bool = true, route: Bool = true) -> CallContext {
    CallContext(
      caller: CallerIdentity(domain: 1, badge: 1), requestLabel: 7910, expectsReply: expectsReply,
      replyRoute: route ? ReplyRoute(router: UnusedRouter(), caller: 1, replier: 2) : nil)
  }

  static func port(_ deferral: (any ReplyDeferral)?, _ context: CallContext = context()) -> ServerReplyPort<Int32> {
    ServerReplyPort<Int32>(deferral: deferral, context: context, encode: encode)
  }

  /// No deferral (served without a bucket), a one-way call, or no route for a late reply.
  @Test(arguments: [(false, true, true), (true, false, true), (true, true, false)])
  func withoutADeferralOrARouteTheReplyCannotBeDeferred(_ deferral: Bool, _ expectsReply: Bool, _ route: Bool) {
    let recording = RecordingDeferral()
    let port = Self.port(deferral ? recording : nil, Self.context(expectsReply: expectsReply, route: route))
    #expect(!port.canDefer)
    do throws(ReturnCode) {
      _ = try port.deferReply()
      Issue.record("deferred without a deferral or a route")
    } catch {
      #expect(error == .EOPNOTSUPP)
    }
    #expect(recording.deferred.withLock { $0 } == 0)
  }

  @Test func deferredResultsAreMarshalledWithTheRoutinesEncoder() throws {
    let deferral = RecordingDeferral()
    let port = Self.port(deferral)
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
    let later = try Self.port(deferral).deferReply()
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
    try Self.port(deferral).deferReply().fail(.EINVAL)
    #expect(deferral.sent.withLock { $0.map(\.replyReturnCode) } == [.EINVAL])
  }
}
