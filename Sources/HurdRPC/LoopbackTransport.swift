/// A transport whose "server" runs on the calling thread: `call` hands the request straight to a
/// `RequestDispatcher` and returns its reply. No threads, no IPC — for tests of generated code and
/// single-threaded use. It keeps the observable rules: deadlines and cancellation are checked
/// before dispatch (send phase) and after (receive phase), one-way sends get no reply, and the
/// handler sees the caller's cancellation handle.
public struct LoopbackTransport: ClientTransport {
  public let dispatcher: RequestDispatcher
  public let caller: CallerIdentity

  /// A loopback client whose calls appear to come from `caller`.
  @_spi(Transport)
  public init(dispatcher: RequestDispatcher, caller: CallerIdentity) {
    self.dispatcher = dispatcher
    self.caller = caller
  }

  /// A loopback client with a fixed anonymous caller identity.
  public init(dispatcher: RequestDispatcher) {
    self.init(dispatcher: dispatcher, caller: CallerIdentity(domain: 0, badge: 0))
  }

  public func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    var request = request
    var reply = Message(label: 0)
    try call(&request, reply: &reply, options: options)
    return reply
  }

  public func call(_ request: inout Message, reply: inout Message, options: CallOptions) throws(RPCError) {
    let context = try admit(request, options: options, expectsReply: true)
    guard dispatcher.respond(to: &request, reply: &reply, context: context) else {
      throw RPCError(.serverDied, "request \(request.label) was consumed without a reply")
    }
    if options.cancellation?.isCancelled == true {
      throw RPCError(.cancelled, "call cancelled while waiting for the reply", phase: .receive)
    }
    if context.storedDeadline != nil, let deadline = context.deadline, ContinuousClock.now >= deadline {
      throw RPCError(.timeout, "deadline passed before the reply arrived", phase: .receive)
    }
  }

  public func send(_ message: Message, options: CallOptions) throws(RPCError) {
    let context = try admit(message, options: options, expectsReply: false)
    var reply = Message(label: 0)
    _ = dispatcher.respond(to: message, reply: &reply, context: context)
  }

  /// Send-phase checks, then the server-side context.
  private func admit(_ request: borrowing Message, options: CallOptions, expectsReply: Bool) throws(RPCError) -> CallContext {
    if options.cancellation?.isCancelled == true {
      throw RPCError(.cancelled, "call cancelled before it was sent", phase: .send)
    }
    var deadline: ContinuousClock.Instant? = nil
    if options.hasDeadline {
      let now = ContinuousClock.now
      deadline = options.effectiveDeadline(start: now)
      if let deadline, now >= deadline {
        throw RPCError(.timeout, "deadline passed before the request was sent", phase: .send)
      }
    }
    return CallContext(
      caller: caller, requestLabel: request.label, expectsReply: expectsReply, deadline: deadline,
      cancellation: options.cancellation)
  }
}
