import Dispatch
@_spi(Transport) import HurdRPC
import Synchronization

/// A server endpoint: receive loops on L4 threads of `space` that feed a `RequestDispatcher`.
///
/// - The *endpoint* thread exists from `init` on (`endpoint` is its ID; clients call it). The
///   first OS thread to call `serve` runs it: open wait → demux → reply-and-wait, replies sent
///   with zero timeout (dropped if the caller is gone).
/// - Worker pool (bounded): with `workers: n`, `serve` also starts `n` worker threads; each
///   further concurrent `serve` call adds its OS thread as one more worker. The endpoint then
///   acts as the Hurd/L4 *manager*: it hands each register-only request to an idle worker by
///   **propagation**, so the worker replies straight to the client; if no worker is idle, or the
///   request carries typed items, it handles the request itself — except with a capability
///   system, where it waits for a worker and hands typed requests over decoded (`handToWorker`),
///   so no handler ever runs on it. At most `1 + workers` requests run at once; further callers
///   wait in the kernel (their send timeouts apply). Without `workers:`, a transport with a
///   capability system gets `defaultCapabilityWorkers` workers, so a slow handler can never stop
///   the manager (the DoS bound of docs/capabilities.md §6 holds by default); others get none.
/// - `.direct` dispatch (no workers only): a caller finding the endpoint idle runs the handler on
///   its own thread (see `L4DispatchMode`).
/// - `shutdown()` ends every loop and deletes the endpoint: callers not yet received fail with
///   `.nonExistingPartner` (send phase), callers whose request was taken with `.serverDied`.
public final class L4ServerTransport: ServerTransport {
  public let kernel: L4Kernel
  public let space: L4AddressSpace
  /// The thread clients call.
  public let endpoint: L4ThreadID
  public let mode: L4DispatchMode
  public let workers: Int
  public let configuration: L4TransportConfiguration
  /// Carries capability items (docs/capabilities.md). With it the endpoint always runs the
  /// manager loop (no direct dispatch), so the outcome of every reply is known to the copy protocol.
  public let capabilities: (any CapabilityCarrier)?
  private let endpointThread: L4Thread
  private let state = Locked<State>(State())
  /// Signalled when a worker lists itself idle (a wake-up hint for a manager waiting for one).
  private let workerIdled = DispatchSemaphore(value: 0)

  private struct State {
    var started = false
    var shutDown = false
    var workers: [L4Thread] = []
    var idle: [L4Thread] = []
    /// Requests with typed items the manager decoded, each waiting for the worker (by raw
    /// thread id) it was handed to (see `handToWorker`).
    var handoffs: [UInt64: Handoff] = [:]
  }

  /// A decoded request on its way from the manager to a worker.
  struct Handoff {
    let call: ReceivedCall
    let message: Message
  }

  /// Label of the register-only IPC by which the manager tells a worker that a `Handoff` waits
  /// for it (only honoured from the endpoint thread itself, unpropagated).
  static let handoffLabel: UInt64 = 0x7FFF_FFFF_FF00

  /// Workers of a transport with a capability system when `workers:` is not given.
  public static let defaultCapabilityWorkers = 2

  public init(
    space: L4AddressSpace, mode: L4DispatchMode = .threaded, workers: Int? = nil,
    configuration: L4TransportConfiguration = .default, capabilities: (any CapabilityCarrier)? = nil
  ) {
    kernel = space.kernel
    self.space = space
    self.capabilities = capabilities
    let workers = workers ?? (capabilities == nil ? 0 : Self.defaultCapabilityWorkers)
    self.mode = workers > 0 || capabilities != nil ? .threaded : mode
    self.workers = max(0, workers)
    self.configuration = configuration
    endpointThread = kernel.createThread(in: space, name: "endpoint")
    endpoint = endpointThread.id
    kernel.reportTaskDeaths(to: capabilities)
  }

  public func serve(_ dispatcher: RequestDispatcher) throws(RPCError) {
    enum Role { case endpoint, worker, refused }
    let role = state.withLock { state -> Role in
      if state.shutDown { return .refused }
      if state.started { return .worker }
      state.started = true
      return .endpoint
    }
    switch role {
    case .refused:
      throw RPCError(.shutDown, "the server transport was shut down")
    case .worker:
      let worker = kernel.createThread(in: space, name: "worker")
      guard state.withLock({ state -> Bool in
        if state.shutDown { return false }
        state.workers.append(worker)
        return true
      }) else {
        kernel.terminate(worker)
        throw RPCError(.shutDown, "the server transport was shut down")
      }
      worker.run { context in workerLoop(context, dispatcher) }
    case .endpoint:
      let pool = (0..<workers).map { n in
        kernel.spawn(in: space, name: "worker\(n)") { [self] context in workerLoop(context, dispatcher) }
      }
      let stopNow = state.withLock { state -> Bool in
        state.workers += pool
        return state.shutDown
      }
      if stopNow { for worker in pool { worker.stopServing() } }
      endpointThread.run { context in
        // Receive buffers must be in place before the first request arrives.
        _ = try? TransportThreadState.of(context.thread, configuration)
        if workers == 0 && mode == .direct {
          context.serve(.direct, handler: handler(dispatcher))
        } else if workers == 0 && capabilities == nil {
          context.serve(.threaded, handler: handler(dispatcher))
        } else {
          managerLoop(context, dispatcher)
        }
      }
      for worker in pool { worker.join() }
    }
  }

  /// Workers currently waiting for a request.
  public var idleWorkers: Int { state.withLock { $0.idle.count } }

  /// The worker threads (for tests and monitoring).
  var workerThreads: [L4Thread] { state.withLock { $0.workers } }

  /// Callers currently waiting for the endpoint to take their request.
  public var pendingSenders: Int { endpointThread.queuedSenderCount }

  public func shutdown() {
    let (workers, started) = state.withLock { state -> ([L4Thread], Bool) in
      state.shutDown = true
      return (state.workers, state.started)
    }
    endpointThread.stopServing()
    for worker in workers { worker.stopServing() }
    // Never served: delete the endpoint so its waiting callers fail instead of hanging.
    if !started { kernel.terminate(endpointThread) }
  }

  // MARK: Loops

  private func handler(_ dispatcher: RequestDispatcher) -> L4RequestHandler {
    let configuration = configuration
    let badge = UInt64(endpoint.number)
    return { [unowned self] request in
      Self.handle(request, dispatcher: dispatcher, configuration: configuration, badge: badge, transport: self)
    }
  }

  /// What a handler's `CallContext` is built from, taken when the request was received (so a
  /// request decoded by the manager can be served by a worker later).
  struct ReceivedCall {
    let sender: L4ThreadID
    let label: UInt64
    let domain: UInt64
    let waiting: Bool
    let annotation: (any AnyObject & Sendable)?

    init(_ request: L4Request) {
      sender = request.sender
      label = request.tag.label
      domain = request.senderSpace.map { UInt64($0.number) } ?? .max
      let status = request.callerStatus
      waiting = status.waiting
      annotation = status.annotation
    }
  }

  /// The capability route for a request from `domain` to this server (nil without a carrier).
  func capabilityRoute(from domain: UInt64) -> CapabilityRoute? {
    capabilities.map { CapabilityRoute(carrier: $0, sender: domain, receiver: UInt64(space.number)) }
  }

  /// Decodes the request in the server's MRs, runs the dispatcher and loads the reply.
  static func handle(
    _ request: L4Request, dispatcher: RequestDispatcher, configuration: L4TransportConfiguration, badge: UInt64,
    transport: L4ServerTransport
  ) -> L4ServeAction {
    let server = request.server
    let call = ReceivedCall(request)
    let state: TransportThreadState
    do throws(RPCError) {
      state = try TransportThreadState.of(server, configuration)
      try decode(into: state, from: server, configuration, route: transport.capabilityRoute(from: call.domain))
    } catch {
      return answerMalformed(call, error, server: server, configuration)
    }
    return respond(
      to: call, replier: server.id, state: state, thread: server, dispatcher: dispatcher, badge: badge,
      transport: transport)
  }

  /// The received message in `thread`'s MRs into its reused request buffer (strings are copied
  /// out of the receive buffers, so those are free again once this returns).
  private static func decode(
    into state: TransportThreadState, from thread: L4Thread, _ configuration: L4TransportConfiguration,
    route: CapabilityRoute?
  ) throws(RPCError) {
    state.detachPrevious()
    try L4Marshalling.store(from: thread, into: &state.request.pointee, configuration: configuration, route: route)
  }

  /// A malformed request: answer with the error's RetCode (if anyone waits).
  private static func answerMalformed(
    _ call: ReceivedCall, _ error: RPCError, server: L4Thread, _ configuration: L4TransportConfiguration
  ) -> L4ServeAction {
    var reply = Message.reply(to: call.label, returnCode: error.wireReturnCode)
    return loadReply(&reply, into: server, label: call.label, configuration: configuration, route: nil)
  }

  /// Runs the dispatcher on the decoded request in `state` and loads the reply into `thread`'s
  /// MRs. `replier` is the thread the client waits for (where deferred replies come from).
  private static func respond(
    to call: ReceivedCall, replier: L4ThreadID, state: TransportThreadState, thread: L4Thread,
    dispatcher: RequestDispatcher, badge: UInt64, transport: L4ServerTransport
  ) -> L4ServeAction {
    let route = transport.capabilityRoute(from: call.domain)
    // The handler (and any interceptor) gets a server-side token linked from the client's
    // handle, never the handle itself: a server must not cancel its client's call or leave
    // handlers on it (docs/capabilities.md §4). A call without a handle allocates nothing here.
    let link = (call.annotation as? CallCancellation).map(CancellationLink.init(from:))
    let context = CallContext(
      caller: CallerIdentity(domain: call.domain, badge: badge), requestLabel: call.label,
      expectsReply: call.waiting, cancellation: link?.token,
      replyRoute: ReplyRoute(router: transport, caller: call.sender.raw, replier: replier.raw),
      callerThreadKey: call.sender.raw)
    let answer = dispatcher.respond(to: &state.request.pointee, reply: &state.reply.pointee, context: context)
    // A deferred call (no reply now, the caller still waits) keeps seeing its client's cancel
    // until the handle goes away; every other call ends here.
    if let link, !(call.waiting && state.reply.pointee.replyReturnCode == .migNoReply) { link.unlink() }
    if let route, state.reply.pointee.replyReturnCode != .success, state.reply.pointee.replyReturnCode != .migNoReply {
      // As with MIG: a request the server failed did not consume the capabilities it carried.
      route.release(state.request.pointee.items)
    }
    guard answer else { return .noReply }
    return loadReply(
      &state.reply.pointee, into: thread, label: call.label, configuration: transport.configuration,
      route: route?.reversed)
  }

  private static func loadReply(
    _ reply: inout Message, into server: L4Thread, label: UInt64, configuration: L4TransportConfiguration,
    route: CapabilityRoute?
  ) -> L4ServeAction {
    do throws(RPCError) {
      let exports = try L4Marshalling.load(&reply, into: server, configuration: configuration, route: route)
      if let route, !exports.isEmpty {
        (try? TransportThreadState.of(server, configuration))?.replyExports = (route, exports)
      }
    } catch {
      var fallback = Message.reply(to: label, returnCode: error.wireReturnCode)
      do throws(RPCError) {
        try L4Marshalling.load(&fallback, into: server, configuration: configuration)
      } catch {
        return .noReply
      }
    }
    return .reply
  }

  private func workerLoop(_ context: L4ThreadContext, _ dispatcher: RequestDispatcher) {
    let thread = context.thread
    _ = try? TransportThreadState.of(thread, configuration)
    kernel.registerServer(thread, serving: true, handler: nil)
    defer { kernel.registerServer(thread, serving: false, handler: nil) }
    let badge = UInt64(endpoint.number)
    while !kernel.isStopRequested(thread) {
      // Listed once: a failed wait (e.g. a client sending straight to this worker) loops back
      // here without having been handed anything.
      state.withLock { state in
        if !state.idle.contains(where: { $0 === thread }) { state.idle.append(thread) }
      }
      workerIdled.signal()
      let received: L4IPCResult
      do throws(L4ErrorCode) {
        received = try context.wait()
      } catch {
        continue
      }
      if received.from == endpoint, !received.tag.isPropagated, received.tag.label == Self.handoffLabel,
        let handoff = state.withLock({ $0.handoffs.removeValue(forKey: thread.id.raw) })
      {
        serveHandoff(handoff, context, dispatcher)
        continue
      }
      let request = L4Request(received: received, by: thread)
      if Self.handle(request, dispatcher: dispatcher, configuration: configuration, badge: badge, transport: self)
        == .reply
      {
        do throws(L4ErrorCode) {
          try context.reply(to: received.from)
          Self.finishReply(of: thread, delivered: true, configuration)
        } catch {
          Self.finishReply(of: thread, delivered: false, configuration)
        }
      }
    }
    state.withLock { state in state.idle.removeAll { $0 === thread } }
  }

  private static func hasReplyExports(_ thread: L4Thread, _ configuration: L4TransportConfiguration) -> Bool {
    (try? TransportThreadState.of(thread, configuration))?.replyExports != nil
  }

  /// An idle worker to hand a request to. Without a capability system, nil at once if none is
  /// idle (the manager serves the request itself). With one, the manager waits for a worker
  /// instead: a handler that blocks must never stop the manager from receiving, or one client's
  /// slow calls would delay every other client (docs/capabilities.md §6).
  private func idleWorker(_ manager: L4Thread) -> L4Thread? {
    while true {
      let (worker, poolExists) = state.withLock { ($0.idle.popLast(), !$0.workers.isEmpty) }
      if let worker { return worker }
      guard capabilities != nil, poolExists, !kernel.isStopRequested(manager) else { return nil }
      _ = workerIdled.wait(timeout: .now() + .milliseconds(1))
    }
  }

  /// Completes the copy protocol for the capabilities the last reply carried.
  private static func finishReply(of thread: L4Thread, delivered: Bool, _ configuration: L4TransportConfiguration) {
    guard let state = try? TransportThreadState.of(thread, configuration), let (route, exports) = state.replyExports
    else { return }
    state.replyExports = nil
    route.finish(exports, delivered: delivered)
  }

  /// A request with typed items cannot be propagated (its strings and mappings landed in the
  /// manager's buffers), yet its handler must not run on the manager (a slow one would stop it
  /// receiving). So the manager decodes it — which copies the strings out of its receive buffers
  /// into the message, as serving it here would, so the buffers are free for the next request at
  /// once; regions stay the sender's page buffers, uncopied — and hands the decoded message to an
  /// idle worker (`handoffs`, then a register-only IPC to wake it). The worker answers the client
  /// itself. `.noReply` once handed; with no worker to take it, the manager serves it.
  private func handToWorker(_ request: L4Request, _ context: L4ThreadContext, _ dispatcher: RequestDispatcher)
    -> L4ServeAction
  {
    let thread = context.thread
    let call = ReceivedCall(request)
    let badge = UInt64(endpoint.number)
    let state: TransportThreadState
    do throws(RPCError) {
      state = try TransportThreadState.of(thread, configuration)
      try Self.decode(into: state, from: thread, configuration, route: capabilityRoute(from: call.domain))
    } catch {
      return Self.answerMalformed(call, error, server: thread, configuration)
    }
    if let worker = idleWorker(thread) {
      let key = worker.id.raw
      self.state.withLock { $0.handoffs[key] = Handoff(call: call, message: state.request.pointee) }
      context.mr.tag = L4MessageTag(label: Self.handoffLabel)
      do throws(L4ErrorCode) {
        try context.send(to: worker.id)
        return .noReply
      } catch {
        _ = self.state.withLock { $0.handoffs.removeValue(forKey: key) }  // the worker is gone: serve it here
      }
    }
    return Self.respond(
      to: call, replier: thread.id, state: state, thread: thread, dispatcher: dispatcher, badge: badge, transport: self)
  }

  /// A worker serves a request the manager decoded: the client waits for the endpoint, so the
  /// reply is sent propagated on its behalf (zero send timeout), as a deferred reply is.
  private func serveHandoff(_ handoff: Handoff, _ context: L4ThreadContext, _ dispatcher: RequestDispatcher) {
    let thread = context.thread
    guard let state = try? TransportThreadState.of(thread, configuration) else { return }
    state.detachPrevious()
    state.request.pointee = handoff.message
    let action = Self.respond(
      to: handoff.call, replier: endpoint, state: state, thread: thread, dispatcher: dispatcher,
      badge: UInt64(endpoint.number), transport: self)
    guard action == .reply else { return }
    context.virtualSender = endpoint
    var tag = L4MessageTag(raw: thread.mr[0])
    tag.isPropagated = true
    thread.mr[0] = tag.raw
    do throws(L4ErrorCode) {
      try context.reply(to: handoff.call.sender)
      Self.finishReply(of: thread, delivered: true, configuration)
    } catch {
      Self.finishReply(of: thread, delivered: false, configuration)
    }
  }

  private func managerLoop(_ context: L4ThreadContext, _ dispatcher: RequestDispatcher) {
    let thread = context.thread
    kernel.registerServer(thread, serving: true, handler: nil)
    defer { kernel.registerServer(thread, serving: false, handler: nil) }
    let badge = UInt64(endpoint.number)
    var next: L4IPCResult? = nil
    while !kernel.isStopRequested(thread) {
      let received: L4IPCResult
      if let pending = next {
        received = pending
        next = nil
      } else {
        do throws(L4ErrorCode) {
          received = try context.wait()
        } catch {
          continue
        }
      }
      if received.tag.typedWords == 0, !received.tag.isPropagated, let worker = idleWorker(context.thread) {
        // Hand the request on; the worker replies to the client directly.
        let tag = context.mr.tag
        context.virtualSender = received.from
        context.mr.tag = L4MessageTag(label: tag.label, untyped: tag.untypedWords, propagated: true)
        do throws(L4ErrorCode) {
          try context.send(to: worker.id)
          continue
        } catch {
          context.mr.tag = tag  // the worker is gone: serve it here
        }
      }
      let request = L4Request(received: received, by: thread)
      let action =
        received.tag.typedWords > 0 && !received.tag.isPropagated && capabilities != nil
        ? handToWorker(request, context, dispatcher)
        : Self.handle(request, dispatcher: dispatcher, configuration: configuration, badge: badge, transport: self)
      if action == .reply {
        if Self.hasReplyExports(thread, configuration) {
          // A reply carrying capabilities: send it alone, so the copy protocol learns at once
          // whether it was delivered (a move must take the right away now, not at the next request).
          do throws(L4ErrorCode) {
            try context.reply(to: received.from)
            Self.finishReply(of: thread, delivered: true, configuration)
          } catch {
            Self.finishReply(of: thread, delivered: false, configuration)
          }
        } else {
          next = try? context.replyWait(to: received.from)
        }
      }
    }
  }
}
