import CL4Support
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A thread named inside IPC state, not reference-counted: a state only names threads the
/// kernel's table keeps alive, and `terminate` clears the states naming a thread it deletes.
/// That keeps `IPCState` plain data: changing a thread's state costs no retain, release or
/// outlined enum copy (it happens several times per IPC).
struct ThreadRef {
  unowned(unsafe) let thread: L4Thread
}

/// Where a receive phase accepts messages from.
enum ReceiveSource {
  case any
  case anyLocal
  /// A closed wait for this thread.
  case partner(ThreadRef)

  static func thread(_ thread: L4Thread) -> ReceiveSource { .partner(ThreadRef(thread: thread)) }

  /// The thread of a closed wait.
  var partner: L4Thread? {
    if case .partner(let ref) = self { return ref.thread }
    return nil
  }

  /// The parker of the thread of a closed wait, read without a retain of that thread.
  var partnerCell: ParkerCell? {
    if case .partner(let ref) = self { return ref.thread.parkerCell }
    return nil
  }

  func accepts(_ sender: L4Thread, into receiver: L4Thread) -> Bool {
    switch self {
    case .any: return true
    case .anyLocal: return sender.space === receiver.space
    case .partner(let expected): return expected.thread === sender
    }
  }
}

/// How a message travels: who the receiver will believe sent it, and the flags it will see.
struct Delivery {
  /// The sender the receiver sees (`VirtualSender` when propagated).
  var apparent: L4Thread
  /// The thread that really sent it.
  var actual: L4Thread
  var propagated: Bool
  var redirected: Bool
  /// The original destination of a redirected message.
  var intended: L4ThreadID
  /// Whether the apparent sender will wait for the receiver's reply (its IPC continues with a
  /// closed receive from the receiver, with a non-zero timeout).
  var senderWaits = false
}

struct ReceivePhase {
  var source: ReceiveSource
  var timeout: L4Timeout
}

/// What a sender blocked in its send phase carries besides its state. Counted references: the
/// virtual sender, or the partner of the receive phase that follows, may be deleted meanwhile.
struct QueuedSend {
  var delivery: Delivery
  var then: ReceivePhase?
  /// Keeps the receive partner named in `then` (if any) alive; checked when the send completes.
  var thenPartner: L4Thread?
}

/// A thread's IPC state; guarded by the kernel lock. Plain data (see `ThreadRef`).
enum IPCState {
  case idle
  /// Blocked in the send phase, queued on `to` (the rest is in the thread's `queuedSend`).
  case sending(to: ThreadRef, deadline: UInt64?)
  case receiving(from: ReceiveSource, deadline: UInt64?)
  /// A typed transfer is copying; no kernel lock is held while it runs.
  case transferring
  /// Direct dispatch: a client thread is running this server's handler.
  case migrated
  /// Direct dispatch: this client is running `dispatchServer`'s handler on its own OS thread.
  case dispatching
}

/// The result of an IPC handed to a blocked thread.
enum IPCOutcome {
  case none
  case received(from: L4ThreadID, tag: L4MessageTag)
  case sent
  case failed(L4ErrorCode)
  /// Run the receive phase again: messages may be queued that could not be delivered while the
  /// thread was busy (direct dispatch, or a send that completed into an open receive).
  case rescan
}

/// A kernel thread: a real OS thread with its UTCB (message, buffer and control registers).
public final class L4Thread: @unchecked Sendable, CustomStringConvertible {
  // Field order is layout order. The fields a partner writes during a hand-off come first, next
  // to the object header (whose reference count retains also write), so a delivery dirties as
  // few cache lines of the receiver as possible; read-only identity lives apart (clean lines are
  // shared between CPUs for free).

  // Guarded by the kernel lock; written by the partner of an IPC.
  @exclusivity(unchecked) var state = IPCState.idle
  @exclusivity(unchecked) var outcome = IPCOutcome.none
  @exclusivity(unchecked) var actualSender = L4ThreadID.nilThread
  @exclusivity(unchecked) var intendedReceiver = L4ThreadID.nilThread
  /// About the last message this thread received, taken at delivery under the kernel lock and
  /// read by this thread once it is woken (so a serve loop needs no further kernel entry): the
  /// apparent sender, whether it then waited for this thread's reply, and its `callAnnotation`.
  @exclusivity(unchecked) var deliveredSender: L4Thread?
  @exclusivity(unchecked) var deliveredAnnotation: (any AnyObject & Sendable)?
  @exclusivity(unchecked) var deliveredSenderWaits = false
  @exclusivity(unchecked) var alive = true
  @exclusivity(unchecked) var serving = false
  @exclusivity(unchecked) var stopRequested = false
  @exclusivity(unchecked) var cancelPending = false
  @exclusivity(unchecked) var queueHead: L4Thread?

  /// The lock-free direct-dispatch gate of a server thread (`L4Kernel.directCall`): non-zero
  /// only while this thread is parked in the open wait of `serve(.direct)`. `DirectGate` values.
  let directGate = Atomic<UInt8>(DirectGate.closed)
  /// While this thread runs a server's handler through the lock-free path: that server's ID
  /// (raw); `DirectGate.abortedCall` once an abort hit it; 0 otherwise. Written by this thread
  /// and by `abort` (under the kernel lock).
  let directCall = Atomic<L4Word>(0)

  // UTCB: used by the thread itself, and by the kernel only while the thread is blocked
  // (the hand-off through the parker orders those accesses).
  @usableFromInline let mr: UnsafeMutablePointer<L4Word>
  /// Also publishes the CPU this thread last ran on (how a waiting partner spins depends on it).
  let parker: L4Parker
  /// `parker`'s words, for partners: waking this thread or reading where it runs through them
  /// costs no retain or release of a line this thread writes.
  let parkerCell: ParkerCell
  /// The handler of the `serve(.direct)` loop this thread runs (guarded by the kernel lock).
  @exclusivity(unchecked) var serveHandler: ServeHandler? {
    didSet { serveHandlerUncounted = serveHandler.map { Unmanaged.passUnretained($0) } }
  }
  /// `serveHandler` for the lock-free direct call, which runs it without a retain: the server
  /// is parked in that loop while a caller holds its gate, so the loop keeps it alive.
  @exclusivity(unchecked) var serveHandlerUncounted: Unmanaged<ServeHandler>?

  // Immutable identity.
  public let id: L4ThreadID
  public let localID: L4ThreadID
  public let space: L4AddressSpace
  public let name: String
  /// Not counted, not checked: every IPC goes through it. The kernel outlives its threads: a
  /// spawned thread holds it until its body returns, and an adopted thread checks
  /// `KernelLifetime` first. `Unmanaged`, because even an `unowned(unsafe)` reference is
  /// retained for the length of each call made through it: the IPC path borrows it with
  /// `_withUnsafeGuaranteedRef` instead; `kernel` hands out a counted reference.
  let kernelReference: Unmanaged<L4Kernel>
  var kernel: L4Kernel { kernelReference.takeUnretainedValue() }

  let br: UnsafeMutablePointer<L4Word>
  @exclusivity(unchecked) var errorCode = L4ErrorCode(raw: 0)
  @exclusivity(unchecked) var virtualSender = L4ThreadID.nilThread
  @exclusivity(unchecked) var transferTimeouts = L4TransferTimeouts()
  /// Set by an abort that hits a running string copy.
  let transferAbort = Atomic<Bool>(false)

  // Guarded by the kernel lock; rarely written.
  /// Set while `state` is `.sending`.
  @exclusivity(unchecked) var queuedSend: QueuedSend?
  @exclusivity(unchecked) var queueTail: L4Thread?
  @exclusivity(unchecked) var queueNext: L4Thread?
  @exclusivity(unchecked) var queued = false
  @exclusivity(unchecked) var dispatchAborted = false
  /// The server whose handler this thread runs while `state` is `.dispatching`; that server
  /// stays alive meanwhile (its serve loop waits for the handler to return).
  @exclusivity(unchecked) unowned(unsafe) var dispatchServer: L4Thread? = nil
  /// Written only by this thread (under the kernel lock), so it reads it without the lock.
  @exclusivity(unchecked) var cancelArmed = false
  /// The last thread this thread called (by a hand-off or direct dispatch); only this thread
  /// reads or writes it (and the kernel's deinit). Lets the next call to the same ID skip the
  /// thread table: the lock-free direct call (the server's open gate proves it alive) and the
  /// locked fast path (which checks `alive` under the lock). It also keeps that thread's object
  /// alive while this thread is blocked calling it (the hand-off borrows it). Dropped when this
  /// thread's body ends, when it finds itself deleted, and when the kernel goes (no reference
  /// cycle outlives them).
  @exclusivity(unchecked) var lastCallee: L4Thread? {
    didSet { lastCalleeUncounted = lastCallee.map { Unmanaged.passUnretained($0) } }
  }
  /// `lastCallee` borrowed without a retain on every call (that property keeps it alive).
  @exclusivity(unchecked) var lastCalleeUncounted: Unmanaged<L4Thread>? = nil
  /// Whether `lastCallee` served by direct dispatch when last called (written under the kernel
  /// lock by this thread; read by it alone): a threaded callee skips the lock-free attempt.
  @exclusivity(unchecked) var lastCalleeServesDirectly = false
  /// An object a client attaches to its pending call for the server to see (e.g. the runtime's
  /// cancellation handle); a model extension in the spirit of the UserDefinedHandle TCR.
  @exclusivity(unchecked) var callAnnotation: (any AnyObject & Sendable)?
  /// Per-thread state of a transport built on this kernel (buffers in the thread's space). Only
  /// touched by whoever runs as this thread: the thread itself, or one direct-dispatch caller.
  @exclusivity(unchecked) var transportState: AnyObject?

  // Whether an OS thread runs this thread (spawned, or `run`).
  private let bound = Atomic<Bool>(false)

  private let osThread = Locked<pthread_t?>(nil)

  init(kernel: L4Kernel, id: L4ThreadID, localID: L4ThreadID, space: L4AddressSpace, name: String) {
    kernelReference = Unmanaged.passUnretained(kernel)
    let parker = L4Parker()
    self.parker = parker
    parkerCell = parker.cell
    self.id = id
    self.localID = localID
    self.space = space
    self.name = name
    mr = UnsafeMutablePointer<L4Word>.allocate(capacity: L4MessageRegisters.count)
    mr.initialize(repeating: 0, count: L4MessageRegisters.count)
    br = UnsafeMutablePointer<L4Word>.allocate(capacity: L4BufferRegisters.count)
    br.initialize(repeating: 0, count: L4BufferRegisters.count)
  }

  deinit {
    mr.deallocate()
    br.deallocate()
  }

  public var description: String { "\(name)(\(id))" }

  /// Aborts this thread's pending IPC, as `ExchangeRegisters` with the abort flags does:
  /// a wait that has not started transferring fails with `cancelled`; a running string
  /// transfer fails with `aborted` (for both partners). Returns whether an IPC was pending.
  @discardableResult
  public func abortIPC(send: Bool = true, receive: Bool = true) -> Bool {
    kernel.abort(self, send: send, receive: receive)
  }

  /// Whether the thread's body is still running.
  public var isAlive: Bool { kernel.isAlive(self) }

  /// Waits for the thread's body to return.
  public func join() {
    guard let handle = osThread.withLock({ handle -> pthread_t? in
      defer { handle = nil }
      return handle
    }) else { return }
    pthread_join(handle, nil)
  }

  func setOSThread(_ handle: pthread_t) { osThread.withLock { $0 = handle } }

  func markBound() {
    precondition(!bound.exchange(true, ordering: .acquiringAndReleasing), "thread already has an OS thread")
  }

  /// Runs `body` as this thread on the calling OS thread (for threads made by `createThread`).
  /// The thread is deleted when `body` returns, as if its spawned body had ended.
  public func run<R>(_ body: (L4ThreadContext) throws -> R) rethrows -> R {
    markBound()
    noteCPU()
    defer { kernel.terminate(self) }
    return try body(L4ThreadContext(thread: self))
  }

  @inline(__always) func noteCPU() { parker.noteCPU() }

  // MARK: Sender queue (kernel lock held)

  func enqueue(_ sender: L4Thread) {
    sender.queueNext = nil
    sender.queued = true
    if let tail = queueTail { tail.queueNext = sender } else { queueHead = sender }
    queueTail = sender
  }

  func dequeue(_ sender: L4Thread) {
    guard sender.queued else { return }
    var previous: L4Thread? = nil
    var cursor = queueHead
    while let current = cursor {
      if current === sender {
        if let previous { previous.queueNext = current.queueNext } else { queueHead = current.queueNext }
        if queueTail === current { queueTail = previous }
        current.queueNext = nil
        current.queued = false
        return
      }
      previous = current
      cursor = current.queueNext
    }
  }

  /// The first queued sender whose message `source` accepts.
  func firstQueued(acceptedBy source: ReceiveSource) -> L4Thread? {
    var cursor = queueHead
    while let sender = cursor {
      if case .sending = sender.state, let queued = sender.queuedSend, source.accepts(queued.delivery.apparent, into: self) {
        return sender
      }
      cursor = sender.queueNext
    }
    return nil
  }
}

/// Values of `L4Thread.directGate`. Only the server opens the gate (under the kernel lock, as it
/// parks in its open wait); a caller claims an open gate with one compare-and-swap and hands it
/// back with another. A kernel-lock holder that wants to act on the server's `.receiving` state
/// first closes an open gate, or marks a lent one `lentRecalled`, which makes the caller hand
/// the server back under the lock (see `L4Kernel.claimForKernel`).
enum DirectGate {
  static let closed: UInt8 = 0
  /// Open wait accepting any thread.
  static let openAny: UInt8 = 1
  /// Open wait accepting threads of the server's space only.
  static let openLocal: UInt8 = 5
  /// A caller runs the handler (the server counts as `.migrated`).
  static let lent: UInt8 = 2
  /// Lent, and the kernel needs the server back (a queued sender, a stop request).
  static let lentRecalled: UInt8 = 3
  /// `directCall` of a caller whose lock-free dispatch was aborted.
  static let abortedCall: L4Word = 1
}

/// What a thread is doing in the kernel, as `ExchangeRegisters` would report it.
public enum L4IPCActivity: Sendable, Hashable {
  /// Not in an IPC (running its own code, or running a server handler).
  case none
  /// Blocked in a send phase.
  case sending
  /// Blocked in a receive phase.
  case receiving
  /// Copying typed items (string copy, map, grant).
  case transferring
  /// A server whose handler a client is running (direct dispatch).
  case lentToCaller
}

extension L4Thread {
  /// The thread's current IPC activity (a snapshot).
  public var ipcActivity: L4IPCActivity {
    kernel.activity(of: self)
  }
}

extension L4Kernel {
  func activity(of thread: L4Thread) -> L4IPCActivity {
    lock.lock()
    defer { lock.unlock() }
    if isLent(thread) { return .lentToCaller }
    switch thread.state {
    case .idle, .dispatching: return .none
    case .sending: return .sending
    case .receiving: return .receiving
    case .transferring: return .transferring
    case .migrated: return .lentToCaller
    }
  }
}

extension L4Thread {
  /// How many threads are blocked sending to this thread (its sender queue).
  public var queuedSenderCount: Int { kernel.queuedSenderCount(of: self) }
}

extension L4Kernel {
  func queuedSenderCount(of thread: L4Thread) -> Int {
    lock.lock()
    defer { lock.unlock() }
    var count = 0
    var cursor = thread.queueHead
    while let sender = cursor {
      count += 1
      cursor = sender.queueNext
    }
    return count
  }
}
