/// An asynchronous event for a task (docs/capabilities.md §5).
public enum CapNotification: Sendable, Equatable, CustomStringConvertible {
  /// The server of a capability the task holds died or revoked it; the name is now dead.
  case deadName(CapabilityName)
  /// The last client reference to one of the task's objects is gone.
  case noSenders(CapObject)
  /// A server-defined event (`CapBucket.notifyHolders(of:code:word:)`, `notify(client:code:word:)`):
  /// `about` is the task's own name for the object it concerns, `.null` for one about no object.
  case server(about: CapabilityName, code: UInt64, word: UInt64)

  public static func == (lhs: CapNotification, rhs: CapNotification) -> Bool {
    switch (lhs, rhs) {
    case (.deadName(let a), .deadName(let b)): a == b
    case (.noSenders(let a), .noSenders(let b)): a === b
    case (.server(let n, let a, let x), .server(let m, let b, let y)): n == m && a == b && x == y
    default: false
    }
  }

  public var description: String {
    switch self {
    case .deadName(let name): "dead-name(\(name))"
    case .noSenders(let object): "no-senders(\(ObjectIdentifier(object)))"
    case .server(let name, let code, let word): "server(\(name), \(code), \(word))"
    }
  }
}

import HurdRPC

/// A task's bounded, coalescing notification queue. Posting never blocks and never fails: when
/// the queue is full, an event equal to a queued one is coalesced into it (`count` grows),
/// anything else is counted in `missedEvents`, so the task always learns that something happened.
public final class NotificationQueue: @unchecked Sendable {
  /// One queued event and how many times it happened since it was queued.
  public struct Entry: Sendable, Equatable {
    public let event: CapNotification
    public var count: Int
  }

  /// A poll's result: the events in order, and how many were dropped (queue full) since the last poll.
  public struct Batch: Sendable, Equatable {
    public var entries: [Entry]
    public var missedEvents: Int
    public var isEmpty: Bool { entries.isEmpty && missedEvents == 0 }
  }

  public let capacity: Int
  private let monitor = Monitor()
  private var entries: [Entry] = []
  private var missed = 0

  public init(capacity: Int = 256) { self.capacity = max(1, capacity) }

  /// Queues `event` (O(capacity) at worst, under a short lock; never waits for the reader).
  public func post(_ event: CapNotification) {
    monitor.withLock {
      if entries.count < capacity {
        entries.append(Entry(event: event, count: 1))
      } else if let index = entries.firstIndex(where: { $0.event == event }) {
        entries[index].count += 1
      } else {
        missed += 1
      }
    }
    monitor.broadcast()
  }

  /// Takes everything queued (never blocks).
  public func poll() -> Batch { monitor.withLock { take() } }

  /// Waits until something is queued (or `deadline` passes), then takes everything.
  public func wait(until deadline: ContinuousClock.Instant? = nil) -> Batch {
    monitor.withLock {
      while entries.isEmpty && missed == 0 {
        if !monitor.wait(until: deadline) { break }
      }
      return take()
    }
  }

  private func take() -> Batch {
    defer {
      entries.removeAll()
      missed = 0
    }
    return Batch(entries: entries, missedEvents: missed)
  }
}
