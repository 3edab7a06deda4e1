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
}
