@_spi(Transport) import HurdRPC

/// What a handler of a capability-based interface gets besides its arguments: the object the
/// capability names (in `dispatch(…object:…)`), the unforgeable caller identity, and the call's
/// server-side cancellation token, plus the means to answer later.
public struct CapCallContext: Sendable {
  /// The transport's context, with `cancellation` replaced by the server-side token (the
  /// client's own handle never reaches the server, so a server cannot cancel a client's call).
  public let call: CallContext
  /// The id the caller used (in its own namespace).
  public let capability: CapabilityID
  let record: CallRecord

  /// Who is calling: a task identity, never a thread id.
  public var caller: CallerIdentity { call.caller }
  /// Whether the caller cancelled, or the server inhibited the call.
  public var isCancelled: Bool { record.token.isCancelled }
  /// Runs `handler` when the call is cancelled (now, if it already is).
  @discardableResult
  public func onCancel(_ handler: @escaping @Sendable () -> Void) -> CallCancellation.Registration? {
    record.token.onCancel(handler)
  }

  /// Keeps the call open after the handler returns: the bucket sends no reply now, the call
  /// stays pending (inhibition waits for it), and `DeferredReply` answers it once, from any thread.
  public func deferReply() throws(CapError) -> DeferredReply {
    guard let route = call.replyRoute, call.expectsReply else { throw CapError.cannotDeferReply }
    return record.deferReply(requestLabel: call.requestLabel, route: route)
  }
}

/// A call admitted by a bucket (one per valid request; none for rejected ones). Records are
/// reused (`CapBucket.recycle`) once nothing but the bucket references them, so a steady stream
/// of calls allocates neither records nor tokens; `object`, `client` and `thread` change only
/// then, under the bucket's lock.
final class CallRecord: @unchecked Sendable {
  let bucket: CapBucket
  var object: CapObject
  var client: TaskID
  /// The calling thread's transport key (0: unknown).
  var thread: UInt64
  var token = CallCancellation()
  /// The client's cancellation handle and the link to `token` (set before the handler runs).
  var clientLink: (CallCancellation, CallCancellation.Registration)? = nil
  // Guarded by the bucket's lock.
  var deferred = false
  var finished = false

  init(bucket: CapBucket, object: CapObject, client: TaskID, thread: UInt64) {
    self.bucket = bucket
    self.object = object
    self.client = client
    self.thread = thread
  }

  /// Keeps this call open (`CapCallContext.deferReply()`, and generated `sreplyport` handlers'
  /// `CapReplyDeferral`): the handle that answers it along `route`.
  func deferReply(requestLabel: UInt64, route: ReplyRoute) -> DeferredReply {
    bucket.monitor.withLock { deferred = true }
    return DeferredReply(record: self, route: route, requestLabel: requestLabel)
  }
}

/// A reply handle that can leave the handler ("continuation"). Single use: the second answer
/// throws `CapError.replyAlreadySent`.
public final class DeferredReply: @unchecked Sendable {
  private let record: CallRecord
  private let route: ReplyRoute
  /// The request's label (the reply's is this + 100).
  public let requestLabel: UInt64

  init(record: CallRecord, route: ReplyRoute, requestLabel: UInt64) {
    self.record = record
    self.route = route
    self.requestLabel = requestLabel
  }

  /// Whether the call was cancelled meanwhile (by the client or by inhibition).
  public var isCancelled: Bool { record.token.isCancelled }

  /// An empty success reply to fill (RetCode in word 0, out values after it).
  public func makeReply() -> Message { Message.reply(to: requestLabel, returnCode: .success) }

  /// Sends `reply` (zero send timeout: a caller no longer waiting loses it, reported as the
  /// transport's error) and ends the call. Throws `.replyAlreadySent` on a second answer.
  @discardableResult
  public func send(_ reply: Message) throws(CapError) -> Result<Void, RPCError> {
    guard record.bucket.finish(record) else { throw CapError.replyAlreadySent }
    do throws(RPCError) {
      try route.router.sendDeferredReply(reply, along: route)
      return .success(())
    } catch {
      return .failure(error)
    }
  }

  /// Answers with an error RetCode.
  @discardableResult
  public func fail(_ code: ReturnCode) throws(CapError) -> Result<Void, RPCError> {
    try send(Message.reply(to: requestLabel, returnCode: code))
  }
}
