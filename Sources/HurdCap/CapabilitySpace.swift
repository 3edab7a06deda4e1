@_spi(Transport) import HurdRPC

/// What a name in a task's capability space stands for.
public enum CapabilityRight: Sendable, Equatable {
  /// A send right: the server's address and the task's id in that server's namespace.
  case send(server: UInt64, id: CapabilityID)
  /// A send-once right (good for one call).
  case sendOnce(server: UInt64, id: CapabilityID)
  /// The receive right of one of the task's own objects (it serves it).
  case receive(CapObject)
  /// A dead name: its server died or revoked it.
  case dead

  public static func == (lhs: CapabilityRight, rhs: CapabilityRight) -> Bool {
    switch (lhs, rhs) {
    case (.send(let a, let x), .send(let b, let y)), (.sendOnce(let a, let x), .sendOnce(let b, let y)): a == b && x == y
    case (.receive(let a), .receive(let b)): a === b
    case (.dead, .dead): true
    default: false
    }
  }
}

/// A task's client-side capability table: `CapabilityName` → right, with Mach-style user
/// references, plus its notification queue and its trust policy. Generated stubs pass names
/// from here; transports translate them (docs/capabilities.md §2).
public final class CapabilitySpace: @unchecked Sendable {
  public let task: TaskID
  /// Dead-name, no-senders and server-defined events for this task.
  public let notifications: NotificationQueue
  unowned let system: CapabilitySystem

  private struct Entry {
    var right: CapabilityRight
    var userReferences: Int
    /// For a dead name: where it used to point (so deallocating it frees the server's slot).
    var formerly: (server: UInt64, id: CapabilityID)?
  }

  private struct Key: Hashable {
    let server: UInt64
    let id: CapabilityID
  }

  private let monitor = Monitor()
  // Guarded by `monitor`.
  private var entries: [UInt32: Entry] = [:]
  private var bySend: [Key: UInt32] = [:]
  private var byObject: [ObjectIdentifier: UInt32] = [:]
  private var nextName: UInt32 = 1
  private var trust: (@Sendable (UInt64) -> Bool)? = nil

  init(task: TaskID, system: CapabilitySystem, notificationCapacity: Int) {
    self.task = task
    self.system = system
    notifications = NotificationQueue(capacity: notificationCapacity)
  }

  /// The trust rule (reference §3.4): whether this task accepts capabilities served by the server
  /// at `address`. Refused capabilities arrive as dead names. Default: accept all.
  public func acceptCapabilities(from policy: (@Sendable (_ serverAddress: UInt64) -> Bool)?) {
    monitor.withLock { trust = policy }
  }

  func accepts(_ server: UInt64) -> Bool { monitor.withLock { trust?(server) ?? true } }

  /// What `name` stands for, or nil.
  public func right(of name: CapabilityName) -> CapabilityRight? { monitor.withLock { entries[name.rawValue]?.right } }

  /// The user references `name` holds (0 if none).
  public func userReferences(of name: CapabilityName) -> Int {
    monitor.withLock { entries[name.rawValue]?.userReferences ?? 0 }
  }

  /// Names currently in use.
  public var names: [CapabilityName] { monitor.withLock { entries.keys.sorted().map(CapabilityName.init(rawValue:)) } }

  /// The server and id a call on `name` goes to (send and send-once rights).
  public func target(of name: CapabilityName) throws(RPCError) -> (server: UInt64, id: CapabilityID) {
    switch right(of: name) {
    case .send(let server, let id)?, .sendOnce(let server, let id)?: return (server, id)
    case .dead?: throw RPCError(.returnCode(.capDied), "\(name) is a dead name")
    case .receive?: throw RPCError(.badArguments, "\(name) is a receive right, not something to call")
    case nil: throw RPCError(.badArguments, "\(name) names nothing in task \(task)")
    }
  }

  /// A name for the receive right of `object`, which this task serves (for replies and
  /// messages that hand out the object with `.makeSend` / `.makeSendOnce`).
  public func insertReceiveRight(_ object: CapObject) throws(CapError) -> CapabilityName {
    guard let bucket = object.bucket, bucket.serverTask == task else { throw CapError.objectNotRegistered }
    return monitor.withLock {
      if let name = byObject[ObjectIdentifier(object)] { return CapabilityName(rawValue: name) }
      let name = allocateName()
      entries[name] = Entry(right: .receive(object), userReferences: 1)
      byObject[ObjectIdentifier(object)] = name
      return CapabilityName(rawValue: name)
    }
  }

  /// Adds one user reference for (server, id), under the name already used for it if any.
  func insertSend(server: UInt64, id: CapabilityID, sendOnce: Bool) -> CapabilityName {
    monitor.withLock {
      let key = Key(server: server, id: id)
      if !sendOnce, let name = bySend[key] {
        entries[name]!.userReferences += 1
        return CapabilityName(rawValue: name)
      }
      let name = allocateName()
      entries[name] = Entry(right: sendOnce ? .sendOnce(server: server, id: id) : .send(server: server, id: id), userReferences: 1)
      if !sendOnce { bySend[key] = name }
      return CapabilityName(rawValue: name)
    }
  }

  /// Drops one user reference of `name` (a send right's last one is released at its server).
  public func deallocate(_ name: CapabilityName) {
    let release: (server: UInt64, id: CapabilityID)? = monitor.withLock {
      guard var entry = entries[name.rawValue] else { return nil }
      entry.userReferences -= 1
      var target: (server: UInt64, id: CapabilityID)? = nil
      switch entry.right {
      case .send(let server, let id), .sendOnce(let server, let id): target = (server, id)
      case .dead: target = entry.formerly
      case .receive: break
      }
      if entry.userReferences > 0 {
        entries[name.rawValue] = entry
      } else {
        remove(name.rawValue)
      }
      return target
    }
    if let release, let bucket = system.bucket(at: release.server) {
      bucket.release(release.id, from: task, count: 1)
    }
  }

  /// A move is under way: the name loses one user reference now (as in Mach, at send time), but
  /// the server-side reference stays until the move is delivered (`CapabilitySystem.finish`).
  /// Returns what the name stood for, or nil if it holds no send or send-once right.
  func takeForMove(_ name: CapabilityName) -> (server: UInt64, id: CapabilityID, sendOnce: Bool)? {
    monitor.withLock {
      guard var entry = entries[name.rawValue] else { return nil }
      let taken: (server: UInt64, id: CapabilityID, sendOnce: Bool)
      switch entry.right {
      case .send(let server, let id): taken = (server, id, false)
      case .sendOnce(let server, let id): taken = (server, id, true)
      default: return nil
      }
      entry.userReferences -= 1
      if entry.userReferences > 0 { entries[name.rawValue] = entry } else { remove(name.rawValue) }
      return taken
    }
  }

  /// (server, id) died: the name becomes dead and a dead-name notification is posted (once).
  func markDead(server: UInt64, id: CapabilityID) {
    let name: UInt32? = monitor.withLock {
      guard let name = bySend[Key(server: server, id: id)] ?? sendOnceName(server, id) else { return nil }
      return kill(name, server: server, id: id)
    }
    if let name { notifications.post(.deadName(CapabilityName(rawValue: name))) }
  }

  /// A server-defined event about (server, id), posted under this task's name for it; false if
  /// the task has no name for it (the capability is still in transfer, or already released).
  func postServerEvent(server: UInt64, id: CapabilityID, code: UInt64, word: UInt64) -> Bool {
    let name: UInt32? = monitor.withLock { bySend[Key(server: server, id: id)] ?? sendOnceName(server, id) }
    guard let name else { return false }
    notifications.post(.server(about: CapabilityName(rawValue: name), code: code, word: word))
    return true
  }

  /// Every name served at `server` dies (the server shut down).
  func markServerDead(_ server: UInt64) {
    let died: [UInt32] = monitor.withLock {
      var died: [UInt32] = []
      for (name, entry) in entries {
        switch entry.right {
        case .send(let s, let id) where s == server, .sendOnce(let s, let id) where s == server:
          if let name = kill(name, server: s, id: id) { died.append(name) }
        default: break
        }
      }
      return died.sorted()
    }
    for name in died { notifications.post(.deadName(CapabilityName(rawValue: name))) }
  }

  /// The task died: every name goes (the servers already dropped its references).
  func clear() {
    monitor.withLock {
      entries.removeAll()
      bySend.removeAll()
      byObject.removeAll()
    }
  }

  /// Forgets a receive right whose object went away.
  func dropReceiveRight(_ object: CapObject) {
    monitor.withLock {
      if let name = byObject[ObjectIdentifier(object)] { remove(name) }
    }
  }

  // Lock held.
  private func kill(_ name: UInt32, server: UInt64, id: CapabilityID) -> UInt32? {
    guard var entry = entries[name], entry.right != .dead else { return nil }
    entry.right = .dead
    entry.formerly = (server, id)
    entries[name] = entry
    bySend[Key(server: server, id: id)] = nil
    return name
  }

  private func sendOnceName(_ server: UInt64, _ id: CapabilityID) -> UInt32? {
    entries.first { $0.value.right == .sendOnce(server: server, id: id) }?.key
  }

  private func remove(_ name: UInt32) {
    guard let entry = entries.removeValue(forKey: name) else { return }
    switch entry.right {
    case .send(let server, let id): bySend[Key(server: server, id: id)] = nil
    case .receive(let object): byObject[ObjectIdentifier(object)] = nil
    case .sendOnce, .dead: break
    }
  }

  private func allocateName() -> UInt32 {
    while entries[nextName] != nil || nextName == 0 || nextName == CapabilityName.dead.rawValue { nextName &+= 1 }
    defer { nextName &+= 1 }
    return nextName
  }
}
