// How generated code meets the capability layer: a generated demux table as a class's demux
// (the object the caller's capability names is the handlers' target), the targets' marker, and
// deferred replies for handlers of routines with an `sreplyport` (docs/capabilities.md §7).
@_spi(Transport) import HurdRPC

/// A generated demux table (a `TargetedDemultiplexer` whose `Target` is a `CapObject` subclass)
/// serving a class: the bucket has checked the caller's capability and stripped its id; the
/// object it names becomes the handlers' target, and handlers of routines with an `sreplyport`
/// can defer their reply (`ServerReplyPort.deferReply()`, answered through a `DeferredReply`).
///
/// ```swift
/// let files = CapClass(name: "io", demux: TargetedCapDemultiplexer(IODemux(server)))
/// // or: CapClass(name: "io", targeted: IODemux(server))
/// ```
/// The server's `target(for:)` is never called (a generated `…Server` whose target is a
/// `CapObject` does not need to write one).
public struct TargetedCapDemultiplexer<Base: TargetedDemultiplexer>: CapDemultiplexer where Base.Target: CapObject {
  public typealias Object = Base.Target
  public let base: Base

  public init(_ base: Base) { self.base = base }

  public func dispatch(_ request: borrowing Message, reply: inout Message, object: Object, context: CapCallContext)
    throws(RPCError)
  {
    try base.dispatch(request, reply: &reply, target: object, context: context.call, deferral: CapReplyDeferral(context.record))
  }
}

extension CapClass {
  /// A class served by a generated demux whose handlers take their target object
  /// (`TargetedCapDemultiplexer(base)`).
  public convenience init<Base: TargetedDemultiplexer>(
    name: String, targeted base: Base, hooks: CapClassHooks = CapClassHooks()
  ) where Base.Target: CapObject {
    self.init(name: name, demux: TargetedCapDemultiplexer(base), hooks: hooks)
  }
}

/// Objects are found by the bucket, never by a generated server's `target(for:)`.
extension CapObject: CapabilityTarget {}

/// A bucket-admitted call as generated code's `ReplyDeferral`: its call record alone, so boxing
/// it in `any ReplyDeferral` allocates nothing (the label and route come from the call's context).
struct CapReplyDeferral: ReplyDeferral {
  let record: CallRecord

  init(_ record: CallRecord) { self.record = record }

  func deferReply(requestLabel: UInt64, route: ReplyRoute) -> (any DeferredReplySender)? {
    record.deferReply(requestLabel: requestLabel, route: route)
  }
}

extension DeferredReply: DeferredReplySender {
  public func sendReply(_ reply: Message) throws(DeferredReplyError) {
    let delivery: Result<Void, RPCError>
    do throws(CapError) {
      delivery = try send(reply)
    } catch {
      throw .alreadyAnswered
    }
    if case .failure(let error) = delivery { throw .notDelivered(error) }
  }
}
