import Dispatch
@_spi(Transport) import HurdCap
import HurdCapSocket
@_spi(Transport) import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#endif

/// An object of the capability tests: a counter with a value.
public final class Counter: CapObject, @unchecked Sendable {
  public let value: UInt64
  public init(_ value: UInt64) { self.value = value }
}

/// The class the capability-over-sockets tests serve (in the test process or in a helper), with
/// routines in the shape of a generated `CapDemultiplexer`: each handler gets the `Counter` the
/// caller's capability names.
public struct CapCounterService: CapDemultiplexer {
  public static let value: UInt64 = 200  // → the object's value, the caller's task id
  public static let makeChild: UInt64 = 201  // (v) → the object of value v (made once), as a make-send capability
  public static let makeOnce: UInt64 = 202  // (v) → the object of value v, as a make-send-once capability
  public static let waitForCancel: UInt64 = 203  // blocks until cancelled (caller hang-up or inhibition)
  public static let deferred: UInt64 = 204  // (ms) → answered later from another thread: value + 1000
  public static let callThrough: UInt64 = 205  // capability → calls `value` through it and returns that
  public static let revokeSelf: UInt64 = 206  // revokes the object the call is on (the reply still goes)
  public static let handlerRuns: UInt64 = 207  // → how many handlers ran in this server
  public static let identify: UInt64 = 208  // capability → 1 and its value if it names one of our objects, else 0
  public static let openDescriptors: UInt64 = 209  // → descriptors open in the serving process

  /// The server whose objects these are (set once the server exists).
  let server: ServerBox
  public let runs = SharedLog<UInt64>()
  /// The objects `makeChild` made.
  public let children = SharedLog<Counter>()
  /// Signalled when a `waitForCancel` handler starts.
  public let started = DispatchSemaphore(value: 0)
  let counterClass: ClassBox

  public init() {
    server = ServerBox()
    counterClass = ClassBox()
  }

  /// The class serving this demux, and the server publishing its objects.
  public static func make(server: SocketCapServer) -> (CapCounterService, CapClass) {
    let service = CapCounterService()
    let objectClass = CapClass(name: "counter", demux: service)
    service.server.value = server
    service.counterClass.value = objectClass
    return (service, objectClass)
  }

  public func dispatch(_ request: borrowing Message, reply: inout Message, object: Counter, context: CapCallContext)
    throws(RPCError)
  {
    runs.append(request.label)
    guard let server = server.value, let objectClass = counterClass.value else { throw RPCError(.unsupported) }
    switch request.label {
    case Self.value:
      try reply.append(object.value)
      try reply.append(context.caller.domainID)
    case Self.makeChild, Self.makeOnce:
      // One object per value: asking twice gives two ports to the same object.
      let value = try request.word(at: 0)
      let child = children.values.first { $0.value == value && !$0.isRevoked } ?? Counter(value)
      if child.objectClass == nil { children.append(child) }
      let name: CapabilityName
      do throws(CapError) {
        name = try server.publish(child, in: objectClass)
      } catch {
        throw RPCError(.returnCode(.ENOMEM), "\(error)")
      }
      try reply.append(.capability(CapabilityItem(name, disposition: request.label == Self.makeOnce ? .makeSendOnce : .makeSend)))
    case Self.waitForCancel:
      let cancelled = DispatchSemaphore(value: 0)
      context.onCancel { cancelled.signal() }
      started.signal()
      cancelled.wait()
      throw RPCError(.returnCode(.ECANCELED))
    case Self.deferred:
      let delay = try request.word(at: 0)
      let answer: DeferredReply
      do throws(CapError) {
        answer = try context.deferReply()
      } catch {
        throw RPCError(.unsupported, "\(error)")
      }
      let value = object.value
      DispatchQueue(label: "deferred").asyncAfter(deadline: .now() + .milliseconds(Int(delay))) {
        var message = answer.makeReply()
        try? message.append(value + 1000)
        _ = try? answer.send(message)
      }
    case Self.callThrough:
      guard let item = request.capabilities.first else { throw RPCError(.badArguments, "no capability") }
      defer { server.task.space.deallocate(item.name) }
      let client = RPCClient(transport: try server.task.client(for: item.name))
      let answer = try client.call(Message(label: Self.value))
      try reply.append(try answer.word(at: 1))
    case Self.revokeSelf:
      server.bucket.revoke(object, excluding: context)
    case Self.handlerRuns:
      try reply.append(UInt64(runs.values.count))
    case Self.identify:
      guard let item = request.capabilities.first else { throw RPCError(.badArguments, "no capability") }
      defer { server.task.space.deallocate(item.name) }
      if let found = server.object(named: item.name) as? Counter {
        try reply.append(1)
        try reply.append(found.value)
      } else {
        try reply.append(0)
      }
    case Self.openDescriptors:
      try reply.append(UInt64(openDescriptorCount()))
    default:
      throw RPCError(.returnCode(.migBadID))
    }
  }
}

/// Set once, read by handlers (after the server started serving).
final class ServerBox: @unchecked Sendable {
  var value: SocketCapServer?
}

final class ClassBox: @unchecked Sendable {
  var value: CapClass?
}
