/// What generated client stubs call (through `RPCClient`): one request → one reply, or a one-way
/// send. Implementations: the L4 in-process backend, `LoopbackTransport`, and later the
/// cross-process one.
///
/// Contract:
/// - `call` blocks the calling OS thread (any thread, including `BlockingExecutor` threads) until
///   the reply arrives or the call fails. It honours every `CallOptions` limit and reports
///   `.timeout` with the phase that ran out; it returns the reply *unchecked* (label and RetCode
///   are checked by `RPCClient`).
/// - `call(_:reply:options:)` is the same call without copies of the 512-byte `Message` (what
///   `RPCClient` uses): the reply is written into the caller's `reply` (e.g. with
///   `Message.load`) instead of being returned, and `request` is `inout` only so its words can
///   be read in place (reading the words of a borrowed `Message` copies it first) — the
///   transport must leave it unchanged. The default calls `call(_:options:)` and assigns the
///   result, so a transport that implements only the returning form keeps working. On error,
///   `reply`'s content is unspecified.
/// - If `options.cancellation` is set, the transport registers an abort action on it for the
///   duration of the call; cancelling then ends the call with `.cancelled` (nothing transferred
///   yet) or `.aborted` (transfer under way), and the server's `CallContext` sees the same
///   handle. Check `isCancelled` before starting: a call cancelled up front fails with
///   `.cancelled` in the send phase without reaching the server.
/// - `send` returns once the message is delivered (L4 send semantics: the receiver took it).
/// - The `async` forms must not block Swift's cooperative pool. The defaults run the blocking form
///   on `BlockingExecutor.shared` and turn task cancellation into `options.cancellation.cancel()`;
///   a transport overrides them when it can do better.
public protocol ClientTransport: Sendable {
  func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message
  func call(_ request: inout Message, reply: inout Message, options: CallOptions) throws(RPCError)
  func send(_ message: Message, options: CallOptions) throws(RPCError)
  func callAsync(_ request: Message, options: CallOptions) async throws(RPCError) -> Message
  func sendAsync(_ message: Message, options: CallOptions) async throws(RPCError)
}

extension ClientTransport {
  /// The in-place call for transports that only return replies: one extra copy of the reply.
  @inlinable
  public func call(_ request: inout Message, reply: inout Message, options: CallOptions) throws(RPCError) {
    reply = try call(request, options: options)
  }

  public func callAsync(_ request: Message, options: CallOptions) async throws(RPCError) -> Message {
    try await BlockingExecutor.shared.runCancellable(options: options) { (options) throws(RPCError) in
      try self.call(request, options: options)
    }
  }

  public func sendAsync(_ message: Message, options: CallOptions) async throws(RPCError) {
    try await BlockingExecutor.shared.runCancellable(options: options) { (options) throws(RPCError) in
      try self.send(message, options: options)
    }
  }
}

/// What a server's receive loop hands each request to. Generated demux tables conform.
public protocol Demultiplexer: Sendable {
  /// Handles one request, writing the reply in place: `reply` arrives as
  /// `Message.reply(to: request.label)` (label = request label + 100, RetCode `success` in word 0)
  /// and the handler appends its out values. Throwing replaces it with an error reply (see
  /// `RequestDispatcher`); unknown ids throw `.badID`, malformed requests `.badArguments`. To send
  /// no reply, throw `RPCError(.returnCode(.migNoReply))` or set that RetCode.
  ///
  /// Writing into a buffer the receive loop owns (instead of returning a new message) means a
  /// request → reply round never copies or zero-fills the 512-byte message value.
  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError)
}

/// The server side of a transport: receive loops that feed a `RequestDispatcher`.
///
/// Contract for `serve`: on the calling thread, repeat { wait for any request (open wait);
/// build the `CallContext`; `let reply = dispatcher.respond(to:context:)`; if the caller expects a
/// reply and `reply` is non-nil, send it with a **zero** send timeout (a server never blocks on a
/// client) — then wait again (reply-and-wait) }. A reply that cannot be delivered (caller gone,
/// not waiting) is dropped. Returns normally after `shutdown()`; throws only if the loop cannot
/// start. Several threads may `serve` the same transport concurrently (a worker pool).
public protocol ServerTransport: Sendable {
  func serve(_ dispatcher: RequestDispatcher) throws(RPCError)
  /// Ends all receive loops; callers blocked on this server fail (`.nonExistingPartner` if not
  /// yet received, otherwise `.serverDied`-like behaviour chosen by the transport, documented there).
  func shutdown()
}

extension ServerTransport {
  /// Runs `serve` on a dedicated thread; cancelling the task shuts the server down.
  public func serveAsync(_ dispatcher: RequestDispatcher) async throws(RPCError) {
    let result: Result<Void, RPCError> = await withTaskCancellationHandler {
      await BlockingExecutor.shared.run { () throws(RPCError) in try self.serve(dispatcher) }
    } onCancel: {
      self.shutdown()
    }
    try result.get()
  }
}

/// Turns a demultiplexer plus server interceptors into the one function a receive loop calls.
/// It never throws: errors become error replies, and one-way requests never produce a reply.
public struct RequestDispatcher: Sendable {
  public let demultiplexer: any Demultiplexer
  public let interceptors: [any ServerInterceptor]

  public init(_ demultiplexer: some Demultiplexer, interceptors: [any ServerInterceptor] = []) {
    self.demultiplexer = demultiplexer
    self.interceptors = interceptors
  }

  /// Builds the reply to `request` in `reply` (any previous content is discarded; a receive loop
  /// reuses one buffer per thread). Returns whether it is to be sent: false for one-way requests
  /// (`context.expectsReply == false`) and for a RetCode of `MIG_NO_REPLY`.
  public func respond(to request: borrowing Message, reply: inout Message, context: CallContext) -> Bool {
    reply.resetAsReply(to: request.label, returnCode: .success)
    do throws(RPCError) {
      if interceptors.isEmpty {
        try demultiplexer.dispatch(request, reply: &reply, context: context)
      } else {
        try ServerInterceptorChain(interceptors: interceptors, demultiplexer: demultiplexer)
          .run(from: 0, request, &reply, context)
      }
    } catch {
      reply.resetAsReply(to: request.label, returnCode: error.wireReturnCode)
    }
    return context.expectsReply && reply.replyReturnCode != .migNoReply
  }

  /// The same for a request buffer the receive loop keeps behind a pointer (`&pointer.pointee`):
  /// passing `pointer.pointee` borrowed copies the 512-byte message twice, this once (an `inout`
  /// value passed on as the demux's borrowed argument is copied). The request is left unchanged.
  public func respond(to request: inout Message, reply: inout Message, context: CallContext) -> Bool {
    respond(to: request, reply: &reply, context: context)
  }

  /// Convenience for simple transports and tests: the reply as a new message, or nil when none is
  /// to be sent.
  public func respond(to request: borrowing Message, context: CallContext) -> Message? {
    var reply = Message(label: 0)
    return respond(to: request, reply: &reply, context: context) ? reply : nil
  }
}
