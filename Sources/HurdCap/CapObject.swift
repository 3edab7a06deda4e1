@_spi(Transport) import HurdRPC

/// A server object that capabilities name (a file, a directory, …): subclass it. It belongs to
/// one class and one bucket once registered (`CapBucket.register(_:in:)`).
///
/// The bucket counts the object's **client references** — entries in client namespaces plus
/// references held by transfer containers — and posts a no-senders notification to the server
/// when that count drops to zero. The mutable state below is guarded by the bucket's lock.
open class CapObject: @unchecked Sendable {
  // Guarded by `bucket.monitor` once registered.
  weak var bucket: CapBucket? = nil
  var capClass: CapClass? = nil
  var references = 0
  var revoked = false
  var inhibitions = 0

  public init() {}

  /// Client references (namespace entries + in-flight transfers) right now.
  public var referenceCount: Int { bucket?.monitor.withLock { references } ?? references }

  /// Whether `CapBucket.revoke` ran on it.
  public var isRevoked: Bool { bucket?.monitor.withLock { revoked } ?? revoked }

  /// The class it was registered in.
  public var objectClass: CapClass? { bucket?.monitor.withLock { capClass } ?? capClass }
}

/// A class's demux table: generated demux tables for capability-based interfaces conform. The
/// bucket has checked the capability and strips its id (word 0) before calling.
public protocol CapDemultiplexer: Sendable {
  associatedtype Object: CapObject
  func dispatch(_ request: borrowing Message, reply: inout Message, object: Object, context: CapCallContext)
    throws(RPCError)
}

extension CapDemultiplexer {
  fileprivate func dispatchErased(
    _ request: borrowing Message, reply: inout Message, object: CapObject, context: CapCallContext
  ) throws(RPCError) {
    guard let object = object as? Object else {
      throw RPCError(.returnCode(.capInvalid), "object of the wrong type for this class")
    }
    try dispatch(request, reply: &reply, object: object, context: context)
  }
}

/// A plain `Demultiplexer` (today's generated demux tables) used as a class's demux: handlers
/// get the ordinary `CallContext`; the object is in `CapCallContext` only.
public struct PlainCapDemultiplexer<Base: Demultiplexer>: CapDemultiplexer {
  public typealias Object = CapObject
  public let base: Base
  public init(_ base: Base) { self.base = base }
  public func dispatch(_ request: borrowing Message, reply: inout Message, object: CapObject, context: CapCallContext)
    throws(RPCError)
  {
    try base.dispatch(request, reply: &reply, context: context.call)
  }
}

/// Lifecycle hooks of a class (`hurd_cap_class_t`'s callbacks, reduced to what Swift needs:
/// allocation and initialisation are the subclass's `init`).
public struct CapClassHooks: Sendable {
  /// After `register`: the object joined the class.
  public var didRegister: (@Sendable (CapObject) -> Void)?
  /// After `revoke` (every copy is dead, running calls drained), on the revoking thread.
  public var didRevoke: (@Sendable (CapObject) -> Void)?

  public init(
    didRegister: (@Sendable (CapObject) -> Void)? = nil, didRevoke: (@Sendable (CapObject) -> Void)? = nil
  ) {
    self.didRegister = didRegister
    self.didRevoke = didRevoke
  }
}

/// A kind of object: its demux table and hooks. Inhibit it through its bucket.
public final class CapClass: @unchecked Sendable {
  public let name: String
  public let hooks: CapClassHooks
  private let demux: any CapDemultiplexer

  public init(name: String, demux: some CapDemultiplexer, hooks: CapClassHooks = CapClassHooks()) {
    self.name = name
    self.demux = demux
    self.hooks = hooks
  }

  func dispatch(_ request: borrowing Message, reply: inout Message, object: CapObject, context: CapCallContext)
    throws(RPCError)
  {
    try demux.dispatchErased(request, reply: &reply, object: object, context: context)
  }
}
