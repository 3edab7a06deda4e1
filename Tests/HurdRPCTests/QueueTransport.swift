import Dispatch
@_spi(Transport) import HurdRPC

/// A minimal two-sided transport for runtime tests: callers enqueue requests, `serve` loops pop
/// them, run the dispatcher and hand replies back. It follows the receive-loop contract in
/// docs/runtime.md (one reply buffer per serving thread, no reply for one-way sends, cancellation
/// shared with the server context) so the runtime's pieces are tested together before any real
/// backend exists.
final class QueueTransport: ClientTransport, ServerTransport, @unchecked Sendable {
  final class Pending: @unchecked Sendable {
    let request: Message
    let context: CallContext
    let done = DispatchSemaphore(value: 0)
    // Written by the server before `done.signal()`, read by the caller after `done.wait()`.
    var reply: Message?
    init(request: Message, context: CallContext) {
      self.request = request
      self.context = context
    }
  }

  private struct State {
    var queue: [Pending] = []
    var isShutDown = false
  }

  private let state = Locked(State())
  private let available = DispatchSemaphore(value: 0)
  private let serving = Locked(0)

  /// Calls from a thread are attributed to the domain the caller passes in its label's high bits
  /// (tests use it to check identities reach the server).
  func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    let pending = try enqueue(request, options: options, expectsReply: true)
    pending.done.wait()
    // Cancellation wins (and its wake-up may come while the server is still writing `reply`).
    if options.cancellation?.isCancelled == true {
      throw RPCError(.cancelled, "cancelled while waiting for the reply", phase: .receive)
    }
    if let reply = pending.reply { return reply }
    throw RPCError(.serverDied, "server shut down before replying")
  }

  func send(_ message: Message, options: CallOptions) throws(RPCError) {
    _ = try enqueue(message, options: options, expectsReply: false)
  }

  private func enqueue(_ request: Message, options: CallOptions, expectsReply: Bool) throws(RPCError) -> Pending {
    if options.cancellation?.isCancelled == true {
      throw RPCError(.cancelled, "cancelled before sending", phase: .send)
    }
    let context = CallContext(
      caller: CallerIdentity(domain: request.label >> 32, badge: 0), requestLabel: request.label,
      expectsReply: expectsReply, cancellation: options.cancellation)
    let pending = Pending(request: request, context: context)
    let accepted = state.withLock { state -> Bool in
      guard !state.isShutDown else { return false }
      state.queue.append(pending)
      return true
    }
    guard accepted else { throw RPCError(.nonExistingPartner, "server is shut down", phase: .send) }
    // A cancelled caller stops waiting; the server still sees the cancellation in its context.
    options.cancellation?.onCancel { pending.done.signal() }
    available.signal()
    return pending
  }

  func serve(_ dispatcher: RequestDispatcher) throws(RPCError) {
    serving.withLock { $0 += 1 }
    defer { serving.withLock { $0 -= 1 } }
    var reply = Message(label: 0)  // one buffer for every request this thread serves
    while true {
      available.wait()
      let next = state.withLock { state -> Pending?? in
        if state.isShutDown { return .some(nil) }
        return state.queue.isEmpty ? nil : state.queue.removeFirst()
      }
      guard let pending = next else { continue }
      guard let pending else { return }
      if dispatcher.respond(to: pending.request, reply: &reply, context: pending.context) {
        pending.reply = reply
      }
      pending.done.signal()
    }
  }

  func shutdown() {
    let abandoned = state.withLock { state -> [Pending] in
      state.isShutDown = true
      defer { state.queue = [] }
      return state.queue
    }
    for pending in abandoned { pending.done.signal() }
    for _ in 0..<max(1, serving.withLock { $0 }) { available.signal() }
  }
}
