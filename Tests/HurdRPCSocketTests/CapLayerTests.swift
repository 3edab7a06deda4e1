import Dispatch
@_spi(Transport) import HurdCap
import HurdCapSocket
@_spi(Transport) import HurdRPC
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The capability layer (`HurdCap`) served across processes (`HurdCapSocket`): the bucket, its
/// objects and handlers are those of L4; capabilities are port descriptors. Each test's other
/// processes are `HurdRPCSocketTestHelper` (`cap-serve`, `cap-hold`, `cap-wait`).
@Suite("Socket transport with the cap library", .serialized)
struct CapLayerTests {
  /// A task of its own in this process (each needs its own space: one dead-name watch per space).
  static func task() throws -> SocketCapTask { try SocketCapTask(space: SocketCapabilitySpace()) }

  /// A bucket of counters served in this process at a fresh path, bootstrap object value 1.
  final class LocalCapServer: Sendable {
    let task: SocketCapTask
    let server: SocketCapServer
    let service: CapCounterService
    let counters: CapClass
    let root = Counter(1)

    init(threads: Int = 3, limits: CapLimits = .default) throws {
      task = try CapLayerTests.task()
      server = try SocketCapServer(task: task, path: socketPath("cap"), limits: limits)
      (service, counters) = CapCounterService.make(server: server)
      try server.bucket.register(root, in: counters)
      try server.setBootstrap(root)
      server.start(threads: threads)
    }

    var path: String { server.transport.path! }
  }

  static func call(_ transport: some ClientTransport, _ label: UInt64, _ words: UInt64...) throws(RPCError) -> Message {
    var request = Message(label: label)
    for word in words { try request.append(word) }
    return try RPCClient(transport: transport).call(request)
  }

  /// The capability a `makeChild` / `makeOnce` reply carries.
  static func child(_ transport: some ClientTransport, value: UInt64, once: Bool = false) throws(RPCError)
    -> CapabilityName
  {
    try call(transport, once ? CapCounterService.makeOnce : CapCounterService.makeChild, value).capabilities[0].name
  }

  /// The dead names `task` is told of within `seconds` (each with its count), waiting until
  /// `expected` arrived, then a little longer to catch duplicates.
  static func deadNames(_ task: SocketCapTask, expected: Int, seconds: Double = 10) -> [CapabilityName: Int] {
    task.deadNames(expected: expected, seconds: seconds)
  }

  @Test func aBucketInAnotherProcessServesItsObjectsThroughPorts() throws {
    let helper = try HelperProcess("cap-serve", path: socketPath("capserve"))
    defer { helper.finish() }
    let me = try Self.task()
    let root = me.client(path: helper.path)
    let bootstrap = try Self.call(root, CapCounterService.value)
    #expect(try bootstrap.word(at: 1) == 1)
    let five = try Self.child(root, value: 5)
    let reply = try Self.call(try me.client(for: five), CapCounterService.value)
    #expect(try reply.word(at: 1) == 5)
    // One process, one client task, whichever connection the call came through.
    #expect(try reply.word(at: 2) == bootstrap.word(at: 2))
    #expect(try reply.word(at: 2) >= 1 << 62)
  }

  @Test func revocationAcrossProcessesKillsEveryCopyAtOnce() throws {
    let helper = try HelperProcess("cap-serve", path: socketPath("caprevoke"))
    defer { helper.finish() }
    let me = try Self.task()
    let root = me.client(path: helper.path)
    let first = try Self.child(root, value: 4)
    let second = try Self.child(root, value: 4)  // a second port to the same object
    #expect(first != second)
    let firstClient = try me.client(for: first)
    #expect(try Self.call(firstClient, CapCounterService.value).word(at: 1) == 4)
    let runs = try Self.call(root, CapCounterService.handlerRuns).word(at: 1)
    // The handler revokes its own object; its reply still arrives.
    _ = try Self.call(firstClient, CapCounterService.revokeSelf)
    #expect(Self.deadNames(me, expected: 2) == [first: 1, second: 1])
    // Calls on the open connection, and through the dead port, fail "capability died"…
    #expect(rpcError { () throws(RPCError) in _ = try Self.call(firstClient, CapCounterService.value) }?.code == .returnCode(.capDied))
    #expect(rpcError { () throws(RPCError) in _ = try Self.call(try me.client(for: second), CapCounterService.value) }?.code == .returnCode(.capDied))
    #expect(rpcError { () throws(RPCError) in _ = try Self.call(try me.client(for: first), CapCounterService.value) }?.code == .returnCode(.capDied))
    // …and no handler ran for them (handlerRuns counts itself and revokeSelf).
    #expect(try Self.call(root, CapCounterService.handlerRuns).word(at: 1) == runs + 2)
  }

  @Test func aKilledServerGivesEveryHolderOneDeadName() throws {
    let helper = try HelperProcess("cap-serve", path: socketPath("capkill"))
    let me = try Self.task()
    let root = me.client(path: helper.path)
    let names = [try Self.child(root, value: 2), try Self.child(root, value: 2), try Self.child(root, value: 3)]
    let inFlight = try me.client(for: names[2])
    _ = try Self.call(inFlight, CapCounterService.value)
    helper.kill()
    #expect(Self.deadNames(me, expected: 3) == Dictionary(uniqueKeysWithValues: names.map { ($0, 1) }))
    for name in names { #expect(me.space.isDead(name)) }
    #expect(rpcError { () throws(RPCError) in _ = try me.client(for: names[0]) }?.code == .returnCode(.capDied))
    #expect(rpcError { () throws(RPCError) in _ = try Self.call(inFlight, CapCounterService.value) }?.code == .returnCode(.capDied))
  }

  @Test func aKilledServerGivesAHolderInAnotherProcessOneDeadName() throws {
    let server = try HelperProcess("cap-serve", path: socketPath("capkill2"))
    let holder = try HelperProcess("cap-hold", path: server.path)
    defer { holder.kill() }
    let me = try Self.task()
    let seven = try Self.child(me.client(path: server.path), value: 7)  // the object the holder has
    server.kill()
    #expect(Self.deadNames(me, expected: 1) == [seven: 1])
    #expect(holder.line(within: 10_000) == "dead-name 1")
    #expect(holder.line(within: 300) == nil)  // and only once
  }

  @Test func closingTheLastCopyOfACapabilityGivesNoSendersOnce() throws {
    let local = try LocalCapServer()
    defer { local.server.shutdown() }
    let me = try Self.task()
    let root = me.client(path: local.path)
    let name = try Self.child(root, value: 8)
    let copy = try Self.child(root, value: 8)  // a second port to the same object
    let child = try #require(local.service.children.values.first)
    do {
      let client = try me.client(for: name)
      _ = try Self.call(client, CapCounterService.value)
    }  // its connection and port copy close here
    me.space.deallocate(name)
    usleep(100_000)
    #expect(local.task.notifications.poll().entries.isEmpty)  // `copy` still holds it
    me.space.deallocate(copy)
    let batch = local.task.notifications.wait(until: .now.advanced(by: .seconds(10)))
    #expect(batch.entries.map(\.event) == [.noSenders(child)])
    usleep(100_000)
    #expect(local.task.notifications.poll().isEmpty)
    #expect(waitUntil { local.server.portCount == 0 })
    #expect(local.server.bucket.referenceCount(of: child) == 0)
  }

  @Test func aKilledClientReleasesItsReferencesAndNoSendersFollows() throws {
    let local = try LocalCapServer()
    defer { local.server.shutdown() }
    // The server's own descriptors (ports and connections): other suites run in this process at
    // the same time, so /proc/self/fd is not ours to count here (FaultTests counts a server
    // process's descriptors, where nothing else runs).
    let baseline = local.server.transport.connectionCount
    let helper = try HelperProcess("cap-hold", path: local.path)
    #expect(waitUntil { local.server.portCount == 1 && local.server.clientTaskCount == 1 })
    #expect(local.server.transport.connectionCount > baseline)  // the helper's port and connection
    let child = try #require(local.service.children.values.first)
    #expect(child.value == 7)
    #expect(local.server.bucket.referenceCount(of: child) >= 2)  // its port and the helper's connection
    helper.kill()
    var noSenders = 0
    let end = ContinuousClock.now.advanced(by: .seconds(10))
    while ContinuousClock.now < end, noSenders == 0 {
      for entry in local.task.notifications.wait(until: end).entries {
        if case .noSenders(let object) = entry.event, object === child { noSenders += entry.count }
      }
    }
    usleep(200_000)
    for entry in local.task.notifications.poll().entries {
      if case .noSenders(let object) = entry.event, object === child { noSenders += entry.count }
    }
    #expect(noSenders == 1)
    #expect(local.server.bucket.referenceCount(of: child) == 0)
    #expect(waitUntil { local.server.portCount == 0 && local.server.clientTaskCount == 0 })
    #expect(waitUntil { local.server.transport.connectionCount == baseline })
    #expect(local.server.bucket.referenceCount(of: local.root) == 1)  // the path's own reference
  }

  @Test func shortLivedClientTasksLeaveNoRecordsBehind() throws {
    let local = try LocalCapServer()
    defer { local.server.shutdown() }
    let me = try Self.task()
    // Warm up: whatever the first client task leaves for good is part of the baseline.
    _ = try Self.call(me.client(path: local.path), CapCounterService.value)
    #expect(waitUntil { local.server.clientTaskCount == 0 })
    let baseline = local.server.taskRecordCount
    var tasks: [UInt64] = []
    for round in 0..<20 {
      // A new client transport: its own connections, so a new connection group — a new task —
      // which calls, takes a capability, gives it back and hangs up.
      do {
        let root = me.client(path: local.path)
        let child = try Self.child(root, value: UInt64(round))
        #expect(try Self.call(try me.client(for: child), CapCounterService.value).word(at: 1) == UInt64(round))
        tasks.append(try Self.call(root, CapCounterService.value).word(at: 2))
        me.space.deallocate(child)
      }
      #expect(waitUntil { local.server.clientTaskCount == 0 && local.server.portCount == 0 })
    }
    #expect(Set(tasks).count == tasks.count)  // every group a task of its own, never an old one
    // Inhibiting a task that is gone makes no namespace for it either.
    local.server.bucket.inhibit(.client(tasks[0]))
    local.server.bucket.resume(.client(tasks[0]))
    #expect(waitUntil { local.server.taskRecordCount == baseline }, "records: \(local.server.taskRecordCount) vs \(baseline)")
    // And the process, back once more, is served as a new task.
    #expect(try Self.call(me.client(path: local.path), CapCounterService.value).word(at: 2) > tasks.last!)
  }

  @Test func aThirdProcessUsesACopiedCapability() throws {
    let owner = try HelperProcess("cap-serve", path: socketPath("capowner"))
    defer { owner.finish() }
    let third = try HelperProcess("cap-serve", path: socketPath("capthird"))
    defer { third.finish() }
    let me = try Self.task()
    let nine = try Self.child(me.client(path: owner.path), value: 9)
    let thirdRoot = me.client(path: third.path)
    func callThrough(_ disposition: CapabilityDisposition) throws(RPCError) -> UInt64 {
      var request = Message(label: CapCounterService.callThrough)
      try request.append(.capability(CapabilityItem(nine, disposition: disposition)))
      return try RPCClient(transport: thirdRoot).call(request).word(at: 1)
    }
    #expect(try callThrough(.copySend) == 9)
    #expect(try Self.call(try me.client(for: nine), CapCounterService.value).word(at: 1) == 9)  // still ours
    // Sent back to its own server, the port names the object there (intran).
    var identify = Message(label: CapCounterService.identify)
    try identify.append(.capability(CapabilityItem(nine, disposition: .copySend)))
    let identified = try RPCClient(transport: me.client(path: owner.path)).call(identify)
    #expect(try identified.word(at: 1) == 1 && identified.word(at: 2) == 9)
    // A move takes the right from the sender.
    #expect(try callThrough(.moveSend) == 9)
    #expect(rpcError { () throws(RPCError) in _ = try me.client(for: nine) }?.code == .badArguments)
  }

  @Test func aSendOnceCapabilityAnswersOneCall() throws {
    let helper = try HelperProcess("cap-serve", path: socketPath("caponce"))
    defer { helper.finish() }
    let me = try Self.task()
    let root = me.client(path: helper.path)
    let once = try Self.child(root, value: 3, once: true)
    #expect(me.space.isSendOnce(once))
    let client = try me.client(for: once)
    #expect(rpcError { () throws(RPCError) in _ = try me.client(for: once) }?.code == .badArguments)  // the name was consumed
    #expect(try Self.call(client, CapCounterService.value).word(at: 1) == 3)
    let runs = try Self.call(root, CapCounterService.handlerRuns).word(at: 1)
    #expect(rpcError { () throws(RPCError) in _ = try Self.call(client, CapCounterService.value) }?.code == .returnCode(.capInvalid))
    #expect(try Self.call(root, CapCounterService.handlerRuns).word(at: 1) == runs + 1)  // no handler ran
  }

  @Test func deferredRepliesTravelOverSockets() throws {
    let helper = try HelperProcess("cap-serve", path: socketPath("capdefer"))
    defer { helper.finish() }
    let me = try Self.task()
    let root = me.client(path: helper.path)
    #expect(try Self.call(root, CapCounterService.deferred, 30).word(at: 1) == 1001)
    let six = try me.client(for: try Self.child(root, value: 6))
    #expect(try Self.call(six, CapCounterService.deferred, 0).word(at: 1) == 1006)
  }

  @Test func inhibitionWithACallInFlightFromAnotherProcess() throws {
    let local = try LocalCapServer()
    defer { local.server.shutdown() }
    let helper = try HelperProcess("cap-wait", path: local.path)
    defer { helper.finish() }
    #expect(local.service.started.wait(timeout: .now() + 10) == .success)
    // Inhibiting cancels the other process's running call and waits until it has drained.
    local.server.bucket.inhibit(.bucket)
    #expect(local.server.bucket.callsInFlight == 0)
    // A call from this process waits while the bucket is inhibited, and runs after resume.
    let me = try Self.task()
    let root = me.client(path: local.path)
    let answered = SharedLog<UInt64>()
    let done = DispatchSemaphore(value: 0)
    Thread.detach {
      if let reply = try? Self.call(root, CapCounterService.value) { answered.append((try? reply.word(at: 1)) ?? 0) }
      done.signal()
    }
    #expect(done.wait(timeout: .now() + .milliseconds(200)) == .timedOut)
    #expect(answered.values.isEmpty)
    local.server.bucket.resume(.bucket)
    #expect(done.wait(timeout: .now() + 10) == .success)
    #expect(answered.values == [1])
  }

  @Test func inhibitingAClientProcessLeavesOtherProcessesServed() throws {
    let local = try LocalCapServer()
    defer { local.server.shutdown() }
    let helper = try HelperProcess("cap-wait", path: local.path)
    defer { helper.finish() }
    #expect(local.service.started.wait(timeout: .now() + 10) == .success)
    let helperTask = try #require(local.server.clientTask(ofProcess: helper.pid))
    local.server.bucket.inhibit(.client(helperTask))  // cancels and drains the helper's call
    #expect(local.server.bucket.callsInFlight == 0)
    #expect(helper.line(within: 10_000) == "ended: returnCode(\(ReturnCode.ECANCELED))")
    let me = try Self.task()
    #expect(try Self.call(me.client(path: local.path), CapCounterService.value).word(at: 1) == 1)
    local.server.bucket.resume(.client(helperTask))
  }

  @Test func aClientProcessOverItsCallLimitGetsBusyWithoutAHandler() throws {
    let local = try LocalCapServer(limits: CapLimits(callsPerClient: 1))
    defer { local.server.shutdown() }
    let helper = try HelperProcess("cap-wait", path: local.path)
    defer { helper.finish() }
    #expect(local.service.started.wait(timeout: .now() + 10) == .success)
    // The limit is per client task (process): another process is served meanwhile.
    let me = try Self.task()
    #expect(try Self.call(me.client(path: local.path), CapCounterService.value).word(at: 1) == 1)
    // A second call of the same process, on another connection, is over the limit.
    let runs = local.service.runs.values.count
    let meToo = try Self.task()
    let waiting = SharedLog<Int>()
    Thread.detach {
      _ = try? Self.call(meToo.client(path: local.path), CapCounterService.waitForCancel)
      waiting.append(1)
    }
    #expect(local.service.started.wait(timeout: .now() + 10) == .success)
    #expect(rpcError { () throws(RPCError) in _ = try Self.call(meToo.client(path: local.path), CapCounterService.value) }?.code == .returnCode(.EBUSY))
    #expect(local.service.runs.values.count == runs + 1)  // only the waiting call's handler ran
    local.server.bucket.inhibit(.bucket)  // ends both waiting calls
    local.server.bucket.resume(.bucket)
    #expect(waitUntil { waiting.values.count == 1 })
  }

  @Test func aNameServiceHandsOutABucketsObject() throws {
    let local = try LocalCapServer()
    defer { local.server.shutdown() }
    // The name service keeps what is registered in a space of its own.
    let names = try Self.task()
    let service = try SocketServerTransport(path: socketPath("names"), configuration: names.configuration())
    let serving = DispatchSemaphore(value: 0)
    Thread.detach {
      try? service.serve(RequestDispatcher(SocketNameService(space: names.space)))
      serving.signal()
    }
    defer {
      service.shutdown()
      serving.wait()
    }
    let registrar = SocketClientTransport(path: service.path!, configuration: local.task.configuration())
    let counter = Counter(11)
    let published = try local.server.publish(counter, in: local.counters)
    try SocketNameService.register("counter", CapabilityItem(published, disposition: .makeSend), at: registrar)
    let me = try Self.task()
    let found = try SocketNameService.lookup(
      "counter", at: SocketClientTransport(path: service.path!, configuration: me.configuration()))
    #expect(try Self.call(try me.client(for: found), CapCounterService.value).word(at: 1) == 11)
    #expect(local.server.object(named: published) === counter)  // intran of the receive-right name
  }

  @Test func aProcessReachesOnlyTheObjectsItWasGiven() throws {
    let local = try LocalCapServer()
    defer { local.server.shutdown() }
    let me = try Self.task()
    // Without a bootstrap object the path leads nowhere; a port made for one object never
    // reaches another; a revoked object's port is dead before any handler runs.
    let other = try SocketCapServer(task: try Self.task(), path: socketPath("capnoroot"))
    other.start(threads: 1)
    defer { other.shutdown() }
    #expect(rpcError { () throws(RPCError) in _ = try Self.call(me.client(path: other.transport.path!), CapCounterService.value) } != nil)
    let secret = Counter(42)
    let shown = Counter(43)
    try local.server.bucket.register(secret, in: local.counters)
    try local.server.bucket.register(shown, in: local.counters)
    let port = try local.server.makePort(for: shown)
    let name = me.space.insertSendRight(descriptor: port)
    #expect(try Self.call(try me.client(for: name), CapCounterService.value).word(at: 1) == 43)
    let runs = local.service.runs.values.count
    local.server.bucket.revoke(shown)
    #expect(Self.deadNames(me, expected: 1) == [name: 1])
    #expect(rpcError { () throws(RPCError) in _ = try Self.call(try me.client(for: name), CapCounterService.value) }?.code == .returnCode(.capDied))
    #expect(local.service.runs.values.count == runs)
  }

  @Test func cancellingADeliveredCallGivesAbortedAndTheHandlerSeesIt() throws {
    let local = try LocalCapServer()
    defer { local.server.shutdown() }
    let me = try Self.task()
    let root = me.client(path: local.path)
    let handle = CallCancellation()
    let outcome = SharedLog<RPCError>()
    let done = DispatchSemaphore(value: 0)
    Thread.detach {
      do throws(RPCError) {
        _ = try RPCClient(transport: root).call(Message(label: CapCounterService.waitForCancel), options: CallOptions(cancellation: handle))
      } catch {
        outcome.append(error)
      }
      done.signal()
    }
    #expect(local.service.started.wait(timeout: .now() + 10) == .success)
    handle.cancel()
    #expect(done.wait(timeout: .now() + 10) == .success)
    #expect(outcome.values.first?.code == .aborted)
    // The handler saw the hang-up as its cancellation and returned: nothing stays in flight.
    #expect(waitUntil { local.server.bucket.callsInFlight == 0 })
  }
}
