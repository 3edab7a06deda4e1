import Dispatch
import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Every suite of this target, one at a time: the tests block their thread (waiting for servers,
/// handlers, inhibition), and Swift Testing runs synchronous tests on the small cooperative pool,
/// so running them in parallel would starve the other targets' async tests.
@Suite(.serialized) struct CapabilityLayerTests {}

/// A value behind a pthread mutex (TSan-visible), for test bookkeeping.
final class Locked<Value>: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private var value: Value

  init(_ value: Value) {
    self.value = value
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  func withLock<R>(_ body: (inout Value) -> R) -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return body(&value)
  }
}

/// Runs `body` on its own thread; `wait()` returns its result.
final class Background<T: Sendable>: @unchecked Sendable {
  private let result = Locked<T?>(nil)
  private let finished = DispatchSemaphore(value: 0)

  init(_ body: @escaping @Sendable () -> T) {
    BlockingExecutor.shared.execute { [result, finished] in
      let value = body()
      result.withLock { $0 = value }
      finished.signal()
    }
  }

  /// Whether it finished within `milliseconds`.
  func finishes(within milliseconds: Int) -> Bool {
    if finished.wait(timeout: .now() + .milliseconds(milliseconds)) == .success {
      finished.signal()
      return true
    }
    return false
  }

  func wait() -> T {
    finished.wait()
    finished.signal()
    return result.withLock { $0! }
  }
}

/// Call options with a fresh cancellation handle.
func cancellable() -> (CallCancellation, CallOptions) {
  let handle = CallCancellation()
  var options = CallOptions.default
  options.cancellation = handle
  return (handle, options)
}

func caught<T>(_ body: () throws(RPCError) -> T) -> RPCError? {
  do {
    _ = try body()
    return nil
  } catch {
    return error
  }
}

/// A test object: a counter.
final class Counter: CapObject, @unchecked Sendable {
  let value = Locked<UInt64>(0)
  let name: String
  init(_ name: String = "counter") { self.name = name }
}

/// Counters' demux (what a generated demux for a capability-based interface looks like).
struct CounterDemux: CapDemultiplexer {
  static let add: UInt64 = 1  // (n) → new value
  static let whoAmI: UInt64 = 2  // () → 1 if the caller is `expectedTask`'s domain
  static let waitForCancel: UInt64 = 3  // blocks until cancelled; replies ECANCELED
  static let deferred: UInt64 = 4  // defers; the test answers through `deferredReplies`
  static let makeCounter: UInt64 = 5  // () → a new counter, make-send (or make-send-once if word 0 = 1)
  static let readPort: UInt64 = 6  // (cap) → the value of the counter the capability names (server-side object)
  static let keep: UInt64 = 7  // (cap) → keeps the received name (in `log.kept`)
  static let slowString: UInt64 = 8  // (string) → records it, blocks until cancelled; replies ECANCELED
  static let echoString: UInt64 = 9  // (string) → the same string, in a reply
  static let keepContext: UInt64 = 10  // () → keeps its call context (in `log.contexts`) past the call

  let log: Log
  let system: CapabilitySystem
  let serverTask: TaskID
  let bucket: @Sendable () -> CapBucket
  let counterClass: @Sendable () -> CapClass

  final class Log: @unchecked Sendable {
    let handled = Locked<[String]>([])
    let started = DispatchSemaphore(value: 0)
    let deferredReplies = Locked<[DeferredReply]>([])
    let kept = Locked<[CapabilityItem]>([])
    /// Counters created by `makeCounter`.
    let made = Locked<[Counter]>([])
    /// The cancellation handle each handler saw (to check it is never the client's own).
    let tokens = Locked<[ObjectIdentifier]>([])
    let callers = Locked<[CallerIdentity]>([])
    let contexts = Locked<[CapCallContext]>([])
    func record(_ entry: String) { handled.withLock { $0.append(entry) } }
    /// Drops what the log holds of objects and calls (they lead back to the class, whose demux
    /// holds this log: a cycle).
    func forgetObjects() {
      made.withLock { $0 = [] }
      contexts.withLock { $0 = [] }
      deferredReplies.withLock { $0 = [] }
    }
    var all: [String] { handled.withLock { $0 } }
  }

  func dispatch(_ request: borrowing Message, reply: inout Message, object: Counter, context: CapCallContext)
    throws(RPCError)
  {
    log.record("\(object.name):\(request.label)")
    log.callers.withLock { $0.append(context.caller) }
    if let token = context.call.cancellation { log.tokens.withLock { $0.append(ObjectIdentifier(token)) } }
    switch request.label {
    case Self.add:
      let n = try request.word(at: 0)
      try reply.append(object.value.withLock { $0 += n; return $0 })
    case Self.whoAmI:
      try reply.append(context.caller.domainID)
    case Self.waitForCancel:
      let cancelled = DispatchSemaphore(value: 0)
      context.onCancel { cancelled.signal() }
      log.started.signal()
      cancelled.wait()
      throw RPCError(.returnCode(.ECANCELED))
    case Self.deferred:
      let handle: DeferredReply
      do throws(CapError) { handle = try context.deferReply() } catch { throw RPCError(.unsupported, "\(error)") }
      log.deferredReplies.withLock { $0.append(handle) }
      log.started.signal()
    case Self.makeCounter:
      let counter = Counter("made")
      log.made.withLock { $0.append(counter) }
      let once = (try? request.word(at: 0)) == 1
      let name: CapabilityName
      do throws(CapError) {
        try bucket().register(counter, in: counterClass())
        name = try system.space(for: serverTask).insertReceiveRight(counter)
      } catch {
        throw RPCError(.unsupported, "\(error)")
      }
      try reply.append(.capability(CapabilityItem(name, disposition: once ? .makeSendOnce : .makeSend)))
    case Self.readPort:
      guard case .capability(let item)? = request.items.first,
        let target = system.object(named: item.name, in: serverTask) as? Counter
      else { throw RPCError(.badArguments, "no counter capability") }
      try reply.append(target.value.withLock { $0 })
      system.space(for: serverTask).deallocate(item.name)
    case Self.slowString:
      guard case .string(let string)? = request.items.first else { throw RPCError(.badArguments, "no string") }
      log.record("string:\(string.bytes.count)")
      let cancelled = DispatchSemaphore(value: 0)
      context.onCancel { cancelled.signal() }
      log.started.signal()
      cancelled.wait()
      throw RPCError(.returnCode(.ECANCELED))
    case Self.echoString:
      guard case .string(let string)? = request.items.first else { throw RPCError(.badArguments, "no string") }
      try reply.append(.string(string))
    case Self.keepContext:
      log.contexts.withLock { $0.append(context) }
    case Self.keep:
      guard case .capability(let item)? = request.items.first else { throw RPCError(.badArguments, "no capability") }
      log.kept.withLock { $0.append(item) }
    default:
      throw RPCError(.badID)
    }
  }
}

/// A modelled system: one L4 kernel, one capability system, a counter server (`self` acts as
/// it), and more servers on demand.
final class CapWorld: @unchecked Sendable {
  let kernel: L4Kernel
  let system: CapabilitySystem
  let serverSpace: L4AddressSpace
  let transport: L4ServerTransport
  let bucket: CapBucket
  let counters: CapClass
  let log = CounterDemux.Log()
  private let done = DispatchSemaphore(value: 0)
  private let others = Locked<[CapWorld]>([])
  // What the counters' demux reaches the bucket and class through; emptied by `stop` (the class
  // holds the demux, which would otherwise keep the class, the bucket and the system alive).
  private let bucketBox = Locked<CapBucket?>(nil)
  private let classBox = Locked<CapClass?>(nil)

  /// `interceptors` see every request the server's dispatcher handles (e.g. to learn that a
  /// one-way request was refused, which its sender never hears).
  convenience init(
    workers: Int = 2, limits: CapLimits = .default, notificationCapacity: Int = 256,
    interceptors: [any ServerInterceptor] = []
  ) {
    let kernel = L4Kernel()
    self.init(
      kernel: kernel, system: CapabilitySystem(notificationCapacity: notificationCapacity), workers: workers,
      limits: limits, interceptors: interceptors)
  }

  init(
    kernel: L4Kernel, system: CapabilitySystem, workers: Int, limits: CapLimits,
    interceptors: [any ServerInterceptor] = []
  ) {
    self.kernel = kernel
    self.system = system
    serverSpace = kernel.createSpace()
    transport = L4ServerTransport(space: serverSpace, workers: workers, capabilities: system)
    let bucketBox = self.bucketBox
    let classBox = self.classBox
    counters = CapClass(
      name: "counter",
      demux: CounterDemux(
        log: log, system: system, serverTask: UInt64(serverSpace.number),
        bucket: { bucketBox.withLock { $0! } }, counterClass: { classBox.withLock { $0! } }))
    bucket = CapBucket(
      system: system, serverTask: UInt64(serverSpace.number), address: transport.endpoint.raw, limits: limits)
    bucketBox.withLock { $0 = bucket }
    classBox.withLock { [counters] in $0 = counters }
    let dispatcher = RequestDispatcher(bucket, interceptors: interceptors)
    BlockingExecutor.shared.execute { [transport, done] in
      try? transport.serve(dispatcher)
      done.signal()
    }
    let endpoint = transport.endpoint
    while kernel.thread(endpoint)?.ipcActivity != .receiving { usleep(100) }
  }

  /// Another counter server in the same kernel and capability system (a third party).
  func anotherServer(workers: Int = 1) -> CapWorld {
    let other = CapWorld(kernel: kernel, system: system, workers: workers, limits: .default)
    others.withLock { $0.append(other) }
    return other
  }

  var serverTask: TaskID { UInt64(serverSpace.number) }

  /// A new client task.
  func task() -> L4AddressSpace { kernel.createSpace() }

  /// A new client task holding a capability to a new counter.
  func holder(_ counterName: String = "counter") throws(CapError) -> (L4AddressSpace, Counter, CapabilityName) {
    let client = task()
    let counter = try counter(counterName)
    return (client, counter, try bucket.give(counter, to: UInt64(client.number)))
  }

  /// Two client tasks, Alice and Bob, each holding a capability to the same new counter.
  func aliceAndBob() throws(CapError) -> (
    counter: Counter, alice: L4AddressSpace, aliceName: CapabilityName, bob: L4AddressSpace, bobName: CapabilityName
  ) {
    let alice = task()
    let bob = task()
    let counter = try counter()
    let aliceName = try bucket.give(counter, to: UInt64(alice.number))
    return (counter, alice, aliceName, bob, try bucket.give(counter, to: UInt64(bob.number)))
  }

  /// A registered counter.
  func counter(_ name: String = "counter") throws(CapError) -> Counter {
    let counter = Counter(name)
    try bucket.register(counter, in: counters)
    return counter
  }

  /// An RPC client for `name` in `space`'s capability space.
  func client(_ name: CapabilityName, in space: L4AddressSpace) throws(RPCError)
    -> RPCClient<CapabilityTransport<L4ClientTransport>>
  {
    let transport = try system.client(for: name, in: UInt64(space.number)) { [system] address in
      L4ClientTransport(space: space, server: L4ThreadID(raw: address), capabilities: system)
    }
    return RPCClient(transport: transport)
  }

  /// Calls `label` with `words` (and `items`) on `name` from `space`; the reply's words after the RetCode.
  func call(
    _ name: CapabilityName, in space: L4AddressSpace, _ label: UInt64, _ words: [UInt64] = [],
    items: [TypedItem] = [], options: CallOptions = .default
  ) throws(RPCError) -> [UInt64] {
    try callForReply(name, in: space, label, words, items: items, options: options).words.dropFirst().map { $0 }
  }

  func callForReply(
    _ name: CapabilityName, in space: L4AddressSpace, _ label: UInt64, _ words: [UInt64] = [],
    items: [TypedItem] = [], options: CallOptions = .default
  ) throws(RPCError) -> Message {
    var request = try Message(label: label, words: words)
    for item in items { try request.append(item) }
    return try client(name, in: space).call(request, options: options)
  }

  /// A raw call with `capabilityWord` as word 0 (for forged ids): the error, if any.
  func rawCall(_ capabilityWord: UInt64, from space: L4AddressSpace, label: UInt64 = CounterDemux.add) -> RPCError? {
    let raw = L4ClientTransport(space: space, server: transport, capabilities: system)
    return caught { () throws(RPCError) in
      try RPCClient(transport: raw).call(try Message(label: label, words: [capabilityWord, 1]))
    }
  }

  /// Stops the servers and ends their tasks (buckets shut down, spaces cleared) and forgets the
  /// logged objects: a bucket stays registered with its capability system until then, and the
  /// server space's receive rights and the log hold objects whose class's demux holds the
  /// system and the log, so otherwise every world would leak.
  func stop() {
    for other in others.withLock({ $0 }) { other.stop() }
    transport.shutdown()
    done.wait()
    system.taskDied(serverTask)
    log.forgetObjects()
    bucketBox.withLock { $0 = nil }
    classBox.withLock { $0 = nil }
  }
}
