/// A call that can be kept open after its handler returned, to be answered later (a deferred
/// reply). HurdCap's buckets provide one for each call they admit; generated demux tables hand it
/// to the `ServerReplyPort` of routines with an `sreplyport`.
///
/// A conforming value is boxed into `any ReplyDeferral` on every call of a routine with an
/// `sreplyport`: keep it to one class reference (HurdCap's is its call record), so the box stays
/// inline and the call allocates nothing. What the call itself knows (its label, its reply route)
/// comes with `deferReply(requestLabel:route:)` instead.
public protocol ReplyDeferral: Sendable {
  /// Keeps the call open: once the handler returns, no reply is sent and the call stays pending
  /// until the returned sender answers it along `route`. Nil when this call cannot be answered
  /// later. (A one-way request, or a transport without reply routes, never gets here.)
  func deferReply(requestLabel: UInt64, route: ReplyRoute) -> (any DeferredReplySender)?
}

/// Answers one deferred call, once (HurdCap's `DeferredReply` conforms).
public protocol DeferredReplySender: AnyObject, Sendable {
  /// The request's label (the reply's is this + 100).
  var requestLabel: UInt64 { get }
  /// Whether the caller cancelled the call meanwhile (or the server inhibited it).
  var isCancelled: Bool { get }
  /// Sends `reply` and ends the call. A second answer throws `.alreadyAnswered`; a caller that
  /// stopped waiting loses the reply (`.notDelivered`, the server never blocks).
  func sendReply(_ reply: Message) throws(DeferredReplyError)
}

/// Why a deferred reply was not sent.
public enum DeferredReplyError: Error, Sendable {
  /// The call was answered already: a deferred reply is single use.
  case alreadyAnswered
  /// The results could not be marshalled (e.g. an array over its bound): the caller was answered
  /// with this error's return code instead.
  case invalidResults(RPCError)
  /// The transport could not deliver the reply (the caller stopped waiting, or died).
  case notDelivered(RPCError)
}

/// What a handler of a routine with an `sreplyport` argument receives for it: the means to
/// answer the call later (GNU MIG hands the reply port to the server function, which may return
/// `MIG_NO_REPLY` and answer with the routine's reply stub afterwards).
///
/// To answer at once, ignore it: return the results (or throw a code) as any handler does. To
/// answer later, call `deferReply()` **before the handler returns**, keep the returned
/// `DeferredServerReply`, and return (or throw `ReturnCode.migNoReply`): what the handler returns
/// after deferring is discarded. Later, from any thread, `send(_:)` the results or `fail(_:)` —
/// once. Only calls served through a capability bucket can be deferred; elsewhere `deferReply()`
/// throws `EOPNOTSUPP`.
public struct ServerReplyPort<Results>: Sendable {
  @usableFromInline let deferral: (any ReplyDeferral)?
  @usableFromInline let requestLabel: UInt64
  /// Nil when the caller does not wait for a reply or the transport has no route for a late one.
  @usableFromInline let route: ReplyRoute?
  @usableFromInline let encode: @Sendable (Results, inout Message) throws(RPCError) -> Void

  /// Generated code only: the port of the call `context` describes; `encode` writes the results
  /// into a reply as the routine's reply encoder does (with its `outtran` hooks applied).
  @_spi(Generated)
  public init(
    deferral: (any ReplyDeferral)?, context: CallContext,
    encode: @escaping @Sendable (Results, inout Message) throws(RPCError) -> Void
  ) {
    self.deferral = deferral
    requestLabel = context.requestLabel
    route = context.expectsReply ? context.replyRoute : nil
    self.encode = encode
  }

  /// Whether this call can be answered later (it came through a capability bucket and its caller
  /// waits for a reply).
  public var canDefer: Bool { deferral != nil && route != nil }

  /// Keeps the call open after the handler returns and gives the handle that answers it.
  /// Throws `EOPNOTSUPP` when the call cannot be deferred (served without a bucket, or one-way).
  public func deferReply() throws(ReturnCode) -> DeferredServerReply<Results> {
    guard let route, let sender = deferral?.deferReply(requestLabel: requestLabel, route: route) else {
      throw .EOPNOTSUPP
    }
    return DeferredServerReply(sender: sender, encode: encode)
  }
}

/// The deferred answer of one call of a routine with an `sreplyport`: single use, from any thread.
public struct DeferredServerReply<Results>: Sendable {
  let sender: any DeferredReplySender
  let encode: @Sendable (Results, inout Message) throws(RPCError) -> Void

  /// Whether the caller cancelled meanwhile (or the server inhibited the call): answering is
  /// still allowed, and answers nobody if the caller is gone.
  public var isCancelled: Bool { sender.isCancelled }

  /// Sends `results` as the reply (return code `success`). Results over their bounds answer the
  /// caller with that error and throw `.invalidResults`.
  public func send(_ results: Results) throws(DeferredReplyError) {
    var reply = Message.reply(to: sender.requestLabel)
    do throws(RPCError) {
      try encode(results, &reply)
    } catch {
      try sender.sendReply(Message.reply(to: sender.requestLabel, returnCode: error.wireReturnCode))
      throw .invalidResults(error)
    }
    try sender.sendReply(reply)
  }

  /// Answers with the return code `code` (the client's call throws it).
  public func fail(_ code: ReturnCode) throws(DeferredReplyError) {
    try sender.sendReply(Message.reply(to: sender.requestLabel, returnCode: code))
  }
}

extension DeferredServerReply where Results == Void {
  /// Sends the (empty) success reply.
  public func send() throws(DeferredReplyError) { try send(()) }
}
