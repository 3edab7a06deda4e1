/// One client call as an interceptor sees it.
public struct ClientCall: Sendable {
  /// The request about to be sent (an interceptor may rewrite it).
  public var request: Message
  /// The call's options (an interceptor may tighten them).
  public var options: CallOptions
  /// True for a one-way `send`.
  public let isOneWay: Bool

  public init(request: Message, options: CallOptions, isOneWay: Bool) {
    self.request = request
    self.options = options
    self.isOneWay = isOneWay
  }
}

/// A client-side hook around every call (logging, tracing, metrics, policy).
///
/// Call `next` to continue (it returns the reply, or nil for a one-way send), or throw to fail
/// the call without sending. Interceptors run in order, on the thread that performs the
/// blocking call (for `async` calls: a `BlockingExecutor` thread). The reply handed back is the
/// raw reply; RetCode checking happens after the chain.
public protocol ClientInterceptor: Sendable {
  func intercept(
    _ call: ClientCall, next: (ClientCall) throws(RPCError) -> Message?
  ) throws(RPCError) -> Message?
}

/// A server-side hook around every request, inside the receive loop, before the demultiplexer.
///
/// Call `next` to continue; it fills `reply` in place (see `Demultiplexer`). Throw to answer with
/// an error reply instead; inspect or adjust `reply` after `next` returns.
public protocol ServerInterceptor: Sendable {
  func intercept(
    _ request: borrowing Message, reply: inout Message, context: CallContext,
    next: (borrowing Message, inout Message, CallContext) throws(RPCError) -> Void
  ) throws(RPCError)
}

struct ServerInterceptorChain {
  let interceptors: [any ServerInterceptor]
  let demultiplexer: any Demultiplexer

  func run(
    from index: Int, _ request: borrowing Message, _ reply: inout Message, _ context: CallContext
  ) throws(RPCError) {
    guard index < interceptors.count else {
      return try demultiplexer.dispatch(request, reply: &reply, context: context)
    }
    try interceptors[index].intercept(request, reply: &reply, context: context) {
      (request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) in
      try run(from: index + 1, request, &reply, context)
    }
  }
}

struct ClientInterceptorChain<Transport: ClientTransport> {
  let interceptors: [any ClientInterceptor]
  let transport: Transport

  func run(from index: Int, _ call: ClientCall) throws(RPCError) -> Message? {
    guard index < interceptors.count else {
      if call.isOneWay {
        try transport.send(call.request, options: call.options)
        return nil
      }
      return try transport.call(call.request, options: call.options)
    }
    return try interceptors[index].intercept(call) { (call) throws(RPCError) -> Message? in
      try run(from: index + 1, call)
    }
  }
}
