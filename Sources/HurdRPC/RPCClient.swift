/// The client facade generated stubs hold: a transport plus client interceptors.
///
/// `call` sends the request, waits for the reply and checks it (`Message.checkReply`), so a
/// server's RetCode comes back as a thrown `RPCError`. With no interceptors installed the
/// call goes straight to the transport: no allocation, no existential call.
public struct RPCClient<Transport: ClientTransport>: Sendable {
  public let transport: Transport
  public let interceptors: [any ClientInterceptor]

  public init(transport: Transport, interceptors: [any ClientInterceptor] = []) {
    self.transport = transport
    self.interceptors = interceptors
  }

  /// Blocking call: request → checked reply.
  @inlinable
  public func call(_ request: Message, options: CallOptions = .default) throws(RPCError) -> Message {
    var request = request
    var reply = Message(label: 0)
    try call(&request, reply: &reply, options: options)
    return reply
  }

  /// Blocking call writing the checked reply into `reply` (its previous content is discarded):
  /// the form without copies of the 512-byte message. `request` is `inout` only so the
  /// transport reads its words in place; it is left unchanged.
  @inlinable
  public func call(_ request: inout Message, reply: inout Message, options: CallOptions = .default)
    throws(RPCError)
  {
    if interceptors.isEmpty {
      try transport.call(&request, reply: &reply, options: options)
    } else {
      reply = try intercepted(request, options: options, oneWay: false) ?? Message(label: 0)
    }
    try reply.checkReplyInPlace(toRequest: request.label)
  }

  /// Blocking one-way send (a MIG simpleroutine).
  @inlinable
  public func send(_ message: Message, options: CallOptions = .default) throws(RPCError) {
    if interceptors.isEmpty {
      try transport.send(message, options: options)
    } else {
      _ = try intercepted(message, options: options, oneWay: true)
    }
  }

  /// Async call: does not block the cooperative pool; cancelling the task aborts the IPC.
  public func call(_ request: Message, options: CallOptions = .default) async throws(RPCError) -> Message {
    var reply: Message
    if interceptors.isEmpty {
      reply = try await transport.callAsync(request, options: options)
    } else {
      reply = try await BlockingExecutor.shared.runCancellable(options: options) {
        (options) throws(RPCError) -> Message in
        try self.intercepted(request, options: options, oneWay: false) ?? Message(label: 0)
      }
    }
    try reply.checkReplyInPlace(toRequest: request.label)
    return reply
  }

  /// Async one-way send.
  public func send(_ message: Message, options: CallOptions = .default) async throws(RPCError) {
    if interceptors.isEmpty {
      try await transport.sendAsync(message, options: options)
    } else {
      _ = try await BlockingExecutor.shared.runCancellable(options: options) {
        (options) throws(RPCError) -> Message? in
        try self.intercepted(message, options: options, oneWay: true)
      }
    }
  }

  @usableFromInline
  func intercepted(_ message: Message, options: CallOptions, oneWay: Bool) throws(RPCError) -> Message? {
    try ClientInterceptorChain(interceptors: interceptors, transport: transport)
      .run(from: 0, ClientCall(request: message, options: options, isOneWay: oneWay))
  }
}
