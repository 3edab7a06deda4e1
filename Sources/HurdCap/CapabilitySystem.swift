@_spi(Transport) import HurdRPC

/// The in-process registry of tasks (their capability spaces) and servers (their buckets): the
/// trusted part transports consult to run the copy protocol (it is their `CapabilityCarrier`) and
/// that delivers notifications. One per modelled system (e.g. per `L4Kernel`).
public final class CapabilitySystem: CapabilityCarrier, TaskDeathObserver, @unchecked Sendable {
  /// Capacity of each task's notification queue.
  public let notificationCapacity: Int
  /// Test hook: runs at each step of a transfer (`step`, sender, receiver), so tests can kill a
  /// participant exactly there.
  public var transferObserver: (@Sendable (TransferStep, TaskID, TaskID) -> Void)? {
    get { monitor.withLock { observer } }
    set { monitor.withLock { observer = newValue } }
  }

  /// The points of the copy protocol a `transferObserver` sees.
  public enum TransferStep: Sendable, Equatable, CaseIterable {
    case containerCreated, beforeAccept, accepted, finished
  }

  private let monitor = Monitor()
  // Guarded by `monitor`.
  private var spaces: [TaskID: CapabilitySpace] = [:]
  private var buckets: [UInt64: CapBucket] = [:]
  private var deadTasks: Set<TaskID> = []
  /// Numbered tasks (`newTask()`) handed out and not dead yet; every lower number is dead.
  private var liveNumberedTasks: Set<TaskID> = []
  private var nextNumberedTask = CapabilitySystem.numberedTasks.lowerBound
  private var observer: (@Sendable (TransferStep, TaskID, TaskID) -> Void)? = nil

  public init(notificationCapacity: Int = 256) {
    self.notificationCapacity = notificationCapacity
  }

  /// The task's capability space (made on first use). A dead task's is empty and kept nowhere.
  public func space(for task: TaskID) -> CapabilitySpace {
    monitor.withLock {
      if let space = spaces[task] { return space }
      let space = CapabilitySpace(task: task, system: self, notificationCapacity: notificationCapacity)
      if !isDead(task) { spaces[task] = space }
      return space
    }
  }

  /// The ids `newTask()` hands out (apart from L4 address-space numbers and process ids).
  public static let numberedTasks: Range<TaskID> = (1 << 62)..<(1 << 63)

  /// A task id never used before in this system, for a transport whose client tasks come and go
  /// (on sockets: one per connection group of a process). Once such a task dies (`taskDied`) the
  /// system keeps nothing about it — unlike other tasks, whose deaths it remembers — because its
  /// number is never handed out again: every number below the next one that is not live is dead.
  public func newTask() -> TaskID {
    monitor.withLock {
      let task = nextNumberedTask
      precondition(Self.numberedTasks.contains(task), "numbered task ids exhausted")
      nextNumberedTask += 1
      liveNumberedTasks.insert(task)
      return task
    }
  }

  /// What the system keeps per task: capability spaces, dead tasks remembered, numbered tasks
  /// alive (tests: a server seeing many short-lived client tasks returns to its baseline).
  package var taskRecordCount: Int { monitor.withLock { spaces.count + deadTasks.count + liveNumberedTasks.count } }

  /// Whether `task` died (lock held).
  private func isDead(_ task: TaskID) -> Bool {
    isNumbered(task) ? !liveNumberedTasks.contains(task) : deadTasks.contains(task)
  }

  /// Whether `newTask()` handed out `task` (lock held); other ids in the range are plain tasks.
  private func isNumbered(_ task: TaskID) -> Bool { Self.numberedTasks.contains(task) && task < nextNumberedTask }

  /// The bucket served at `address`, while it is alive.
  public func bucket(at address: UInt64) -> CapBucket? { monitor.withLock { buckets[address] } }

  /// Whether the task has not died.
  public func isAlive(_ task: TaskID) -> Bool { monitor.withLock { !isDead(task) } }

  func register(_ bucket: CapBucket) { monitor.withLock { buckets[bucket.address] = bucket } }

  /// A client transport for calls on `name` in `task`'s space: `makeTransport` builds the
  /// transport to the capability's server address, and the capability id goes in word 0.
  public func client<Base: ClientTransport>(
    for name: CapabilityName, in task: TaskID, _ makeTransport: (_ serverAddress: UInt64) -> Base
  ) throws(RPCError) -> CapabilityTransport<Base> {
    let (server, id) = try space(for: task).target(of: name)
    return CapabilityTransport(base: makeTransport(server), capability: id)
  }

  /// The object `name` stands for in `task`'s space when `task` serves it (a receive right, or
  /// a send right to one of its own buckets): what a server's `intran` translation wants.
  public func object(named name: CapabilityName, in task: TaskID) -> CapObject? {
    switch space(for: task).right(of: name) {
    case .receive(let object)?: return object
    case .send(let server, let id)?, .sendOnce(let server, let id)?:
      guard let bucket = bucket(at: server), bucket.serverTask == task else { return nil }
      return bucket.object(for: id, client: task)
    default: return nil
    }
  }

  // MARK: Deaths

  /// A task died: its references everywhere are dropped (no-senders may follow), its calls in
  /// flight are cancelled, transfers it made or was sent are destroyed, the buckets it served shut
  /// down (dead-name notifications for every holder) and its capability space is freed. Transports
  /// call it when they learn of a death (on L4 automatically: the kernel reports every deleted
  /// address space, see `TaskDeathObserver`); a second call for the same task does nothing.
  public func taskDied(_ task: TaskID) {
    let found: ([CapBucket], [CapBucket], CapabilitySpace?)? = monitor.withLock {
      let first = isNumbered(task) ? liveNumberedTasks.remove(task) != nil : deadTasks.insert(task).inserted
      guard first else { return nil }
      let all = Array(buckets.values)
      return (all, all.filter { $0.serverTask == task }, spaces.removeValue(forKey: task))
    }
    guard let (all, served, space) = found else { return }
    for bucket in served { bucket.shutdown() }
    for bucket in all where bucket.serverTask != task { bucket.taskDied(task) }
    space?.clear()
  }

  func serverDied(_ bucket: CapBucket) {
    let all: [CapabilitySpace] = monitor.withLock {
      if buckets[bucket.address] === bucket { buckets[bucket.address] = nil }
      return Array(spaces.values)
    }
    for space in all { space.markServerDead(bucket.address) }
  }

  func capabilitiesDied(server: UInt64, _ died: [(TaskID, CapabilityID)]) {
    for (task, id) in died { space(for: task).markDead(server: server, id: id) }
  }

  // MARK: CapabilityCarrier (the copy protocol, docs/capabilities.md §2)

  private static let deadContainer = UInt32.max

  public func export(_ item: CapabilityItem, from sender: TaskID, to receiver: TaskID) throws(RPCError)
    -> ExportedCapability
  {
    if item.name == .null { return ExportedCapability(server: 0, container: 0, disposition: item.disposition, itemIndex: 0) }
    let dead = ExportedCapability(server: 0, container: Self.deadContainer, disposition: item.disposition, itemIndex: 0)
    if item.name == .dead { return dead }
    let right = space(for: sender).right(of: item.name)
    let bucket: CapBucket
    let container: UInt32
    do throws(RPCError) {
      switch (item.disposition, right) {
      case (.moveReceive, _):
        throw RPCError(.unsupported, "receive rights stay with the server that implements the object")
      case (.copySend, .send(let server, let id)?), (.moveSend, .send(let server, let id)?):
        guard let found = self.bucket(at: server) else { return dead }
        bucket = found
        container = try bucket.createContainer(from: id, creator: sender, target: receiver, sendOnce: false)
      case (.moveSendOnce, .sendOnce(let server, let id)?):
        guard let found = self.bucket(at: server) else { return dead }
        bucket = found
        container = try bucket.createContainer(from: id, creator: sender, target: receiver, sendOnce: true)
      case (.makeSend, .receive(let object)?), (.makeSendOnce, .receive(let object)?):
        guard let found = object.bucket else { return dead }
        bucket = found
        container = try bucket.createContainer(for: object, target: receiver, sendOnce: item.disposition == .makeSendOnce)
      case (_, .dead?):
        return dead
      case (_, nil):
        throw RPCError(.badArguments, "\(item.name) names nothing in the sender's space")
      default:
        throw RPCError(.typeError, "\(item.name) does not hold the right \(item.disposition) needs")
      }
    } catch {
      if error.code == .returnCode(.capDied) { return dead }
      throw error
    }
    if item.disposition == .moveSend || item.disposition == .moveSendOnce,
      let taken = space(for: sender).takeForMove(item.name)
    {
      // As in Mach, the sender loses a moved right at send time; the container holds the object
      // meanwhile, and gives the right back if the message is not delivered.
      bucket.release(taken.id, from: sender)
    }
    transferObserver?(.containerCreated, sender, receiver)
    return ExportedCapability(server: bucket.address, container: container, disposition: item.disposition, itemIndex: 0)
  }

  public func finish(_ exported: ExportedCapability, item: CapabilityItem, from sender: TaskID, delivered: Bool) {
    if exported.server != 0, !delivered, let bucket = bucket(at: exported.server) {
      // Step 7: an unaccepted container goes away (a moved right goes back to the sender).
      let isMove = item.disposition == .moveSend || item.disposition == .moveSendOnce
      if isMove, let (id, sendOnce) = bucket.reclaimContainer(exported.container, by: sender) {
        _ = space(for: sender).insertSend(server: exported.server, id: id, sendOnce: sendOnce)
      } else {
        bucket.discardContainer(exported.container, by: sender)
      }
    }
    transferObserver?(.finished, sender, 0)
  }

  public func `import`(_ exported: ExportedCapability, from sender: TaskID, into receiver: TaskID) -> CapabilityItem {
    let once = exported.disposition == .makeSendOnce || exported.disposition == .moveSendOnce
    let arrived: CapabilityDisposition = once ? .moveSendOnce : .moveSend
    if exported.server == 0 {
      return CapabilityItem(exported.container == 0 ? .null : .dead, disposition: arrived)
    }
    guard let bucket = bucket(at: exported.server) else { return CapabilityItem(.dead, disposition: arrived) }
    let space = space(for: receiver)
    guard space.accepts(exported.server) else {
      bucket.discardContainer(exported.container, by: receiver)
      return CapabilityItem(.dead, disposition: arrived)
    }
    transferObserver?(.beforeAccept, sender, receiver)
    do throws(RPCError) {
      let (id, sendOnce) = try bucket.acceptContainer(exported.container, creator: sender, acceptor: receiver)
      guard isAlive(receiver) else {
        bucket.release(id, from: receiver)
        return CapabilityItem(.dead, disposition: arrived)
      }
      let name = space.insertSend(server: exported.server, id: id, sendOnce: sendOnce)
      transferObserver?(.accepted, sender, receiver)
      return CapabilityItem(name, disposition: arrived)
    } catch {
      return CapabilityItem(.dead, disposition: arrived)
    }
  }

  public func release(_ item: CapabilityItem, in receiver: TaskID) {
    if item.name.isValid { space(for: receiver).deallocate(item.name) }
  }
}
