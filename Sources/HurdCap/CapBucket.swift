@_spi(Transport) import HurdRPC

/// A set of capabilities served together (`hurd_cap_bucket_t`): the objects, every client's
/// capability-id namespace, the calls in flight, inhibition, and the transfer containers of the
/// copy protocol. It is a `Demultiplexer`, so any `ServerTransport` serves it; on L4,
/// `L4ServerTransport(workers: n)` is the manager thread handing calls to `n` workers by
/// propagation. See docs/capabilities.md.
///
/// Every request's word 0 is the capability id in the caller's namespace. The bucket checks it
/// (without allocating) before any handler runs, and hands the class demux the request without it.
public final class CapBucket: Demultiplexer, @unchecked Sendable {
  /// The task serving the bucket (it holds the receive rights of its objects).
  public let serverTask: TaskID
  /// The server's transport address (on L4 the endpoint thread id): how clients reach it.
  public let address: UInt64
  public let limits: CapLimits
  /// The registry that delivers notifications and runs transfers; nil for a standalone bucket.
  public let system: CapabilitySystem?

  let monitor = Monitor()
  // Everything below: guarded by `monitor`.
  private var clients: [TaskID: ClientTable] = [:]
  private var containers: [UInt32: Container] = [:]
  private var nextContainer: UInt32 = 1
  private var running: [CallRecord] = []
  private var objects: [ObjectIdentifier: CapObject] = [:]
  private var inhibitions = 0
  private var shutDown = false
  /// Inhibitions per class (a class may serve in several buckets; each counts its own).
  private var classInhibitions: [ObjectIdentifier: Int] = [:]
  /// Calls admitted but waiting for an inhibition to end.
  private var waitingCalls = 0
  /// Finished call records nobody else references, ready for the next call (see `recycle`).
  private var spareRecords: [CallRecord] = []
  private static let spareRecordLimit = 64

  /// Runs once per revoked object, after every capability naming it died and before the class's
  /// `didRevoke` (a transport binding closes the object's ports here: docs/socket-transport.md).
  let revocationObserver: (@Sendable (CapObject) -> Void)?

  public init(
    system: CapabilitySystem?, serverTask: TaskID, address: UInt64, limits: CapLimits = .default,
    revocationObserver: (@Sendable (CapObject) -> Void)? = nil
  ) {
    self.system = system
    self.serverTask = serverTask
    self.address = address
    self.limits = limits
    self.revocationObserver = revocationObserver
    system?.register(self)
  }

  // MARK: Objects and clients

  /// Adds `object` to the bucket in class `objectClass` (runs `didRegister`).
  public func register(_ object: CapObject, in objectClass: CapClass) throws(CapError) {
    try monitor.withLock { () throws(CapError) in
      guard object.bucket == nil || object.bucket === self else { throw CapError.objectNotRegistered }
      guard !shutDown, !object.revoked else { throw CapError.objectRevoked }
      object.bucket = self
      object.capClass = objectClass
      objects[ObjectIdentifier(object)] = object
    }
    objectClass.hooks.didRegister?(object)
  }

  /// Gives `task` one more reference to `object` and returns its id in the task's namespace
  /// (the same id it already has for the object, if any) — `hurd_cap_bucket_inject`.
  public func inject(_ object: CapObject, into task: TaskID) throws(CapError) -> CapabilityID {
    try monitor.withLock { () throws(CapError) in
      try checkLive(object)
      return try addReference(object, for: task, sendOnce: false)
    }
  }

  /// `inject`, plus a name for it in the task's capability space (needs a `system`).
  public func give(_ object: CapObject, to task: TaskID) throws(CapError) -> CapabilityName {
    guard let system else { throw CapError.objectNotRegistered }
    let id = try inject(object, into: task)
    return system.space(for: task).insertSend(server: address, id: id, sendOnce: false)
  }

  /// The client drops `count` references to the capability `id` (its name went away).
  public func release(_ id: CapabilityID, from task: TaskID, count: Int = 1) {
    var orphans: [CapObject] = []
    monitor.withLock {
      guard var table = clients[task], let index = table.lookup(id) else { return }
      let dropped = min(count, table.slots[index].refs)
      table.slots[index].refs -= dropped
      if table.slots[index].refs == 0 {
        if let object = table.slots[index].object { orphans += drop(object, references: dropped) }
        table.free(index)
      } else if let object = table.slots[index].object {
        orphans += drop(object, references: dropped)
      }
      clients[task] = table
    }
    postNoSenders(orphans)
  }

  /// The live object `id` names in `task`'s namespace.
  public func object(for id: CapabilityID, client task: TaskID) -> CapObject? {
    monitor.withLock {
      guard let table = clients[task], let index = table.lookup(id), let object = table.slots[index].object,
        !object.revoked
      else { return nil }
      return object
    }
  }

  /// Client references to `object` right now.
  public func referenceCount(of object: CapObject) -> Int { monitor.withLock { object.references } }

  /// Calls admitted and not yet answered (running, waiting on inhibition, or deferred).
  public var callsInFlight: Int { monitor.withLock { running.count + waitingCalls } }

  /// Finished call records kept for reuse (for tests and monitoring).
  var spareRecordCount: Int { monitor.withLock { spareRecords.count } }

  /// Client namespaces (tables) the bucket keeps.
  package var clientTableCount: Int { monitor.withLock { clients.count } }

  /// Open transfer containers.
  public var openContainers: Int { monitor.withLock { containers.count } }

  // MARK: Server-defined events (docs/capabilities.md §5)

  /// Posts a server-defined event to every client holding a capability to `object`, each under
  /// its own name for it (`CapNotification.server(about:code:word:)`). Never waits for a client:
  /// each post is a short lock on that client's bounded queue, which coalesces or counts the
  /// event as missed when full. Returns how many capabilities it was posted for.
  @discardableResult
  public func notifyHolders(of object: CapObject, code: UInt64, word: UInt64) -> Int {
    guard let system else { return 0 }
    let holders: [(TaskID, CapabilityID)] = monitor.withLock {
      guard object.bucket === self, !object.revoked else { return [] }
      var holders: [(TaskID, CapabilityID)] = []
      for (task, table) in clients {
        for index in table.slots.indices where table.slots[index].refs > 0 && table.slots[index].object === object {
          holders.append((task, CapabilityID(index: UInt32(index), generation: table.slots[index].generation)))
        }
      }
      return holders
    }
    var posted = 0
    for (task, id) in holders
    where system.space(for: task).postServerEvent(server: address, id: id, code: code, word: word) {
      posted += 1
    }
    return posted
  }

  /// Posts a server-defined event about no particular object (`about: .null`) to `client`, if it
  /// is a client of this bucket: a server cannot post to tasks it does not serve. Never waits
  /// for the client (see `notifyHolders`). Returns whether it was posted.
  @discardableResult
  public func notify(client task: TaskID, code: UInt64, word: UInt64) -> Bool {
    guard let system, monitor.withLock({ !shutDown && clients[task] != nil }) else { return false }
    system.space(for: task).notifications.post(.server(about: .null, code: code, word: word))
    return true
  }

  // MARK: Revocation and shutdown

  /// Revokes `object`: every capability naming it, in every client namespace and in transfer
  /// containers, dies at once; running calls are cancelled and drained; holders get dead-name
  /// notifications; `didRevoke` runs. No no-senders notification follows a revocation.
  public func revoke(_ object: CapObject, excluding current: CapCallContext? = nil) {
    inhibit(.object(object), excluding: current)
    let died: [(TaskID, CapabilityID)]? = monitor.withLock {
      guard object.bucket === self, !object.revoked else { return nil }
      object.revoked = true
      var died: [(TaskID, CapabilityID)] = []
      for (task, var table) in clients {
        for index in table.slots.indices where table.slots[index].object === object {
          died.append((task, CapabilityID(index: UInt32(index), generation: table.slots[index].generation)))
          table.slots[index].object = nil
          table.slots[index].dead = true
        }
        table.byObject[ObjectIdentifier(object)] = nil
        clients[task] = table
      }
      for (key, container) in containers where container.object === object {
        containers[key] = nil
        clients[container.creator]?.containers -= 1
      }
      object.references = 0
      objects[ObjectIdentifier(object)] = nil
      return died
    }
    resume(.object(object))
    guard let died else { return }
    if let system { system.capabilitiesDied(server: address, died) }
    revocationObserver?(object)
    object.objectClass?.hooks.didRevoke?(object)
  }

  /// Ends the bucket: new calls get `capDied`, every object is revoked (holders get dead-name
  /// notifications; running calls are cancelled and drained — `excluding` the caller's own call
  /// when a handler shuts the server down), and the system forgets the server.
  public func shutdown(excluding current: CapCallContext? = nil) {
    let all: [CapObject] = monitor.withLock {
      shutDown = true
      return Array(objects.values)
    }
    for object in all { revoke(object, excluding: current) }
    // Spare records point back at the bucket: drop them, or the bucket (and through it the
    // system) would keep itself alive once the system forgets it.
    monitor.withLock { spareRecords.removeAll() }
    system?.serverDied(self)
  }

  /// Whether `shutdown` ran.
  public var isShutDown: Bool { monitor.withLock { shutDown } }

  // MARK: Inhibition

  /// What `inhibit` and `resume` apply to.
  public enum Scope: Sendable {
    case bucket
    case objectClass(CapClass)
    case object(CapObject)
    case client(TaskID)
  }

  /// Inhibits `scope`: cancels the other calls in flight on it, blocks new ones until `resume`,
  /// and returns once those in flight have drained (`excluding` a handler's own call, when a
  /// handler inhibits). Nests: each `inhibit` needs its `resume`.
  public func inhibit(_ scope: Scope, excluding current: CapCallContext? = nil) {
    let victims: [CallRecord] = monitor.withLock {
      switch scope {
      case .bucket: inhibitions += 1
      case .objectClass(let objectClass): classInhibitions[ObjectIdentifier(objectClass), default: 0] += 1
      case .object(let object): object.inhibitions += 1
      case .client(let task):
        // A dead task's namespace is gone for good: inhibiting it must not make a new one.
        if system?.isAlive(task) ?? true { clients[task, default: ClientTable()].inhibitions += 1 }
      }
      return running.filter { $0 !== current?.record && matches($0, scope) }
    }
    for record in victims { record.token.cancel() }
    monitor.withLock {
      while running.contains(where: { $0 !== current?.record && matches($0, scope) }) {
        _ = monitor.wait(until: nil)
      }
    }
  }

  /// Undoes one `inhibit`; calls waiting on it re-check their capability and go on.
  public func resume(_ scope: Scope) {
    monitor.withLock {
      switch scope {
      case .bucket: inhibitions = max(0, inhibitions - 1)
      case .objectClass(let objectClass):
        let key = ObjectIdentifier(objectClass)
        classInhibitions[key] = classInhibitions[key].map { $0 > 1 ? $0 - 1 : nil } ?? nil
      case .object(let object): object.inhibitions = max(0, object.inhibitions - 1)
      case .client(let task):
        if let count = clients[task]?.inhibitions { clients[task]?.inhibitions = max(0, count - 1) }
      }
    }
    monitor.broadcast()
  }

  private func matches(_ record: CallRecord, _ scope: Scope) -> Bool {
    switch scope {
    case .bucket: true
    case .objectClass(let objectClass): record.object.capClass === objectClass
    case .object(let object): record.object === object
    case .client(let task): record.client == task
    }
  }

  // MARK: Dispatch

  public func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    guard request.wordCount >= 1 else {
      throw RPCError(.returnCode(.capInvalid), "request without a capability id")
    }
    let id = CapabilityID(rawValue: request[0])
    var (record, lastReference) = try admit(id, caller: context.caller.domainID, context: context)
    if lastReference { postNoSenders([record.object]) }
    let finished: Bool
    do throws(RPCError) {
      finished = try run(record, request, reply: &reply, id: id, context: context)
    } catch {
      if finish(record) { recycle(&record) }
      throw error
    }
    if finished, finish(record) { recycle(&record) }
  }

  /// Runs the admitted call's handler on the request without word 0 (no copy of the request
  /// beyond its words). Returns false when the call stays open (the handler deferred its
  /// reply); the `CapCallContext` it built is gone when this returns (see `recycle`).
  private func run(
    _ record: CallRecord, _ request: borrowing Message, reply: inout Message, id: CapabilityID, context: CallContext
  ) throws(RPCError) -> Bool {
    let inner: Message = try request.withUnsafeWords { (words) throws(RPCError) -> Message in
      var tag = request.tag
      tag.untypedCount -= 1
      return try Message(tag: tag, words: UnsafeBufferPointer(rebasing: words.dropFirst()), items: request.items)
    }
    let capContext = CapCallContext(
      call: CallContext(
        caller: context.caller, requestLabel: context.requestLabel, expectsReply: context.expectsReply,
        deadline: context.deadline, cancellation: record.token, replyRoute: context.replyRoute,
        peerCredentials: context.peerCredentials, callerThreadKey: context.callerThreadKey),
      capability: id, record: record)
    // The client's cancellation reaches the handler (and a deferred reply) through the
    // server-side token, until the call ends (`finish` unlinks it).
    if let clientCancel = context.cancellation {
      record.clientLink = clientCancel.onCancel { [token = record.token] in token.cancel() }.map { (clientCancel, $0) }
    }
    do throws(RPCError) {
      try record.object.capClass!.dispatch(inner, reply: &reply, object: record.object, context: capContext)
    } catch {
      guard monitor.withLock({ record.deferred }) else { throw error }
      // A handler that deferred and then threw: its deferred reply still answers.
    }
    if monitor.withLock({ record.deferred }) {
      reply.resetAsReply(to: request.label, returnCode: .migNoReply)
      return false
    }
    return true
  }

  /// Keeps a finished call's record (and its cancellation token) for the next call, if nothing
  /// but `record` references either any more: a handler that kept its context, or the token, or
  /// a client cancel running right now holds a reference, and then the record is simply dropped.
  private func recycle(_ record: inout CallRecord) {
    guard isKnownUniquelyReferenced(&record), isKnownUniquelyReferenced(&record.token) else { return }
    record.token.reuse()
    monitor.withLock {
      record.clientLink = nil
      record.deferred = false
      record.finished = false
      if !shutDown, spareRecords.count < Self.spareRecordLimit { spareRecords.append(record) }
    }
  }

  /// Checks the capability and admits the call: waits while anything on its path is
  /// inhibited (re-checking the capability each time), within the client's in-flight limit.
  private func admit(_ id: CapabilityID, caller task: TaskID, context: CallContext) throws(RPCError) -> (
    CallRecord, lastReference: Bool
  ) {
    enum Step {
      case admitted(CallRecord, lastReference: Bool)
      case registerWakeUp
    }
    let clientCancel = context.cancellation
    let thread = context.callerThreadKey
    var wakeOnCancel: CallCancellation.Registration? = nil
    defer { if let wakeOnCancel { clientCancel?.remove(wakeOnCancel) } }
    var counted = false
    while true {
      let step = try monitor.withLock { () throws(RPCError) -> Step in
        while true {
          func leave(_ error: RPCError) -> RPCError {
            if counted, clients[task] != nil { Self.endCall(&clients[task]!, thread: thread) }
            return error
          }
          guard !shutDown else { throw leave(RPCError(.returnCode(.capDied), "the server is shutting down")) }
          // Checked in place (`&clients[task]!`): a copy of the table would make the counting
          // below copy its storage on write. Static messages: a rejected request allocates nothing.
          guard clients[task] != nil else {
            throw leave(RPCError(.returnCode(.capInvalid), "the capability id names no capability of this client"))
          }
          let check = Self.check(
            &clients[task]!, id: id, thread: thread, count: !counted, limit: limits.callsPerClient)
          let index: Int
          let object: CapObject
          let objectClass: CapClass
          let clientInhibited: Bool
          switch check {
          case .invalid:
            throw leave(RPCError(.returnCode(.capInvalid), "the capability id names no capability of this client"))
          case .died:
            throw leave(RPCError(.returnCode(.capDied), "the capability was revoked"))
          case .busy:
            throw RPCError(.returnCode(.EBUSY), "the client has its maximum of calls in flight")
          case .threadBusy:
            // One call per client thread (the Hurd's rule): a thread that sends one-way requests
            // without waiting cannot pile up work.
            throw RPCError(.returnCode(.EBUSY), "this client thread already has a call in flight")
          case .found(let slot, let found, let foundClass, let inhibited):
            (index, object, objectClass, clientInhibited) = (slot, found, foundClass, inhibited)
            counted = true
          }
          let blocked =
            inhibitions > 0 || clientInhibited || object.inhibitions > 0
            || (!classInhibitions.isEmpty && classInhibitions[ObjectIdentifier(objectClass), default: 0] > 0)
          if !blocked {
            var lastReference = false
            if clients[task]!.slots[index].sendOnce {
              // A send-once right is consumed by its call.
              clients[task]!.free(index)
              lastReference = !drop(object, references: 1).isEmpty
            }
            let record: CallRecord
            if let spare = spareRecords.popLast() {
              spare.object = object
              spare.client = task
              spare.thread = thread
              record = spare
            } else {
              record = CallRecord(bucket: self, object: object, client: task, thread: thread)
            }
            running.append(record)
            return .admitted(record, lastReference: lastReference)
          }
          if clientCancel?.isCancelled == true {
            throw leave(RPCError(.cancelled, "cancelled while the capability was inhibited", phase: .receive))
          }
          // Registering may run the handler at once (a cancel just came): do it unlocked.
          if wakeOnCancel == nil, clientCancel != nil { return .registerWakeUp }
          waitingCalls += 1
          let woken = monitor.wait(until: context.deadline)
          waitingCalls -= 1
          if !woken {
            throw leave(RPCError(.timeout, "the capability stayed inhibited past the caller's deadline", phase: .receive))
          }
        }
      }
      switch step {
      case .admitted(let record, let lastReference):
        return (record, lastReference)
      case .registerWakeUp:
        wakeOnCancel = clientCancel?.onCancel { [monitor] in
          monitor.withLock {}  // a waiter between its check and its wait holds the lock: no lost wake-up
          monitor.broadcast()
        }
      }
    }
  }

  private enum Check {
    case invalid, died, busy, threadBusy
    case found(index: Int, object: CapObject, objectClass: CapClass, clientInhibited: Bool)
  }

  /// Looks the capability up in the client's table and, with `count`, admits one more call
  /// (in flight + the calling thread), all in place.
  private static func check(_ table: inout ClientTable, id: CapabilityID, thread: UInt64, count: Bool, limit: Int)
    -> Check
  {
    guard let index = table.lookup(id) else { return .invalid }
    guard let object = table.slots[index].object, !object.revoked, let objectClass = object.capClass else {
      return .died
    }
    if count {
      guard table.inFlight < limit else { return .busy }
      guard thread == 0 || !table.threadsInCalls.contains(thread) else { return .threadBusy }
      table.inFlight += 1
      if thread != 0 { table.threadsInCalls.insert(thread) }
    }
    return .found(index: index, object: object, objectClass: objectClass, clientInhibited: table.inhibitions > 0)
  }

  private static func endCall(_ table: inout ClientTable, thread: UInt64) {
    table.inFlight -= 1
    table.threadsInCalls.remove(thread)
  }

  /// Ends a call (reply sent or about to be): false if it had already ended.
  func finish(_ record: CallRecord) -> Bool {
    let first = monitor.withLock { () -> Bool in
      guard !record.finished else { return false }
      record.finished = true
      if let (handle, registration) = record.clientLink { handle.remove(registration) }
      running.removeAll { $0 === record }
      // In place through `&clients[…]!` (optional chaining here costs a heap-allocated accessor
      // frame per call, measured).
      if clients[record.client] != nil { Self.endCall(&clients[record.client]!, thread: record.thread) }
      return true
    }
    if first { monitor.broadcast() }
    return first
  }

  // MARK: Transfer containers (docs/capabilities.md §2)

  struct Container {
    let creator: TaskID
    let target: TaskID
    let object: CapObject
    let sendOnce: Bool
  }

  /// Step 1 for a send right the creator holds: a container owned by `creator`, for `target`,
  /// holding one reference to the object `id` names in the creator's namespace.
  func createContainer(from id: CapabilityID, creator: TaskID, target: TaskID, sendOnce: Bool) throws(RPCError) -> UInt32 {
    try monitor.withLock { () throws(RPCError) -> UInt32 in
      guard let table = clients[creator], let index = table.lookup(id) else {
        throw RPCError(.returnCode(.capInvalid), "\(id) names no capability of the sender")
      }
      guard let object = table.slots[index].object, !object.revoked else {
        throw RPCError(.returnCode(.capDied), "\(id) was revoked")
      }
      return try makeContainer(object, creator: creator, target: target, sendOnce: sendOnce)
    }
  }

  /// Step 1 for make-send / make-send-once: the server itself hands out its object.
  func createContainer(for object: CapObject, target: TaskID, sendOnce: Bool) throws(RPCError) -> UInt32 {
    try monitor.withLock { () throws(RPCError) -> UInt32 in
      guard object.bucket === self, !object.revoked, !shutDown else {
        throw RPCError(.returnCode(.capDied), "the object was revoked")
      }
      return try makeContainer(object, creator: serverTask, target: target, sendOnce: sendOnce)
    }
  }

  private func makeContainer(_ object: CapObject, creator: TaskID, target: TaskID, sendOnce: Bool) throws(RPCError)
    -> UInt32
  {
    guard system?.isAlive(target) ?? true, system?.isAlive(creator) ?? true else {
      throw RPCError(.nonExistingPartner, "a participant of the transfer is dead")
    }
    guard clients[creator, default: ClientTable()].containers < limits.containersPerClient else {
      throw RPCError(.returnCode(.EAGAIN), "too many capabilities in flight from this client")
    }
    clients[creator, default: ClientTable()].containers += 1
    while containers[nextContainer] != nil || nextContainer == 0 { nextContainer &+= 1 }
    let key = nextContainer
    nextContainer &+= 1
    containers[key] = Container(creator: creator, target: target, object: object, sendOnce: sendOnce)
    object.references += 1
    return key
  }

  /// Step 3: `acceptor` takes the reference out of container `key`, which `creator` made for
  /// it; returns the acceptor's id for the object. The container is emptied and removed.
  func acceptContainer(_ key: UInt32, creator: TaskID, acceptor: TaskID) throws(RPCError) -> (CapabilityID, sendOnce: Bool) {
    try monitor.withLock { () throws(RPCError) -> (CapabilityID, sendOnce: Bool) in
      guard let container = containers[key], container.creator == creator, container.target == acceptor else {
        throw RPCError(.returnCode(.capInvalid), "no such transfer for this receiver")
      }
      guard !container.object.revoked, !shutDown else { throw RPCError(.returnCode(.capDied), "revoked in flight") }
      guard system?.isAlive(creator) ?? true else {
        throw RPCError(.nonExistingPartner, "the sender died before the transfer completed")
      }
      let id: CapabilityID
      do throws(CapError) {
        id = try addReference(container.object, for: acceptor, sendOnce: container.sendOnce)
      } catch {
        throw RPCError(.returnCode(.ENOMEM), "the receiver's namespace is full")
      }
      removeContainer(key)  // the reference moved into the acceptor's namespace
      container.object.references -= 1
      return (id, container.sendOnce)
    }
  }

  /// The message carrying a moved right was not delivered: the container's reference goes back
  /// into its creator's namespace. Nil if the container is gone or its object revoked.
  func reclaimContainer(_ key: UInt32, by creator: TaskID) -> (CapabilityID, sendOnce: Bool)? {
    monitor.withLock {
      guard let container = containers[key], container.creator == creator, !container.object.revoked else { return nil }
      guard let id = try? addReference(container.object, for: creator, sendOnce: container.sendOnce) else { return nil }
      removeContainer(key)
      container.object.references -= 1
      return (id, container.sendOnce)
    }
  }

  /// The receiver refuses (trust policy, rejected message) or the creator destroys (not
  /// delivered, step 7): the container goes away with its reference.
  func discardContainer(_ key: UInt32, by task: TaskID) {
    var orphans: [CapObject] = []
    monitor.withLock {
      guard let container = containers[key], container.creator == task || container.target == task else { return }
      removeContainer(key)
      orphans = drop(container.object, references: 1)
    }
    postNoSenders(orphans)
  }

  private func removeContainer(_ key: UInt32) {
    guard let container = containers.removeValue(forKey: key) else { return }
    clients[container.creator]?.containers -= 1
  }

  /// A task died: its namespace and every container it made or was sent go away.
  func taskDied(_ task: TaskID) {
    var orphans: [CapObject] = []
    let victims: [CallRecord] = monitor.withLock {
      if let table = clients.removeValue(forKey: task) {
        for slot in table.slots where slot.refs > 0 {
          if let object = slot.object { orphans += drop(object, references: slot.refs) }
        }
      }
      for (key, container) in containers where container.creator == task || container.target == task {
        removeContainer(key)
        orphans += drop(container.object, references: 1)
      }
      return running.filter { $0.client == task }
    }
    for record in victims { record.token.cancel() }
    monitor.broadcast()  // its calls waiting on an inhibition re-check and find no namespace
    postNoSenders(orphans)
  }

  // MARK: Reference bookkeeping (lock held)

  private func checkLive(_ object: CapObject) throws(CapError) {
    guard object.bucket === self else { throw CapError.objectNotRegistered }
    guard !object.revoked, !shutDown else { throw CapError.objectRevoked }
  }

  private func addReference(_ object: CapObject, for task: TaskID, sendOnce: Bool) throws(CapError) -> CapabilityID {
    guard system?.isAlive(task) ?? true else { throw CapError.taskDead(task) }
    var table = clients[task, default: ClientTable()]
    let index: Int
    if !sendOnce, let existing = table.byObject[ObjectIdentifier(object)] {
      index = existing
    } else {
      guard table.liveCount < limits.capabilitiesPerClient else { throw CapError.limitReached("capabilitiesPerClient") }
      index = table.allocate(object, sendOnce: sendOnce)
    }
    table.slots[index].refs += 1
    object.references += 1
    clients[task] = table
    return CapabilityID(index: UInt32(index), generation: table.slots[index].generation)
  }

  /// Drops references; returns the object if that was its last (for a no-senders notification).
  private func drop(_ object: CapObject, references count: Int) -> [CapObject] {
    guard count > 0, !object.revoked else { return [] }
    object.references -= count
    return object.references == 0 ? [object] : []
  }

  private func postNoSenders(_ objects: [CapObject]) {
    guard let system, !objects.isEmpty else { return }
    let queue = system.space(for: serverTask).notifications
    for object in objects { queue.post(.noSenders(object)) }
  }
}

/// One client's capability-id namespace at one bucket.
struct ClientTable {
  struct Slot {
    var generation: UInt32 = 0
    var object: CapObject? = nil
    var refs = 0
    var dead = false
    var sendOnce = false
    var inUse = false
  }
  // Slot 0 is never used, so the id 0 is never valid.
  var slots: [Slot] = [Slot()]
  var freeSlots: [Int] = []
  var byObject: [ObjectIdentifier: Int] = [:]
  var inFlight = 0
  /// Transport keys of the client threads with a call admitted (see `CallContext.callerThreadKey`).
  var threadsInCalls: Set<UInt64> = []
  var inhibitions = 0
  var containers = 0
  var liveCount = 0

  /// The slot `id` names, if it is in use with that generation (a dead slot still answers, so
  /// that calls on it report "capability died").
  func lookup(_ id: CapabilityID) -> Int? {
    let index = id.index
    guard index > 0, index < slots.count, slots[index].inUse, slots[index].generation == id.generation else { return nil }
    return index
  }

  mutating func allocate(_ object: CapObject, sendOnce: Bool) -> Int {
    let index: Int
    if let reused = freeSlots.popLast() {
      index = reused
    } else {
      slots.append(Slot())
      index = slots.count - 1
    }
    slots[index].generation &+= 1
    slots[index].object = object
    slots[index].refs = 0
    slots[index].dead = false
    slots[index].sendOnce = sendOnce
    slots[index].inUse = true
    if !sendOnce { byObject[ObjectIdentifier(object)] = index }
    liveCount += 1
    return index
  }

  mutating func free(_ index: Int) {
    if let object = slots[index].object, byObject[ObjectIdentifier(object)] == index {
      byObject[ObjectIdentifier(object)] = nil
    }
    slots[index].object = nil
    slots[index].refs = 0
    slots[index].inUse = false
    slots[index].dead = false
    freeSlots.append(index)
    liveCount -= 1
  }
}
