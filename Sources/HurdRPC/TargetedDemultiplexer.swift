/// A demultiplexer that can also serve a request whose target object is already known.
///
/// Generated demux tables conform (`Target` is their server's `Target`). The plain
/// `dispatch(_:reply:context:)` resolves the target with the server's `target(for:)`; a layer that
/// has already found the object a request is addressed to — the capability layer, which looks the
/// capability up before the demux runs — calls `dispatch(_:reply:target:context:)` instead, and
/// the handlers receive that object. Either way the request is validated completely before the
/// target is used or any handler runs.
public protocol TargetedDemultiplexer<Target>: Demultiplexer {
  /// The object a request is addressed to.
  associatedtype Target
  /// Serves `request` addressed to `target` (the server's `target(for:)` is not called).
  func dispatch(_ request: borrowing Message, reply: inout Message, target: Target, context: CallContext) throws(RPCError)
  /// The same, from a layer that can keep a call open after its handler returned (HurdCap's
  /// buckets): handlers of routines with an `sreplyport` may answer later through `deferral`
  /// (`ServerReplyPort.deferReply()`). The default ignores `deferral`; generated demux tables
  /// with such routines implement it.
  func dispatch(
    _ request: borrowing Message, reply: inout Message, target: Target, context: CallContext,
    deferral: some ReplyDeferral
  ) throws(RPCError)
}

extension TargetedDemultiplexer {
  public func dispatch(
    _ request: borrowing Message, reply: inout Message, target: Target, context: CallContext,
    deferral: some ReplyDeferral
  ) throws(RPCError) {
    try dispatch(request, reply: &reply, target: target, context: context)
  }
}

/// A server object that the capability layer finds before a generated demux runs (HurdCap's
/// `CapObject` conforms): the bucket looks up the capability a request came through and hands
/// its object to `TargetedDemultiplexer.dispatch(_:reply:target:context:)`.
///
/// A generated `…Server` whose `Target` conforms gets `target(for:)` from an extension, so such a
/// server never writes one. That default is only reached when the demux is served without the
/// capability layer (a plain `RequestDispatcher(demux)`): there is no object to find, and the
/// request answers `ReturnCode.kernInvalidCapability` with no handler run.
public protocol CapabilityTarget: AnyObject {}
