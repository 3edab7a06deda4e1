/// Lets a server answer a call later, from any thread (a deferred reply, docs/capabilities.md §4).
/// A transport that supports it puts a `ReplyRoute` in each `CallContext` it builds.
public protocol ReplyRouter: AnyObject, Sendable {
  /// Sends `reply` to the caller the route names, with a zero send timeout (a caller that stopped
  /// waiting loses it: `.timeout` or `.nonExistingPartner` is thrown, the server never blocks).
  func sendDeferredReply(_ reply: Message, along route: ReplyRoute) throws(RPCError)
}

/// Where a reply goes: the transport's router plus transport-defined caller and replier ids (on
/// L4, the client thread and the server thread it waits for). Opaque to handlers.
public struct ReplyRoute: Sendable {
  public let router: any ReplyRouter
  @usableFromInline let caller: UInt64
  @usableFromInline let replier: UInt64

  @_spi(Transport)
  public init(router: any ReplyRouter, caller: UInt64, replier: UInt64) {
    self.router = router
    self.caller = caller
    self.replier = replier
  }

  @_spi(Transport) public var callerID: UInt64 { caller }
  @_spi(Transport) public var replierID: UInt64 { replier }
}
