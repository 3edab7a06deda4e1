import Dispatch
import Foundation
import HurdCap
import HurdIDLRoundTripServices
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// A `CapTagServer` behind a bucket on an L4 server thread, and a client task holding capabilities.
final class PortWorld: @unchecked Sendable {
  let kernel = L4Kernel()
  let system = CapabilitySystem()
  let serverSpace: L4AddressSpace
  let clientSpace: L4AddressSpace
  let transport: L4ServerTransport
  let bucket: CapBucket
  let server = CapTagServer()
  private let done = DispatchSemaphore(value: 0)

  init() throws {
    serverSpace = kernel.createSpace()
    clientSpace = kernel.createSpace()
    transport = L4ServerTransport(space: serverSpace, workers: 1, capabilities: system)
    let task = UInt64(serverSpace.number)
    bucket = CapBucket(system: system, serverTask: task, address: transport.endpoint.raw)
    let tagClass = CapClass(name: "tagged", targeted: PortsDemux(server))
    server.bind(
      CapTagServer.Binding(
        publish: { [bucket, system] (object) throws(CapError) in
          try bucket.register(object, in: tagClass)
          return try system.space(for: task).insertReceiveRight(object)
        },
        object: { [system] in system.object(named: $0, in: task) as? Tagged },
        // The server keeps what it was given (as a Hurd server holding a capability would).
        release: { _ in }))
    let dispatcher = RequestDispatcher(bucket)
    BlockingExecutor.shared.execute { [transport, done] in
      try? transport.serve(dispatcher)
      done.signal()
    }
    while kernel.thread(transport.endpoint)?.ipcActivity != .receiving { usleep(100) }
  }

  var clientTask: TaskID { UInt64(clientSpace.number) }
  var clientNames: CapabilitySpace { system.space(for: clientTask) }

  /// A new object, and a send right to it in the client's space.
  func object(tag: Int32) throws -> CapabilityName {
    let (object, _) = try server.newObject(tag: tag)
    return try bucket.give(object, to: clientTask)
  }

  /// The generated client for the object `name` names in the client's space.
  func client(_ name: CapabilityName) throws(RPCError) -> PortsClient<CapabilityTransport<L4ClientTransport>> {
    let transport = try system.client(for: name, in: clientTask) { [clientSpace, system] address in
      L4ClientTransport(space: clientSpace, server: L4ThreadID(raw: address), capabilities: system)
    }
    return PortsClient(transport: transport)
  }

  func stop() {
    transport.shutdown()
    done.wait()
  }
}

@Suite("Port arguments through generated stubs over L4 with the capability layer")
struct CapabilityPortTests {
  /// The capability a client calls on is the handler's target object.
  @Test func handlersReceiveTheObjectTheCapabilityNames() throws {
    let world = try PortWorld()
    defer { world.stop() }
    #expect(try world.client(world.object(tag: 1)).tagOf() == 1)
    #expect(try world.client(world.object(tag: 2)).tagOf() == 2)
  }

  @Test func copySendLeavesTheSendersRight() throws {
    let world = try PortWorld()
    defer { world.stop() }
    let a = try world.object(tag: 1)
    let b = try world.object(tag: 2)
    #expect(try world.client(a).takeCopy(given: b) == 2)
    #expect(world.clientNames.userReferences(of: b) == 1)
    #expect(try world.client(b).tagOf() == 2)
  }

  @Test func moveSendTakesTheSendersRight() throws {
    let world = try PortWorld()
    defer { world.stop() }
    let a = try world.object(tag: 1)
    let b = try world.object(tag: 2)
    #expect(try world.client(a).takeMove(given: b) == 2)
    #expect(world.clientNames.right(of: b) == nil)
  }

  /// make-send in a reply: a new object the client can call.
  @Test func makeSendHandsOutANewObject() throws {
    let world = try PortWorld()
    defer { world.stop() }
    let made = try world.client(world.object(tag: 1)).make(tag: 7)
    #expect(try world.client(made).tagOf() == 7)
    #expect(try world.client(made).tagOf() == 7)
  }

  /// make-send-once in a reply, then that send-once right moved back in a request; a send-once
  /// right is good for one use.
  @Test func makeSendOnceAndMoveSendOnce() throws {
    let world = try PortWorld()
    defer { world.stop() }
    let a = try world.object(tag: 1)
    let once = try world.client(a).makeOnce(tag: 8)
    guard case .sendOnce? = world.clientNames.right(of: once) else {
      Issue.record("not a send-once right: \(String(describing: world.clientNames.right(of: once)))")
      return
    }
    #expect(try world.client(a).takeOnce(given: once) == 8)
    #expect(world.clientNames.right(of: once) == nil)
    let another = try world.client(a).makeOnce(tag: 9)
    #expect(try world.client(another).tagOf() == 9)
    #expect(caught { () throws(RPCError) in try world.client(another).tagOf() } != nil)
  }

  /// A polymorphic port: the caller picks the disposition, the server its own for the reply.
  @Test func polymorphicPortsCarryTheirDispositionBothWays() throws {
    let world = try PortWorld()
    defer { world.stop() }
    let a = try world.object(tag: 1)
    let b = try world.object(tag: 2)
    let back = try world.client(a).giveBack(given: CapabilityItem(b, disposition: .copySend))
    #expect(back.name == b)  // the client's own name for the object (user references merge)
    #expect(world.clientNames.userReferences(of: b) == 2)
    #expect(try world.client(back.name).tagOf() == 2)
    #expect(world.server.events.values.contains("giveBack move-send"))  // as the server received it
  }

  /// 62 words of arguments fill a request beside the capability id (63 registers); one word more
  /// travels in the overflow string. Both through the bucket, values at their limits.
  @Test func theLargestRequestFitsBesideTheCapabilityID() throws {
    let world = try PortWorld()
    defer { world.stop() }
    let client = try world.client(world.object(tag: 1))
    let limits: [Int64] = [.max, .min, -1, 0, 1]
    let words62 = InlineArray<62, Int64> { limits[$0 % limits.count] }
    let words63 = InlineArray<63, Int64> { limits[$0 % limits.count] }
    // What the generated client encodes, before the transport adds the capability id.
    let capturing = CapturingTransport()
    _ = try? PortsClient(transport: capturing).sum62(words: words62)
    _ = try? PortsClient(transport: capturing).sum63(words: words63)
    #expect(capturing.requests.count == 2)
    let request = try #require(capturing.requests.first)
    #expect(request.wordCount == 62 && request.items.isEmpty)
    #expect(try client.sum62(words: words62) == words62.elements.reduce(0, &+))
    let overflowing = try #require(capturing.requests.last)
    #expect(overflowing.wordCount == 0 && overflowing.items.count == 1)
    #expect(try client.sum63(words: words63) == words63.elements.reduce(0, &+))
  }

  /// An `sreplyport` handler defers its reply through the bucket; another thread answers later,
  /// once (a second answer is refused), whatever the handler returned or threw after deferring.
  @Test func aDeferredReplyIsAnsweredLaterFromAnotherThreadAndOnlyOnce() throws {
    let world = try PortWorld()
    defer { world.stop() }
    let client = try world.client(world.object(tag: 1))
    for value: Int32 in [21, 40] {
      // The caller blocks on its own thread (not the cooperative pool) until the answer comes.
      let call = BlockingCall { () throws(RPCError) in try client.later(value: value) }
      let deferred = try #require(world.server.nextDeferredReply())
      #expect(world.bucket.callsInFlight == 1)  // the call stays open after its handler returned
      #expect(!deferred.isCancelled)
      try deferred.send(value * 2)
      #expect(try call.result().get() == value * 2)
      do throws(DeferredReplyError) {
        try deferred.send(0)
        Issue.record("a deferred reply was answered twice")
      } catch {
        guard case .alreadyAnswered = error else {
          Issue.record("\(error)")
          return
        }
      }
      #expect(world.bucket.callsInFlight == 0)
    }
    // A deferred failure reaches the caller as its return code.
    let call = BlockingCall { () throws(RPCError) in try client.later(value: 3) }
    let deferred = try #require(world.server.nextDeferredReply())
    try deferred.fail(.EINVAL)
    #expect(call.result().error?.code == .returnCode(.EINVAL))
  }

  /// `CapTagServer` writes no `target(for:)`: its targets are `CapObject`s, which only a bucket finds.
  /// Served without one, every request answers `kernInvalidCapability` and no handler runs.
  @Test func capabilityTargetsServedWithoutABucketFindNoObject() throws {
    let server = CapTagServer()
    let client = PortsClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(PortsDemux(server))))
    let error = caught { () throws(RPCError) in try client.tagOf() }
    #expect(error?.code == .returnCode(.kernInvalidCapability))
    #expect(server.events.values.isEmpty)
  }

  /// A receive right does not travel: the call fails before anything is sent.
  @Test func aReceiveRightIsRefused() throws {
    let world = try PortWorld()
    defer { world.stop() }
    let a = try world.object(tag: 1)
    let error = caught { () throws(RPCError) in try world.client(a).takeReceive(given: a) }
    #expect(error?.code == .unsupported)
    #expect(!world.server.events.values.contains("takeReceive"))
  }
}

/// A blocking client call on a thread of its own, whose result the test collects later.
final class BlockingCall<Value: Sendable>: @unchecked Sendable {
  private let done = DispatchSemaphore(value: 0)
  private var outcome: Result<Value, RPCError>?

  init(_ body: @escaping @Sendable () throws(RPCError) -> Value) {
    Thread { [self] in
      do throws(RPCError) {
        outcome = .success(try body())
      } catch {
        outcome = .failure(error)
      }
      done.signal()
    }.start()
  }

  /// Waits for the call to end (the semaphore orders the write before this read).
  func result() -> Result<Value, RPCError> {
    done.wait()
    return outcome!
  }
}

extension Result {
  var error: Failure? {
    if case .failure(let error) = self { error } else { nil }
  }
}
