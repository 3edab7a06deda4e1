import CL4Support
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A modelled L4 X.2 kernel: address spaces, threads (real OS threads) and synchronous IPC.
/// Several kernels can coexist in one process; their thread IDs are unrelated.
public final class L4Kernel: @unchecked Sendable {
  let lock = KernelLock()
  // Guarded by `lock`.
  @exclusivity(unchecked) private var slots: [L4Thread?] = [nil]  // thread number 0 is never used
  @exclusivity(unchecked) private var slotGenerations: [UInt32] = [0]
  @exclusivity(unchecked) private var freeSlots: [Int] = []
  @exclusivity(unchecked) private var spaces: [L4AddressSpace] = []
  @exclusivity(unchecked) private var localTables: [[L4Thread?]] = []
  /// Per space, the local indices of deleted threads (reused, as a deleted thread's UTCB slot is).
  @exclusivity(unchecked) private var freeLocalIndices: [[Int]] = []
  @exclusivity(unchecked) private var redirectors: [L4Thread?] = []
  /// Per space, whether it was deleted (ThreadControl took its last thread, or `deleteSpace`).
  @exclusivity(unchecked) private var deletedSpaces: [Bool] = []
  /// Told of every deleted space (see `observeSpaceDeletion`), keyed by observer identity.
  @exclusivity(unchecked) private var spaceObservers: [(ObjectIdentifier, @Sendable (L4AddressSpace) -> Void)] = []

  /// Unique per kernel in this process (object addresses can be reused; serials are not).
  let serial = L4Kernel.serials.add(1, ordering: .relaxed).newValue
  private static let serials = Atomic<UInt64>(0)

  /// Cleared when the kernel goes away (see `currentThread(in:)`).
  let lifetime = KernelLifetime()

  public init() { lifetime.attach(self) }

  deinit {
    lifetime.end()
    // Threads that called each other would keep each other alive through `lastCallee`.
    for case let thread? in slots { thread.lastCallee = nil }
  }

  // MARK: Spaces and threads

  /// Creates an empty address space.
  public func createSpace() -> L4AddressSpace {
    lock.lock()
    defer { lock.unlock() }
    let space = L4AddressSpace(kernel: self, number: spaces.count)
    spaces.append(space)
    localTables.append([nil])
    freeLocalIndices.append([])
    redirectors.append(nil)
    deletedSpaces.append(false)
    return space
  }

  /// Starts a thread in `space` running `body` on a new OS thread. The thread is deleted when
  /// `body` returns: its ID becomes stale (a later thread may reuse the number with a new
  /// version) and partners waiting on it fail with "non-existing partner".
  @discardableResult
  public func spawn(
    in space: L4AddressSpace, name: String = "thread", _ body: @escaping @Sendable (L4ThreadContext) -> Void
  ) -> L4Thread {
    let thread = createThread(in: space, name: name)
    thread.markBound()
    let start = ThreadStart(kernel: self, thread: thread, body: body)
    var handle = pthread_t()
    let result = pthread_create(
      &handle, nil,
      { raw in
        let start = Unmanaged<ThreadStart>.fromOpaque(raw!).takeRetainedValue()
        start.thread.noteCPU()
        start.body(L4ThreadContext(thread: start.thread))
        start.kernel.terminate(start.thread)
        return nil
      }, Unmanaged.passRetained(start).toOpaque())
    precondition(result == 0, "pthread_create failed: \(result)")
    thread.setOSThread(handle)
    return thread
  }

  /// Creates a thread that no OS thread runs yet: it has its ID (others can address it; their
  /// sends wait until it receives) and starts running when an OS thread calls `run` on it.
  public func createThread(in space: L4AddressSpace, name: String = "thread") -> L4Thread {
    precondition(space.kernel === self, "space belongs to another kernel")
    lock.lock()
    let number: Int
    if let reused = freeSlots.popLast() {
      number = reused
    } else {
      number = slots.count
      slots.append(nil)
      slotGenerations.append(0)
    }
    slotGenerations[number] &+= 1
    // Low 6 bits of a version are never all zero, so global IDs never look local.
    let version = slotGenerations[number] << 6 | 1
    let localIndex = freeLocalIndices[space.number].popLast() ?? localTables[space.number].count
    let thread = L4Thread(
      kernel: self, id: L4ThreadID(number: UInt32(number), version: version),
      localID: .local(index: UInt32(localIndex)), space: space, name: name)
    if deletedSpaces[space.number] {
      // A deleted space gets no threads: this one exists only as a dead ID (its IPC fails).
      thread.alive = false
      freeSlots.append(number)
      freeLocalIndices[space.number].append(localIndex)
      lock.unlock()
      return thread
    }
    slots[number] = thread
    if localIndex == localTables[space.number].count {
      localTables[space.number].append(thread)
    } else {
      localTables[space.number][localIndex] = thread
    }
    lock.unlock()
    return thread
  }

  /// Sets (or with `nil` clears) the redirector of `space` (SpaceControl).
  public func setRedirector(_ redirector: L4Thread?, for space: L4AddressSpace) {
    lock.lock()
    redirectors[space.number] = redirector
    space.hasRedirector.store(redirector != nil, ordering: .releasing)
    lock.unlock()
  }

  /// The live thread named by a global ID, or `nil` if it is unknown or stale.
  public func thread(_ id: L4ThreadID) -> L4Thread? {
    lock.lock()
    defer { lock.unlock() }
    return resolveGlobal(id)
  }

  func isAlive(_ thread: L4Thread) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return thread.alive
  }

  // MARK: Lookup (lock held)

  private func resolveGlobal(_ id: L4ThreadID) -> L4Thread? {
    guard id.isGlobal else { return nil }
    let number = Int(id.number)
    guard number > 0, number < slots.count, let thread = slots[number], thread.id == id, thread.alive else {
      return nil
    }
    return thread
  }

  /// Resolves a global ID, or a local ID inside `caller`'s space.
  private func resolve(_ id: L4ThreadID, for caller: L4Thread) -> L4Thread? {
    if id.isLocal {
      let table = localTables[caller.space.number]
      let index = Int(id.localIndex)
      guard index > 0, index < table.count, let thread = table[index], thread.alive else { return nil }
      return thread
    }
    return resolveGlobal(id)
  }

  /// The ID a receiver is shown for `sender`: local when it waited for local threads only.
  private func shownID(of sender: L4Thread, to receiver: L4Thread, source: ReceiveSource?) -> L4ThreadID {
    if case .anyLocal = source, sender.space === receiver.space { return sender.localID }
    return sender.id
  }

  /// A thread's body returned: the thread is deleted (its space stays, see docs/l4-backend.md).
  func terminate(_ thread: L4Thread) {
    var toWake: [L4Thread] = []
    lock.lock()
    thread.lastCallee = nil  // run by the thread's own OS thread, the only one using it
    guard thread.alive else {
      lock.unlock()
      return
    }
    removeThread(thread, waking: &toWake)
    lock.unlock()
    for waiter in toWake { waiter.parkerCell.unpark() }
  }

  /// Takes `thread` out of the tables and fails the IPCs of its partners (lock held): senders
  /// queued on it and threads in a closed wait for it fail "non-existing partner" (send and
  /// receive phase), a typed transfer it takes part in is aborted for both (`aborted`, offset).
  private func removeThread(_ thread: L4Thread, waking toWake: inout [L4Thread]) {
    thread.alive = false
    _ = claimForKernel(thread)
    let number = Int(thread.id.number)
    if slots[number] === thread {
      slots[number] = nil
      freeSlots.append(number)
    }
    localTables[thread.space.number][Int(thread.localID.localIndex)] = nil
    freeLocalIndices[thread.space.number].append(Int(thread.localID.localIndex))
    for index in redirectors.indices where redirectors[index] === thread { redirectors[index] = nil }
    if case .transferring = thread.state { thread.transferAbort.store(true, ordering: .releasing) }
    // Senders blocked on the dead thread, and threads waiting to hear from it, fail.
    while let sender = thread.queueHead {
      thread.dequeue(sender)
      sender.state = .idle
      sender.queuedSend = nil
      sender.outcome = .failed(L4ErrorCode(.nonExistingPartner, phase: .send))
      toWake.append(sender)
    }
    for case let other? in slots {
      if case .receiving(.partner(let partner), _) = other.state, partner.thread === thread {
        other.state = .idle
        other.outcome = .failed(L4ErrorCode(.nonExistingPartner, phase: .receive))
        toWake.append(other)
      }
    }
  }

  // MARK: Deletion (ThreadControl, task death)

  /// `ThreadControl` deleting `thread` (X.2: `SpaceSpecifier` nil). Its partners' IPCs fail as
  /// for any deleted thread (`removeThread`); its own pending IPC is unwound as by an abort
  /// (`cancelled`, its phase) and any later IPC of it fails "non-existing partner" — the model
  /// cannot stop the OS thread, which runs on with a dead ID; a serve loop it runs returns.
  /// Deleting the last thread of a space deletes the space (see `deleteSpace`).
  public func deleteThread(_ thread: L4Thread) {
    var toWake: [L4Thread] = []
    lock.lock()
    guard thread.alive else {
      lock.unlock()
      return
    }
    deleteLocked(thread, waking: &toWake)
    let space = thread.space
    let last = !localTables[space.number].contains { $0 != nil }
    let observers = last ? markSpaceDeleted(space) : []
    lock.unlock()
    for waiter in toWake { waiter.parkerCell.unpark() }
    if last { finishSpaceDeletion(space, observers) }
  }

  /// Deletes `space` with every thread in it — what deleting its last thread does in X.2, or a
  /// task server destroying a task. Its mappings go away (the memory stays alive in spaces it was
  /// mapped to: the model has no mapping database, so unmapping is not recursive), later threads
  /// created in it are born deleted, and the observers (`observeSpaceDeletion`) are told.
  public func deleteSpace(_ space: L4AddressSpace) {
    precondition(space.kernel === self, "space belongs to another kernel")
    var toWake: [L4Thread] = []
    lock.lock()
    guard !deletedSpaces[space.number] else {
      lock.unlock()
      return
    }
    for case let thread? in localTables[space.number] { deleteLocked(thread, waking: &toWake) }
    let observers = markSpaceDeleted(space)
    lock.unlock()
    for waiter in toWake { waiter.parkerCell.unpark() }
    finishSpaceDeletion(space, observers)
  }

  /// Whether `space` was deleted.
  public func isDeleted(_ space: L4AddressSpace) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return deletedSpaces[space.number]
  }

  /// Calls `handler` after each space deletion (outside the kernel lock, on the deleting
  /// thread): how a layer above learns of task death without being told by hand. Registering
  /// the same `observer` again keeps the first handler.
  public func observeSpaceDeletion(
    by observer: any AnyObject & Sendable, _ handler: @escaping @Sendable (L4AddressSpace) -> Void
  ) {
    let key = ObjectIdentifier(observer)
    lock.lock()
    if !spaceObservers.contains(where: { $0.0 == key }) { spaceObservers.append((key, handler)) }
    lock.unlock()
  }

  /// `removeThread` plus the deleted thread's own side (lock held).
  private func deleteLocked(_ thread: L4Thread, waking toWake: inout [L4Thread]) {
    removeThread(thread, waking: &toWake)
    thread.stopRequested = true
    switch thread.state {
    case .sending(let target, _):
      target.thread.dequeue(thread)
      thread.state = .idle
      thread.queuedSend = nil
      thread.outcome = .failed(L4ErrorCode(.cancelled, phase: .send))
      toWake.append(thread)
    case .receiving where !isLent(thread):
      thread.state = .idle
      thread.outcome = .failed(L4ErrorCode(.cancelled, phase: .receive))
      toWake.append(thread)
    case .receiving:
      // A lock-free caller runs its handler (the state is stale): `removeThread` recalled it, and
      // the hand-back sees `stopRequested` and wakes the thread once the handler is done.
      break
    case .dispatching:
      thread.dispatchAborted = true
    case .idle:
      _ = abortLockFreeCall(of: thread)  // a handler it runs lock-free: as `.dispatching`
    case .transferring, .migrated:
      break
    }
  }

  /// Marks `space` deleted and returns the observers to tell (lock held).
  private func markSpaceDeleted(_ space: L4AddressSpace) -> [@Sendable (L4AddressSpace) -> Void] {
    deletedSpaces[space.number] = true
    redirectors[space.number] = nil
    return spaceObservers.map { $0.1 }
  }

  private func finishSpaceDeletion(_ space: L4AddressSpace, _ observers: [@Sendable (L4AddressSpace) -> Void]) {
    space.removeAllMappings()
    for observer in observers { observer(space) }
  }

  // MARK: IPC

  /// The IPC system call, run by `caller` on its own OS thread. Inlined into its callers, so the
  /// lock-free direct call costs no frame of the general path's size.
  @inline(__always)
  func ipc(_ caller: L4Thread, to: L4ThreadID, from: L4ThreadID, timeouts: L4Timeouts) -> IPCOutcome {
    // Lock-free direct dispatch: a Call to the server this thread last reached by direct
    // dispatch (armed cancellation goes through the lock, for its sticky-abort rules).
    // The cached server is borrowed, not retained: `lastCallee` keeps it alive.
    if from == to, !caller.cancelArmed, caller.lastCalleeServesDirectly, let cached = caller.lastCalleeUncounted,
      let outcome = cached._withUnsafeGuaranteedRef({ server in
        server.id == to ? directCall(caller, to: server, receiveTimeout: timeouts.receive) : nil
      })
    {
      return outcome
    }
    return lockedIPC(caller, to: to, from: from, timeouts: timeouts)
  }

  /// Every IPC but the lock-free direct call: under the kernel lock.
  @inline(never)
  private func lockedIPC(_ caller: L4Thread, to: L4ThreadID, from: L4ThreadID, timeouts: L4Timeouts) -> IPCOutcome {
    var wake: L4Thread? = nil
    lock.lock()
    if !caller.alive {
      // Deleted by ThreadControl while its OS thread runs on: it has no ID any more. (It drops
      // its cached callee itself: another thread clearing it could free a thread this one is
      // still blocked on.)
      caller.lastCallee = nil
      lock.unlock()
      return .failed(L4ErrorCode(.nonExistingPartner, phase: to.isNil ? .receive : .send))
    }
    if caller.cancelPending {
      // A sticky abort that arrived before this IPC started (see `cancelCall`).
      caller.cancelPending = false
      lock.unlock()
      return .failed(L4ErrorCode(.cancelled, phase: to.isNil ? .receive : .send))
    }

    // Fast paths for a register-only, unpropagated, unredirected send to a thread already
    // waiting for it — the common case of Call, Send, Reply and ReplyWait. The general path below
    // reaches the same result; these skip building its delivery and receive-phase values and the
    // second lookup (their references cost ARC traffic, several times per IPC). The callee this
    // thread called last is borrowed without a lookup: a table lookup returns a retained
    // reference, and that retain (and its release) writes the callee's object header from this
    // CPU on every call; `lastCallee` keeps it alive, `alive` says it is still in the table.
    if !to.isNil {
      let fast: IPCOutcome?
      if let cached = caller.lastCalleeUncounted, cached._withUnsafeGuaranteedRef({ $0.id == to && $0.alive }) {
        fast = cached._withUnsafeGuaranteedRef { handOff(caller, to: $0, named: to, from: from, timeouts: timeouts) }
      } else if let destination = resolve(to, for: caller) {
        fast = handOff(caller, to: destination, named: to, from: from, timeouts: timeouts)
      } else {
        fast = nil
      }
      if let fast { return fast }
    }

    // Send phase.
    if !to.isNil {
      guard let destination = resolve(to, for: caller) else {
        lock.unlock()
        return .failed(L4ErrorCode(.nonExistingPartner, phase: .send))
      }
      let tag = L4MessageTag(raw: caller.mr[0])
      var delivery = Delivery(
        apparent: caller, actual: caller, propagated: false, redirected: false, intended: .nilThread)
      if tag.isPropagated {
        guard let virtual = resolve(caller.virtualSender, for: caller) else {
          lock.unlock()
          return .failed(L4ErrorCode(.nonExistingPartner, phase: .send))
        }
        // Propagation is honoured only from the virtual sender's or the destination's space,
        // or from the redirector of the virtual sender's space; otherwise `p` is dropped.
        if virtual.space === caller.space || destination.space === caller.space
          || redirectors[virtual.space.number] === caller
        {
          delivery.apparent = virtual
          delivery.propagated = true
        }
      }
      var target = destination
      if let redirector = redirectors[caller.space.number], redirector !== caller,
        destination.space !== caller.space, destination.space !== redirector.space
      {
        target = redirector
        delivery.redirected = true
        delivery.intended = destination.id
      }
      let receivePhase: ReceivePhase?
      if from.isNil {
        receivePhase = nil
      } else if from.isAnyThread {
        receivePhase = ReceivePhase(source: .any, timeout: timeouts.receive)
      } else if from.isAnyLocalThread {
        receivePhase = ReceivePhase(source: .anyLocal, timeout: timeouts.receive)
      } else if from == to {
        receivePhase = ReceivePhase(source: .thread(destination), timeout: timeouts.receive)  // a Call
      } else if let partner = resolve(from, for: caller) {
        receivePhase = ReceivePhase(source: .thread(partner), timeout: timeouts.receive)
      } else {
        receivePhase = nil  // reported by the receive phase below, after the send
      }
      delivery.senderWaits = !delivery.propagated && Self.waitsForReply(receivePhase, from: target)

      if case .receiving(let source, _) = target.state, source.accepts(delivery.apparent, into: target),
        claimForKernel(target)
      {
        if let handler = target.serveHandler, tag.typedWords == 0, !delivery.propagated, !delivery.redirected,
          target !== caller, receivePhase?.source.partner === target
        {
          return dispatchDirectly(
            caller, to: target, source: source, handler: handler, tag: tag, receiveTimeout: timeouts.receive)
        }
        if tag.typedWords == 0 {
          deliverRegisters(from: caller, to: target, tag: tag, delivery: delivery, source: source)
          wake = target
        } else {
          if let failure = transferTypedAndDeliver(from: caller, to: target, tag: tag, delivery: delivery, source: source) {
            target.outcome = .failed(failure.receiver)
            lock.unlock()
            target.parkerCell.unpark()
            return .failed(failure.sender)
          }
          wake = target
        }
      } else {
        if timeouts.send.isZero {
          lock.unlock()
          return .failed(L4ErrorCode(.timeout, phase: .send))
        }
        let deadline = timeouts.send.deadlineFromNow
        target.enqueue(caller)
        caller.state = .sending(to: ThreadRef(thread: target), deadline: deadline)
        caller.queuedSend = QueuedSend(delivery: delivery, then: receivePhase, thenPartner: receivePhase?.source.partner)
        caller.outcome = .none
        caller.parker.prepare()
        lock.unlock()
        // While queued, re-check now and then: once the receiver takes the message we are moved
        // into the receive phase, whose deadline starts only then.
        let recheck = receivePhase?.timeout.deadline(from: 0)
        let outcome = block(caller, deadline: deadline, partner: target.parkerCell, recheckWhileSending: recheck)
        switch outcome {
        case .rescan:
          break  // our send completed into a receive phase that has queued senders
        case .sent where !from.isNil:
          break  // the receive partner did not resolve: the receive phase reports it
        default:
          return outcome
        }
        lock.lock()
      }
    }

    // Receive phase.
    if from.isNil {
      lock.unlock()
      wake?.parkerCell.unpark()
      return .sent
    }
    let source: ReceiveSource
    if from.isAnyThread {
      source = .any
    } else if from.isAnyLocalThread {
      source = .anyLocal
    } else if let partner = resolve(from, for: caller) {
      source = .thread(partner)
    } else {
      lock.unlock()
      wake?.parkerCell.unpark()
      return .failed(L4ErrorCode(.nonExistingPartner, phase: .receive))
    }
    return receivePhase(caller, from: source, timeout: timeouts.receive, waking: wake)
  }

  /// The fast paths of `lockedIPC` (lock held on entry): direct dispatch, or delivery to a
  /// thread already waiting followed by the receive phase. `to` is the ID the caller named
  /// `destination` by. Returns nil, with the lock still held and nothing done, when the general
  /// path must run; otherwise the outcome, lock released.
  @inline(__always)
  private func handOff(
    _ caller: L4Thread, to destination: L4Thread, named to: L4ThreadID, from: L4ThreadID, timeouts: L4Timeouts
  ) -> IPCOutcome? {
    guard destination !== caller else { return nil }
    let tag = L4MessageTag(raw: caller.mr[0])
    guard tag.typedWords == 0, !tag.isPropagated, !isRedirected(caller, to: destination),
      case .receiving(let source, _) = destination.state, source.accepts(caller, into: destination),
      claimForKernel(destination)
    else { return nil }
    let isCall = from == to
    // Direct dispatch: a Call to a thread idling in `serve(.direct)`.
    if isCall, let handler = destination.serveHandler {
      return dispatchDirectly(
        caller, to: destination, source: source, handler: handler, tag: tag, receiveTimeout: timeouts.receive)
    }
    // Hand-off: deliver, then the receive phase (a Call's closed one, or an open one).
    let then: ReceiveSource?
    if from.isNil {
      then = nil
    } else if isCall {
      then = .thread(destination)
    } else if from.isAnyThread {
      then = .any
    } else {
      return nil  // other receive partners: the general path
    }
    copyUntyped(tag.untypedWords, from: caller.mr, to: destination.mr)
    completeReceive(
      of: destination, apparent: caller, tag: tag.withoutReceiveFlags.setting(L4MessageTag.propagatedBit, false),
      actualSender: .nilThread, intendedReceiver: .nilThread, source: source,
      senderWaits: isCall && !timeouts.receive.isZero)
    guard let then else {
      lock.unlock()
      destination.parkerCell.unpark()
      return .sent
    }
    if isCall { rememberCallee(destination, of: caller) }
    return receivePhase(caller, from: then, timeout: timeouts.receive, waking: destination)
  }

  /// Caches `callee` as the thread `caller` called last (one retain when it changes), and
  /// whether it serves by direct dispatch (only then is the lock-free direct call worth trying).
  @inline(__always) private func rememberCallee(_ callee: L4Thread, of caller: L4Thread) {
    if caller.lastCalleeUncounted?.toOpaque() != Unmanaged.passUnretained(callee).toOpaque() {
      caller.lastCallee = callee
    }
    caller.lastCalleeServesDirectly = callee.serveHandler != nil
  }

  /// The receive phase of `caller`'s IPC (lock held on entry, released on return): take a queued
  /// sender `source` accepts, or block until one delivers, the timeout passes or an abort. `wake`
  /// is the thread the send phase completed, unparked once the lock is released.
  private func receivePhase(
    _ caller: L4Thread, from source: ReceiveSource, timeout: L4Timeout, waking wake: L4Thread?
  ) -> IPCOutcome {
    var wake = wake
    let deadline = timeout.deadlineFromNow
    while true {
      if caller.serving && caller.stopRequested {
        // A serve loop asked to stop does not start another wait.
        lock.unlock()
        wake?.parkerCell.unpark()
        return .failed(L4ErrorCode(.cancelled, phase: .receive))
      }
      if let sender = caller.firstQueued(acceptedBy: source), let queued = sender.queuedSend {
        let delivery = queued.delivery
        caller.dequeue(sender)
        sender.queuedSend = nil
        let tag = L4MessageTag(raw: sender.mr[0])
        var senderWake: L4Thread? = nil
        if tag.typedWords == 0 {
          deliverRegisters(from: sender, to: caller, tag: tag, delivery: delivery, source: source)
          senderWake = completeSend(of: sender, then: queued)
        } else if let failure = transferTypedAndDeliver(
          from: sender, to: caller, tag: tag, delivery: delivery, source: source)
        {
          sender.outcome = .failed(failure.sender)
          caller.outcome = .failed(failure.receiver)
          senderWake = sender
        } else {
          senderWake = completeSend(of: sender, then: queued)
        }
        let outcome = caller.outcome
        caller.outcome = .none
        lock.unlock()
        wake?.parkerCell.unpark()
        senderWake?.parkerCell.unpark()
        return outcome
      }
      if timeout.isZero {
        lock.unlock()
        wake?.parkerCell.unpark()
        return .failed(L4ErrorCode(.timeout, phase: .receive))
      }
      caller.state = .receiving(from: source, deadline: deadline)
      caller.outcome = .none
      caller.parker.prepare()
      openGate(of: caller, source: source)
      lock.unlock()
      wake?.parkerCell.unpark()
      let outcome = block(caller, deadline: deadline, partner: source.partnerCell ?? wake?.parkerCell)
      guard case .rescan = outcome else { return outcome }
      wake = nil
      lock.lock()
    }
  }

  /// Whether IPC from `caller` to `destination` goes to the caller space's redirector instead.
  @inline(__always) private func isRedirected(_ caller: L4Thread, to destination: L4Thread) -> Bool {
    guard let redirector = redirectors[caller.space.number] else { return false }
    return redirector !== caller && destination.space !== caller.space && destination.space !== redirector.space
  }

  /// Copies the untyped message into `receiver` and completes its receive (lock held).
  private func deliverRegisters(
    from sender: L4Thread, to receiver: L4Thread, tag: L4MessageTag, delivery: Delivery, source: ReceiveSource
  ) {
    let u = tag.untypedWords
    copyUntyped(u, from: sender.mr, to: receiver.mr)
    completeReceive(of: receiver, from: sender, tag: tag, delivery: delivery, source: source)
  }

  /// Runs a typed transfer outside the kernel lock (held on entry and on return; both threads
  /// show `.transferring` meanwhile, then `.idle`) and on success completes the receive. Returns
  /// both partners' errors when the transfer failed.
  private func transferTypedAndDeliver(
    from sender: L4Thread, to receiver: L4Thread, tag: L4MessageTag, delivery: Delivery, source: ReceiveSource
  ) -> (sender: L4ErrorCode, receiver: L4ErrorCode)? {
    sender.state = .transferring
    receiver.state = .transferring
    lock.unlock()
    let result = transferTyped(from: sender, to: receiver, tag: tag)
    lock.lock()
    endTransfer(sender, receiver)
    sender.state = .idle
    receiver.state = .idle
    switch result {
    case .success(let receivedTag):
      completeReceive(of: receiver, from: sender, tag: receivedTag, delivery: delivery, source: source)
      return nil
    case .failure(let senderError, let receiverError):
      return (senderError, receiverError)
    }
  }

  /// Sets the receiver's tag, control registers and outcome (lock held; registers copied).
  private func completeReceive(
    of receiver: L4Thread, from sender: L4Thread, tag: L4MessageTag, delivery: Delivery, source: ReceiveSource
  ) {
    completeReceive(
      of: receiver, apparent: delivery.apparent,
      tag: tag.withoutReceiveFlags
        .setting(L4MessageTag.propagatedBit, delivery.propagated)
        .setting(L4MessageTag.redirectedBit, delivery.redirected),
      actualSender: delivery.propagated ? delivery.actual.id : .nilThread,
      intendedReceiver: delivery.redirected ? delivery.intended : .nilThread, source: source,
      senderWaits: delivery.senderWaits)
    // Propagation: a virtual sender waiting for the propagator now waits for the new receiver,
    // so the receiver's reply goes straight back to it.
    if delivery.propagated, case .receiving(.partner(let expected), let deadline) = delivery.apparent.state,
      expected.thread === delivery.actual
    {
      delivery.apparent.state = .receiving(from: .thread(receiver), deadline: deadline)
      receiver.deliveredSenderWaits = true
    }
  }

  /// The receiver's side of a delivery (lock held; registers copied): tag as shown, control
  /// registers, outcome, and what its serve loop learns about the sender.
  private func completeReceive(
    of receiver: L4Thread, apparent: L4Thread, tag shownTag: L4MessageTag, actualSender: L4ThreadID,
    intendedReceiver: L4ThreadID, source: ReceiveSource, senderWaits: Bool
  ) {
    receiver.mr[0] = shownTag.raw
    receiver.actualSender = actualSender
    receiver.intendedReceiver = intendedReceiver
    receiver.state = .idle
    receiver.outcome = .received(from: shownID(of: apparent, to: receiver, source: source), tag: shownTag)
    // Mostly the same sender as last time: then skip the retain and release (they would write
    // the sender's object header, a line the sender itself writes).
    if receiver.deliveredSender !== apparent { receiver.deliveredSender = apparent }
    receiver.deliveredAnnotation = apparent.callAnnotation
    receiver.deliveredSenderWaits = senderWaits
  }

  /// Whether a sender whose IPC continues with `then` waits for `receiver`'s reply.
  private static func waitsForReply(_ then: ReceivePhase?, from receiver: L4Thread) -> Bool {
    guard let then else { return false }
    return then.source.partner === receiver && !then.timeout.isZero
  }

  /// A queued sender's message has been taken: move it into its receive phase (atomically, it
  /// stays blocked) or complete it. Returns the thread to wake, if any (lock held).
  private func completeSend(of sender: L4Thread, then queued: QueuedSend) -> L4Thread? {
    guard let then = queued.then else {
      sender.state = .idle
      sender.outcome = .sent
      return sender
    }
    if let partner = queued.thenPartner, !partner.alive {
      // The partner of the receive phase was deleted while this sender was queued.
      sender.state = .idle
      sender.outcome = .failed(L4ErrorCode(.nonExistingPartner, phase: .receive))
      return sender
    }
    if sender.firstQueued(acceptedBy: then.source) != nil {
      sender.state = .idle
      sender.outcome = .rescan
      return sender
    }
    if then.timeout.isZero {
      sender.state = .idle
      sender.outcome = .failed(L4ErrorCode(.timeout, phase: .receive))
      return sender
    }
    sender.state = .receiving(from: then.source, deadline: then.timeout.deadlineFromNow)
    return nil
  }

  /// Parks `thread` until its IPC completes or its current deadline passes (lock not held).
  /// `partner`: the parker of the thread expected to complete the IPC (it steers the spin).
  /// `recheckWhileSending` (ns) bounds each sleep of the send phase so a receive-phase deadline
  /// set by the receiver is noticed.
  private func block(
    _ thread: L4Thread, deadline initialDeadline: UInt64?, partner: ParkerCell?, recheckWhileSending: UInt64? = nil
  ) -> IPCOutcome {
    var deadline = initialDeadline
    var recheck = recheckWhileSending
    while true {
      var wakeAt = deadline
      if let recheck {
        let next = cl4_monotonic_ns() &+ max(recheck, 1_000)
        wakeAt = min(wakeAt ?? .max, next)
      }
      if thread.parker.park(until: wakeAt, partnerCell: partner) {
        let outcome = thread.outcome
        return outcome
      }
      lock.lock()
      let now = cl4_monotonic_ns()
      switch thread.state {
      case .sending(let target, let current):
        if let current, current <= now {
          target.thread.dequeue(thread)
          thread.state = .idle
          thread.queuedSend = nil
          lock.unlock()
          return .failed(L4ErrorCode(.timeout, phase: .send))
        }
        deadline = current
      case .receiving(_, let current):
        recheck = nil
        if !claimForKernel(thread) {
          deadline = nil  // lent to a caller: the hand-back will wake us
        } else if let current, current <= now {
          thread.state = .idle
          lock.unlock()
          return .failed(L4ErrorCode(.timeout, phase: .receive))
        }
        deadline = current
      case .idle, .transferring, .migrated, .dispatching:
        deadline = nil  // completion is under way; its wake-up will come
      }
      lock.unlock()
    }
  }

  // MARK: Abort

  /// Clears abort requests that arrived during a transfer (lock held).
  private func endTransfer(_ a: L4Thread, _ b: L4Thread) {
    a.transferAbort.store(false, ordering: .relaxed)
    b.transferAbort.store(false, ordering: .relaxed)
  }

  func abort(_ thread: L4Thread, send: Bool, receive: Bool, armedWith token: AnyObject? = nil) -> Bool {
    lock.lock()
    // A cancellation aimed at one call must not hit the thread's next one: with a token, abort
    // only while the thread is still armed for the call that token belongs to.
    if let token, !(thread.cancelArmed && thread.callAnnotation === token) {
      lock.unlock()
      return false
    }
    switch thread.state {
    case .sending(let target, _) where send:
      target.thread.dequeue(thread)
      thread.state = .idle
      thread.queuedSend = nil
      thread.outcome = .failed(L4ErrorCode(.cancelled, phase: .send))
    case .receiving where receive && claimForKernel(thread):
      thread.state = .idle
      thread.outcome = .failed(L4ErrorCode(.cancelled, phase: .receive))
    case .transferring:
      thread.transferAbort.store(true, ordering: .releasing)
      lock.unlock()
      return true
    case .dispatching where receive:
      thread.dispatchAborted = true
      lock.unlock()
      return true
    case .idle where receive:
      let aborted = abortLockFreeCall(of: thread)
      lock.unlock()
      return aborted
    default:
      lock.unlock()
      return false
    }
    lock.unlock()
    thread.parkerCell.unpark()
    return true
  }

  /// If `thread` is running a server's handler through the lock-free path, marks that call
  /// aborted (it then ends `cancelled`, receive phase) and returns true (lock held).
  private func abortLockFreeCall(of thread: L4Thread) -> Bool {
    let server = thread.directCall.load(ordering: .acquiring)
    return server > DirectGate.abortedCall
      && thread.directCall.compareExchange(
        expected: server, desired: DirectGate.abortedCall, ordering: .acquiringAndReleasing
      ).exchanged
  }

  /// Arms (or disarms, clearing any leftover) sticky cancellation for `thread`'s next IPCs.
  func armCancellation(_ thread: L4Thread, _ armed: Bool, annotation: (any AnyObject & Sendable)?) {
    lock.lock()
    thread.cancelArmed = armed
    thread.cancelPending = false
    thread.callAnnotation = armed ? annotation : nil  // nil when unarmed: the lock-free path relies on it
    lock.unlock()
  }

  /// Whether `client` still waits for `server`, and the annotation it attached to its call.
  func callerStatus(_ client: L4Thread, server: L4Thread) -> (waiting: Bool, annotation: (any AnyObject & Sendable)?) {
    lock.lock()
    defer { lock.unlock() }
    let waiting: Bool
    switch client.state {
    case .receiving(.partner(let expected), _): waiting = expected.thread === server
    case .dispatching: waiting = client.dispatchServer === server && !client.dispatchAborted
    default: waiting = client.directCall.load(ordering: .acquiring) == server.id.raw
    }
    return (waiting, client.callAnnotation)
  }

  /// Aborts `thread`'s pending IPC; if it is armed but not in an IPC right now, its next IPC
  /// fails with `cancelled` instead (so a cancel racing with the start of a call is not lost).
  func cancelCall(_ thread: L4Thread, armedWith token: AnyObject) {
    if abort(thread, send: true, receive: true, armedWith: token) { return }
    lock.lock()
    switch thread.state {
    case .idle where thread.cancelArmed && thread.callAnnotation === token:
      thread.cancelPending = true
    default:
      break
    }
    lock.unlock()
    // The state may have moved between the two steps; one more abort closes that window.
    _ = abort(thread, send: true, receive: true, armedWith: token)
  }

  // MARK: Direct dispatch

  /// Runs `server`'s handler on the caller's OS thread (lock held on entry, released on exit).
  private func dispatchDirectly(
    _ caller: L4Thread, to server: L4Thread, source: ReceiveSource, handler: ServeHandler,
    tag: L4MessageTag, receiveTimeout: L4Timeout
  ) -> IPCOutcome {
    // The server's own thread is not woken.
    let shownTag = deliverDirectly(tag, from: caller, to: server)
    let shownSender = shownID(of: caller, to: server, source: source)
    let callerStatus = (waiting: true, annotation: caller.callAnnotation)
    server.state = .migrated
    caller.state = .dispatching
    caller.dispatchServer = server
    caller.dispatchAborted = false
    rememberCallee(server, of: caller)  // the next call to it may take the lock-free path
    // The receive phase (and its timeout) starts once the send has been delivered.
    let deadline = receiveTimeout.deadlineFromNow
    lock.unlock()

    let request = L4Request(
      server: server, sender: shownSender, tag: shownTag, registers: L4MessageRegisters(base: server.mr),
      kernel: self, client: caller, statusAtDelivery: callerStatus)
    let action = handler.run(request)

    lock.lock()
    return finishDispatch(
      caller, server: server, source: source, action: action, aborted: caller.dispatchAborted, deadline: deadline)
  }

  /// The end of a direct dispatch, for both paths (lock held on entry, released on return): the
  /// caller's result (reply, cancelled, timeout, or still waiting after `.noReply`), and the
  /// server handed back to its own thread (still in open wait, or woken to stop or rescan).
  private func finishDispatch(
    _ caller: L4Thread, server: L4Thread, source: ReceiveSource, action: L4ServeAction, aborted: Bool,
    deadline: UInt64?
  ) -> IPCOutcome {
    var result: IPCOutcome
    let replyTag = L4MessageTag(raw: server.mr[0])
    let expired = deadline.map { cl4_monotonic_ns() >= $0 } ?? false
    if aborted {
      result = .failed(L4ErrorCode(.cancelled, phase: .receive))
      caller.state = .idle
    } else if action == .reply && expired {
      result = .failed(L4ErrorCode(.timeout, phase: .receive))
      caller.state = .idle
    } else if action == .reply {
      if replyTag.typedWords == 0 {
        let shownReplyTag = deliverDirectly(replyTag, from: server, to: caller)
        result = .received(from: server.id, tag: shownReplyTag)
      } else {
        let replyDelivery = Delivery(
          apparent: server, actual: server, propagated: false, redirected: false, intended: .nilThread)
        if let failure = transferTypedAndDeliver(
          from: server, to: caller, tag: replyTag, delivery: replyDelivery, source: .thread(server))
        {
          result = .failed(failure.receiver)
        } else {
          result = caller.outcome
        }
      }
      caller.outcome = .none
      caller.state = .idle
    } else {
      // No reply now: the caller keeps waiting for the server like any blocked caller.
      caller.state = .receiving(from: .thread(server), deadline: deadline)
      caller.outcome = .none
      caller.parker.prepare()
      result = .none
    }

    let serverWake = handBack(server, source: source, action: action)
    lock.unlock()
    if serverWake { server.parkerCell.unpark() }
    if case .none = result { return block(caller, deadline: deadline, partner: server.parkerCell) }
    return result
  }

  /// Hands a server whose handler a caller ran back to its own thread, still in open wait (lock
  /// held). Returns whether its thread must be woken (to stop, or to take queued senders).
  private func handBack(_ server: L4Thread, source: ReceiveSource, action: L4ServeAction) -> Bool {
    if action == .stop || server.stopRequested {
      server.stopRequested = true
      server.state = .idle
      server.outcome = .failed(L4ErrorCode(.cancelled, phase: .receive))
      return true
    }
    if server.firstQueued(acceptedBy: source) != nil {
      server.state = .idle
      server.outcome = .rescan
      return true
    }
    server.state = .receiving(from: source, deadline: nil)
    openGate(of: server, source: source)
    return false
  }

  /// A Call to `server` that does not take the kernel lock: claims the server with one
  /// compare-and-swap on its gate (open only while it is parked in `serve(.direct)`'s open wait
  /// with no sender queued, which also proves it alive), runs its handler on the caller's
  /// registers and hands it back with a second one. Returns `nil`, having done nothing, unless
  /// every condition of the locked direct dispatch holds (register-only, unpropagated, not
  /// redirected, the server idle and accepting the caller). Anything but a plain register-only
  /// reply (an abort, a timeout, `.noReply`, `.stop`, typed items, a recalled server) ends
  /// under the lock, as the locked path does.
  private func directCall(_ caller: L4Thread, to server: L4Thread, receiveTimeout: L4Timeout) -> IPCOutcome? {
    let tag = L4MessageTag(raw: caller.mr[0])
    let sameSpace = server.space === caller.space
    guard tag.typedWords == 0, !tag.isPropagated, server !== caller,
      sameSpace || !caller.space.hasRedirector.load(ordering: .acquiring)
    else { return nil }
    let open = server.directGate.load(ordering: .relaxed)
    guard open == DirectGate.openAny || (open == DirectGate.openLocal && sameSpace),
      server.directGate.compareExchange(expected: open, desired: DirectGate.lent, ordering: .acquiring).exchanged
    else { return nil }
    guard let handler = server.serveHandlerUncounted else { preconditionFailure("direct gate open without a handler") }

    // Deliver and run the handler.
    let shownTag = deliverDirectly(tag, from: caller, to: server)
    let deadline = receiveTimeout.deadlineFromNow
    caller.directCall.store(server.id.raw, ordering: .releasing)
    // No call annotation: it is set only while cancellation is armed, and armed calls take the
    // locked path. The handler is borrowed: the serve loop holding it is parked in its wait.
    let request = L4Request(
      server: server, sender: open == DirectGate.openLocal ? caller.localID : caller.id, tag: shownTag,
      registers: L4MessageRegisters(base: server.mr), kernel: self, client: caller,
      statusAtDelivery: (waiting: true, annotation: nil))
    let action = handler._withUnsafeGuaranteedRef { $0.run(request) }
    let aborted = caller.directCall.exchange(0, ordering: .acquiringAndReleasing) == DirectGate.abortedCall
    let source: ReceiveSource = open == DirectGate.openLocal ? .anyLocal : .any

    let replyTag = L4MessageTag(raw: server.mr[0])
    guard action == .reply, !aborted, replyTag.typedWords == 0, deadline.map({ cl4_monotonic_ns() < $0 }) ?? true
    else {
      lock.lock()
      server.directGate.store(DirectGate.closed, ordering: .relaxed)
      return finishDispatch(caller, server: server, source: source, action: action, aborted: aborted, deadline: deadline)
    }
    let shownReplyTag = deliverDirectly(replyTag, from: server, to: caller)
    if !server.directGate.compareExchange(expected: DirectGate.lent, desired: open, ordering: .releasing).exchanged {
      // Recalled while lent: hand it back under the lock.
      lock.lock()
      server.directGate.store(DirectGate.closed, ordering: .relaxed)
      let serverWake = handBack(server, source: source, action: action)
      lock.unlock()
      if serverWake { server.parkerCell.unpark() }
    }
    return .received(from: server.id, tag: shownReplyTag)
  }

  /// Direct dispatch's delivery of a register-only, unpropagated, unredirected message (request
  /// or reply): the words, the tag as the receiver sees it (returned), no actual sender or
  /// intended receiver — what `deliverRegisters` does, without the receiver's outcome.
  @inline(__always)
  private func deliverDirectly(_ tag: L4MessageTag, from sender: L4Thread, to receiver: L4Thread) -> L4MessageTag {
    copyUntyped(tag.untypedWords, from: sender.mr, to: receiver.mr)
    let shownTag = tag.withoutReceiveFlags.setting(L4MessageTag.propagatedBit, false)
    receiver.mr[0] = shownTag.raw
    receiver.actualSender = .nilThread
    receiver.intendedReceiver = .nilThread
    return shownTag
  }

  /// Before a kernel-lock holder acts on `thread`'s `.receiving` state (lock held): closes its
  /// direct gate if open and returns true; returns false if a lock-free caller holds the thread
  /// (its state is stale, it counts as `.migrated`) and marks it recalled, so that the caller
  /// hands it back under the lock, where queued senders and stop requests are seen.
  @inline(__always) func claimForKernel(_ thread: L4Thread) -> Bool {
    var gate = thread.directGate.load(ordering: .acquiring)
    while true {
      let desired: UInt8
      switch gate {
      case DirectGate.closed: return true
      case DirectGate.lentRecalled: return false
      case DirectGate.lent: desired = DirectGate.lentRecalled
      default: desired = DirectGate.closed
      }
      let (exchanged, original) = thread.directGate.compareExchange(
        expected: gate, desired: desired, ordering: .acquiringAndReleasing)
      if exchanged { return desired == DirectGate.closed }
      gate = original
    }
  }

  /// Whether a lock-free caller holds `thread` (lock held).
  func isLent(_ thread: L4Thread) -> Bool {
    let gate = thread.directGate.load(ordering: .acquiring)
    return gate == DirectGate.lent || gate == DirectGate.lentRecalled
  }

  /// Opens `thread`'s direct gate as it parks in an open wait of `serve(.direct)` with no
  /// accepted sender queued (lock held; the caller checked the queue).
  private func openGate(of thread: L4Thread, source: ReceiveSource) {
    guard thread.serveHandler != nil, !thread.stopRequested else { return }
    switch source {
    case .any: thread.directGate.store(DirectGate.openAny, ordering: .releasing)
    case .anyLocal: thread.directGate.store(DirectGate.openLocal, ordering: .releasing)
    case .partner: break
    }
  }

  /// Whether `client` is still waiting for `server`'s reply (threaded or direct dispatch).
  func isAwaitingReply(_ client: L4Thread, from server: L4Thread) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    switch client.state {
    case .receiving(.partner(let expected), _): return expected.thread === server
    case .dispatching: return client.dispatchServer === server && !client.dispatchAborted
    default: return client.directCall.load(ordering: .acquiring) == server.id.raw
    }
  }

  // MARK: Serving

  /// Enters (`serving`) or leaves a serve loop; a stop request outlives neither.
  func registerServer(_ thread: L4Thread, serving: Bool, handler: L4RequestHandler?) {
    lock.lock()
    thread.serving = serving
    thread.serveHandler = handler.map(ServeHandler.init)
    if !serving { thread.stopRequested = false }
    lock.unlock()
  }

  func isStopRequested(_ thread: L4Thread) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return thread.stopRequested
  }

  /// Asks a thread inside `serve` to return: cancels its open wait, or takes effect when the
  /// request it is handling (on its own or a client's OS thread) is done.
  func requestStop(_ thread: L4Thread) {
    lock.lock()
    thread.stopRequested = true
    var wake = false
    if case .receiving = thread.state, claimForKernel(thread) {
      thread.state = .idle
      thread.outcome = .failed(L4ErrorCode(.cancelled, phase: .receive))
      wake = true
    }
    lock.unlock()
    if wake { thread.parkerCell.unpark() }
  }
}

/// Copies MR1…MRcount from one thread's registers to another's. Not `memmove`: messages that
/// stay in registers are mostly a few words, and the call to the library costs more than copying
/// them. One or two words are copied inline; longer messages by a loop optimized for size, so it
/// is not vectorized (the vector loop's set-up and overlap checks cost more than a short copy).
@inline(__always)
func copyUntyped(_ count: Int, from source: UnsafeMutablePointer<L4Word>, to destination: UnsafeMutablePointer<L4Word>) {
  if count > 2 { return copyUntypedLoop(count, from: source, to: destination) }
  if count > 0 { destination[1] = source[1] }
  if count > 1 { destination[2] = source[2] }
}

@inline(never) @_optimize(size)
private func copyUntypedLoop(
  _ count: Int, from source: UnsafeMutablePointer<L4Word>, to destination: UnsafeMutablePointer<L4Word>
) {
  var index = 1
  while index <= count {
    destination[index] = source[index]
    index &+= 1
  }
}

/// What a spawned OS thread needs. It holds the kernel strongly: threads refer to their kernel
/// `unowned`, so a spawned thread must keep it alive until its body has returned, even if the
/// program dropped every other reference.
private final class ThreadStart {
  let kernel: L4Kernel
  let thread: L4Thread
  let body: @Sendable (L4ThreadContext) -> Void
  init(kernel: L4Kernel, thread: L4Thread, body: @escaping @Sendable (L4ThreadContext) -> Void) {
    self.kernel = kernel
    self.thread = thread
    self.body = body
  }
}
