@_spi(Transport) import HurdRPC

/// A client transport bound to one capability: every request gets the capability id as word 0
/// (the Hurd-on-L4 convention), so the server's bucket can find the object. This is what a
/// generated client for a capability-based interface is built on.
///
/// Cancellation: a call cancelled before its request was delivered fails `.cancelled`; one
/// cancelled after delivery fails `.aborted` (the server saw it; its handler observed the cancel).
public struct CapabilityTransport<Base: ClientTransport>: ClientTransport {
  public let base: Base
  public let capability: CapabilityID

  public init(base: Base, capability: CapabilityID) {
    self.base = base
    self.capability = capability
  }

  public func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    let message = try addressed(request)
    do throws(RPCError) {
      return try base.call(message, options: options)
    } catch {
      throw Self.delivered(error)
    }
  }

  public func send(_ message: Message, options: CallOptions) throws(RPCError) {
    try base.send(try addressed(message), options: options)
  }

  /// The request with the capability id in front of its words.
  func addressed(_ request: borrowing Message) throws(RPCError) -> Message {
    try request.addressed(to: capability)
  }

  static func delivered(_ error: RPCError) -> RPCError { error.abortedIfDelivered() }
}

extension RPCError {
  /// A receive-phase cancel means the request had been delivered: the call was aborted.
  @_spi(Transport) public func abortedIfDelivered() -> RPCError {
    guard code == .cancelled, phase == .receive else { return self }
    return RPCError(.aborted, "cancelled after the server received the request", phase: .receive, cause: self)
  }
}

extension Message {
  /// This request with `capability` in front of its words (word 0, as a bucket expects): what a
  /// client-side `CapabilityTransport` sends, and what a transport binding that knows the
  /// capability from the connection (the socket transport's ports) hands its bucket.
  @_spi(Transport) public func addressed(to capability: CapabilityID) throws(RPCError) -> Message {
    guard freeWords >= 1 else {
      throw RPCError(.badArguments, "no room for the capability id: the request uses all \(Message.capacity) words")
    }
    var tag = self.tag
    tag.untypedCount += 1
    let id = capability.rawValue
    return try withUnsafeWords { (words) throws(RPCError) -> Message in
      try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words.count + 1) { (buffer) throws(RPCError) -> Message in
        buffer[0] = id
        for index in words.indices { buffer[index + 1] = words[index] }
        return try Message(tag: tag, words: UnsafeBufferPointer(buffer), items: items)
      }
    }
  }
}
