import HurdCap
import HurdCapSocket
@_spi(Transport) import HurdRPC
import HurdRPCSocket
import HurdRPCSocketTestSupport

/// An object of ports.defs' server under the capability layer: a capability with a tag.
package final class Tagged: CapObject, @unchecked Sendable {
  package let tag: Int32
  package init(tag: Int32) { self.tag = tag }
}

/// ports.defs' server under the capability layer (HurdCap), on L4 or over sockets: its objects
/// are served by a `CapBucket`, so every handler's target is the `Tagged` the caller's capability
/// names; port arguments arrive as names in the server's space. How objects are published and
/// received names resolved is the binding's (`Binding`).
package final class CapTagServer: PortsServer, RecordsEvents, @unchecked Sendable {
  /// What the capability layer's binding to a transport provides.
  package struct Binding: Sendable {
    /// Registers a new object and names its receive right in the server's space.
    package var publish: @Sendable (Tagged) throws(CapError) -> CapabilityName
    /// The server's own object a received name stands for.
    package var object: @Sendable (CapabilityName) -> Tagged?
    /// Drops a received name once the handler is done with it.
    package var release: @Sendable (CapabilityName) -> Void

    package init(
      publish: @escaping @Sendable (Tagged) throws(CapError) -> CapabilityName,
      object: @escaping @Sendable (CapabilityName) -> Tagged?, release: @escaping @Sendable (CapabilityName) -> Void
    ) {
      self.publish = publish
      self.object = object
      self.release = release
    }
  }

  package let events = SharedLog<String>()
  // Set once by `bind`, before serving.
  private var binding: Binding?

  package init() {}

  package func bind(_ binding: Binding) { self.binding = binding }

  /// A new object with a receive right in the server's space.
  package func newObject(tag: Int32) throws(ReturnCode) -> (Tagged, CapabilityName) {
    guard let binding else { throw .EINVAL }
    let object = Tagged(tag: tag)
    do throws(CapError) {
      return (object, try binding.publish(object))
    } catch {
      throw .EINVAL
    }
  }

  /// The tag of what `name` (in the server's space) names: one of this server's objects.
  private func tag(of name: CapabilityName) throws(ReturnCode) -> Int32 {
    guard let binding else { throw .EINVAL }
    defer { binding.release(name) }
    guard let object = binding.object(name) else { throw .EINVAL }
    return object.tag
  }

  package func tagOf(_ target: Tagged, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("tagOf")
    return target.tag
  }

  package func takeCopy(_ target: Tagged, given: CapabilityName, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("takeCopy")
    return try tag(of: given)
  }

  package func takeMove(_ target: Tagged, given: CapabilityName, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("takeMove")
    return try tag(of: given)
  }

  package func takeOnce(_ target: Tagged, given: CapabilityName, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("takeOnce")
    return try tag(of: given)
  }

  package func make(_ target: Tagged, tag: Int32, context: CallContext) throws(ReturnCode) -> CapabilityName {
    events.append("make")
    return try newObject(tag: tag).1
  }

  package func makeOnce(_ target: Tagged, tag: Int32, context: CallContext) throws(ReturnCode) -> CapabilityName {
    events.append("makeOnce")
    return try newObject(tag: tag).1
  }

  package func giveBack(_ target: Tagged, given: CapabilityItem, context: CallContext) throws(ReturnCode) -> CapabilityItem {
    events.append("giveBack \(given.disposition)")
    return CapabilityItem(given.name, disposition: .copySend)
  }

  package func takeReceive(_ target: Tagged, given: CapabilityName, context: CallContext) throws(ReturnCode) {
    events.append("takeReceive")
  }

  /// Wrapping sum: the values round-trip at their limits.
  package func sum62(_ target: Tagged, words: InlineArray<62, Int64>, context: CallContext) throws(ReturnCode) -> Int64 {
    words.elements.reduce(0, &+)
  }

  package func sum63(_ target: Tagged, words: InlineArray<63, Int64>, context: CallContext) throws(ReturnCode) -> Int64 {
    words.elements.reduce(0, &+)
  }

  private let deferredReplies = SharedLog<DeferredServerReply<Int32>>()

  /// Defers every call: the test answers it through `nextDeferredReply()`. Odd values throw
  /// `MIG_NO_REPLY` after deferring, even ones return a value that must be discarded.
  package func later(_ target: Tagged, replyPort: ServerReplyPort<Int32>, value: Int32, context: CallContext)
    throws(ReturnCode) -> Int32
  {
    events.append("later \(value)")
    deferredReplies.append(try replyPort.deferReply())
    if value % 2 != 0 { throw .migNoReply }
    return -1
  }

  /// The next call `later` deferred (nil after 10 s).
  package func nextDeferredReply() -> DeferredServerReply<Int32>? {
    var next: DeferredServerReply<Int32>?
    _ = waitUntil {
      next = deferredReplies.takeFirst()
      return next != nil
    }
    return next
  }
}

/// ports.defs served by a `CapBucket` over the socket transport (`SocketCapServer`), with the
/// control routines in front: `makeObject` publishes a new `Tagged` (its tag the badge asked
/// for), `revoke` revokes every object of a tag.
package final class SocketCapTagService: ObjectHost {
  package let task: SocketCapTask
  package let server: SocketCapServer
  package let tags = CapTagServer()
  let tagClass: CapClass
  private let published = SharedLog<Tagged>()

  /// A server at `path` whose bootstrap object has tag 0; its capabilities live in `space`.
  package init(path: String, space: SocketCapabilitySpace) throws {
    task = try SocketCapTask(space: space)
    server = try SocketCapServer(task: task, path: path)
    tagClass = CapClass(name: "tagged", targeted: PortsDemux(tags))
    let server = server
    let tagClass = tagClass
    let published = published
    tags.bind(
      CapTagServer.Binding(
        publish: { (object) throws(CapError) in
          published.append(object)
          return try server.publish(object, in: tagClass)
        },
        object: { server.object(named: $0) as? Tagged }, release: { space.deallocate($0) }))
    let root = Tagged(tag: 0)
    try server.bucket.register(root, in: tagClass)
    try server.setBootstrap(root)
  }

  /// Serves on `threads` threads, the control routines first.
  package func start(threads: Int) {
    let dispatcher = RequestDispatcher(ControlledDemux(base: server, events: tags.events, objects: self))
    for _ in 0..<threads {
      BlockingExecutor.shared.execute { [server] in try? server.transport.serve(dispatcher) }
    }
  }

  package func shutdown() { server.shutdown() }

  // MARK: ObjectHost (the control routines)

  package func makeObject(badge: UInt64) -> CapabilityName {
    (try? tags.newObject(tag: Int32(truncatingIfNeeded: badge)).1) ?? .null
  }

  package func release(_ name: CapabilityName) { task.space.deallocate(name) }

  package func client(for name: CapabilityName) throws(RPCError) -> SocketClientTransport { try task.space.client(for: name) }

  package func revoke(badge: UInt64) throws(RPCError) {
    for object in published.values where object.tag == Int32(truncatingIfNeeded: badge) { server.bucket.revoke(object) }
  }
}
