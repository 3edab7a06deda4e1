/// The result of a successful IPC: who sent the received message (nil for a send only) and
/// its tag (MR0).
public struct L4IPCResult: Hashable, Sendable {
  public let from: L4ThreadID
  public let tag: L4MessageTag
}

/// A thread's view of itself: its UTCB (registers, control registers) and the IPC operations.
/// Only the thread's own body gets one; it is deliberately not `Sendable`.
public final class L4ThreadContext {
  public let thread: L4Thread

  init(thread: L4Thread) { self.thread = thread }

  public var id: L4ThreadID { thread.id }
  public var localID: L4ThreadID { thread.localID }
  public var space: L4AddressSpace { thread.space }
  public var kernel: L4Kernel { thread.kernel }

  /// MR0…MR63.
  @inlinable public var mr: L4MessageRegisters { L4MessageRegisters(base: thread.mr) }
  /// BR0…BR32.
  public var br: L4BufferRegisters { L4BufferRegisters(base: thread.br) }

  /// `ErrorCode` TCR: set by the last failed IPC.
  public var errorCode: L4ErrorCode { thread.errorCode }
  /// `VirtualSender` TCR: the thread a propagating send claims to come from.
  public var virtualSender: L4ThreadID {
    get { thread.virtualSender }
    set { thread.virtualSender = newValue }
  }
  /// `ActualSender` TCR: the real sender of the last propagated message received.
  public var actualSender: L4ThreadID { thread.actualSender }
  /// `IntendedReceiver` TCR: the original destination of the last redirected message received.
  public var intendedReceiver: L4ThreadID { thread.intendedReceiver }
  /// `XferTimeouts` TCR.
  public var transferTimeouts: L4TransferTimeouts {
    get { thread.transferTimeouts }
    set { thread.transferTimeouts = newValue }
  }

  // MARK: The IPC system call and its derived operations

  /// `Ipc(to, from, timeouts)`: optional send phase to `to`, then (atomically) an optional
  /// receive phase from `from` (a thread, `anyThread` or `anyLocalThread`). `nilThread` skips a
  /// phase. On failure MR0 gets its error flag and `errorCode` the details.
  public func ipc(to: L4ThreadID, from: L4ThreadID, timeouts: L4Timeouts) throws(L4ErrorCode) -> L4IPCResult {
    // The kernel is borrowed, not retained (it outlives its threads).
    let thread = self.thread
    let outcome = thread.kernelReference._withUnsafeGuaranteedRef {
      $0.ipc(thread, to: to, from: from, timeouts: timeouts)
    }
    switch outcome {
    case .received(let sender, let tag):
      return L4IPCResult(from: sender, tag: tag)
    case .sent:
      return L4IPCResult(from: .nilThread, tag: L4MessageTag(raw: thread.mr[0]))
    case .failed(let error):
      thread.errorCode = error
      thread.mr[0] = L4MessageTag(raw: thread.mr[0]).setting(L4MessageTag.errorBit, true).raw
      throw error
    case .none, .rescan:
      preconditionFailure("IPC returned without an outcome")
    }
  }

  /// `Send`: deliver the message in the MRs to `to`, waiting up to `timeout` for it to receive.
  public func send(to: L4ThreadID, timeout: L4Timeout = .never) throws(L4ErrorCode) {
    _ = try ipc(to: to, from: .nilThread, timeouts: L4Timeouts(send: timeout, receive: .never))
  }

  /// `Reply`: a send with zero timeout (a server never blocks on a client).
  public func reply(to: L4ThreadID) throws(L4ErrorCode) {
    try send(to: to, timeout: .zero)
  }

  /// Closed wait: receive only from `from`.
  public func receive(from: L4ThreadID, timeout: L4Timeout = .never) throws(L4ErrorCode) -> L4IPCResult {
    try ipc(to: .nilThread, from: from, timeouts: L4Timeouts(send: .never, receive: timeout))
  }

  /// Open wait: receive from any thread.
  public func wait(timeout: L4Timeout = .never) throws(L4ErrorCode) -> L4IPCResult {
    try receive(from: .anyThread, timeout: timeout)
  }

  /// Open wait restricted to threads of this address space.
  public func waitLocal(timeout: L4Timeout = .never) throws(L4ErrorCode) -> L4IPCResult {
    try receive(from: .anyLocalThread, timeout: timeout)
  }

  /// `Call`: send to `to`, then atomically wait for its reply (the reply cannot be missed).
  public func call(_ to: L4ThreadID, timeouts: L4Timeouts = .never) throws(L4ErrorCode) -> L4IPCResult {
    try ipc(to: to, from: to, timeouts: timeouts)
  }

  /// `ReplyWait`: reply to `to` with zero timeout, then open wait.
  public func replyWait(to: L4ThreadID, timeout: L4Timeout = .never) throws(L4ErrorCode) -> L4IPCResult {
    try ipc(to: to, from: .anyThread, timeouts: L4Timeouts(send: .zero, receive: timeout))
  }

  // MARK: Serving

  /// A server loop: open wait → `handler` → reply-and-wait, until the handler answers `.stop`
  /// or `stopServing()` is called. A failed reply (the caller gave up or died) is dropped and
  /// the loop waits again. With `.direct`, idle-time calls run the handler on the caller's
  /// thread (see `L4DispatchMode`).
  public func serve(_ mode: L4DispatchMode = .threaded, handler: @escaping L4RequestHandler) {
    let kernel = thread.kernel
    kernel.registerServer(thread, serving: true, handler: mode == .direct ? handler : nil)
    defer { kernel.registerServer(thread, serving: false, handler: nil) }
    var next: L4IPCResult? = nil
    while true {
      let received: L4IPCResult
      do throws(L4ErrorCode) {
        if let pending = next {
          received = pending
        } else {
          received = try wait()
        }
      } catch {
        if kernel.isStopRequested(thread) { return }
        next = nil
        continue
      }
      next = nil
      switch handler(L4Request(received: received, by: thread)) {
      case .stop:
        return
      case .noReply:
        if kernel.isStopRequested(thread) { return }
      case .reply:
        // A stop request ends the receive phase of the ReplyWait (after the reply went out).
        do throws(L4ErrorCode) {
          next = try replyWait(to: received.from)
        } catch {
          if kernel.isStopRequested(thread) { return }
          // A failed reply (send phase) is dropped; a failed wait is retried.
        }
      }
    }
  }
}
