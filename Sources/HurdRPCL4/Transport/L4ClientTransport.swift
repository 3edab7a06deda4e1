import CL4Support
@_spi(Transport) import HurdRPC

/// A client endpoint: calls a server thread of an `L4Kernel` from whatever OS thread calls it.
///
/// Each calling OS thread acts as its own L4 thread in `space` (created on first use, see
/// `L4Kernel.currentThread(in:)`), so a call is a real L4 `Call` (send + atomic closed receive)
/// with the L4 timeouts, errors and abort. Register-only calls allocate nothing in steady state.
public struct L4ClientTransport: ClientTransport {
  public let kernel: L4Kernel
  /// The client's address space (its protection domain).
  public let space: L4AddressSpace
  /// The server thread called (an `L4ServerTransport.endpoint`, or any serving thread).
  public let server: L4ThreadID
  public let configuration: L4TransportConfiguration
  /// Carries capability items (docs/capabilities.md); without it they fail `.unsupported`.
  public let capabilities: (any CapabilityCarrier)?

  public init(
    space: L4AddressSpace, server: L4ThreadID, configuration: L4TransportConfiguration = .default,
    capabilities: (any CapabilityCarrier)? = nil
  ) {
    self.kernel = space.kernel
    self.space = space
    self.server = server
    self.configuration = configuration
    self.capabilities = capabilities
    kernel.reportTaskDeaths(to: capabilities)
  }

  /// A client of `server` living in `space`.
  public init(
    space: L4AddressSpace, server: L4ServerTransport, configuration: L4TransportConfiguration = .default,
    capabilities: (any CapabilityCarrier)? = nil
  ) {
    self.init(space: space, server: server.endpoint, configuration: configuration, capabilities: capabilities)
  }

  public func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    var request = request
    var reply = Message(label: 0)
    try call(&request, reply: &reply, options: options)
    return reply
  }

  /// The call, loading the request's words from where they are and rebuilding the reply from
  /// the registers straight into `reply` (no 512-byte copies).
  public func call(_ request: inout Message, reply: inout Message, options: CallOptions) throws(RPCError) {
    let context = kernel.currentThread(in: space)
    let route = capabilityRoute()
    let (timeouts, exports) = try prepare(&request, options: options, context: context, route: route)
    if let handle = options.cancellation {
      do throws(RPCError) {
        try armed(handle, context.thread) { () throws(L4ErrorCode) in _ = try context.call(server, timeouts: timeouts) }
        route?.finish(exports, delivered: true)
      } catch {
        route?.finish(exports, delivered: error.phase == .receive)
        throw error
      }
    } else {
      do throws(L4ErrorCode) {
        _ = try context.call(server, timeouts: timeouts)
        route?.finish(exports, delivered: true)
      } catch {
        route?.finish(exports, delivered: error.phase == .receive)
        throw Self.rpcError(error, call: true)
      }
    }
    try L4Marshalling.store(from: context.thread, into: &reply, configuration: configuration, route: route?.reversed)
  }

  public func send(_ message: Message, options: CallOptions) throws(RPCError) {
    let context = kernel.currentThread(in: space)
    let route = capabilityRoute()
    var message = message  // addressable (see `L4Marshalling.load`)
    let (timeouts, exports) = try prepare(&message, options: options, context: context, route: route)
    guard let handle = options.cancellation else {
      do throws(L4ErrorCode) {
        try context.send(to: server, timeout: timeouts.send)
        route?.finish(exports, delivered: true)
      } catch {
        route?.finish(exports, delivered: false)
        throw Self.rpcError(error, call: false)
      }
      return
    }
    do throws(RPCError) {
      try armed(handle, context.thread) { () throws(L4ErrorCode) in try context.send(to: server, timeout: timeouts.send) }
      route?.finish(exports, delivered: true)
    } catch {
      route?.finish(exports, delivered: false)
      throw error
    }
  }

  /// Client task → the server's task (the receiver of the request).
  private func capabilityRoute() -> CapabilityRoute? {
    guard let capabilities else { return nil }
    let receiver = kernel.thread(server).map { UInt64($0.space.number) } ?? .max
    return CapabilityRoute(carrier: capabilities, sender: UInt64(space.number), receiver: receiver)
  }

  /// Loads the message into the calling thread's registers and works out the timeouts.
  private func prepare(
    _ message: inout Message, options: CallOptions, context: L4ThreadContext, route: CapabilityRoute?
  ) throws(RPCError) -> (L4Timeouts, [PendingExport]) {
    let thread = context.thread
    if options.cancellation?.isCancelled == true {
      throw RPCError(.cancelled, "call cancelled before it started", phase: .send)
    }
    let timeouts = try Self.timeouts(for: options)
    let transfer = Self.l4(options.transferTimeout)
    thread.transferTimeouts = L4TransferTimeouts(send: transfer, receive: transfer)
    if thread.transportState == nil {
      // Receive buffers, so a reply carrying strings or regions has somewhere to land.
      _ = try TransportThreadState.of(thread, configuration)
    }
    let exports = try L4Marshalling.load(&message, into: thread, configuration: configuration, route: route)
    return (timeouts, exports)
  }

  /// Runs one IPC with `handle` wired to abort it (sticky: a cancel that comes before the IPC
  /// has blocked still ends it), and with the handle visible to the server.
  private func armed(_ handle: CallCancellation, _ thread: L4Thread, _ ipc: () throws(L4ErrorCode) -> Void)
    throws(RPCError)
  {
    let kernel = self.kernel
    kernel.armCancellation(thread, true, annotation: handle)
    // The handle is the call's token: a cancel that runs late (after this call ended) finds the
    // thread armed for another call, or not at all, and aborts nothing.
    let registration = handle.onCancel { kernel.cancelCall(thread, armedWith: handle) }
    defer {
      if let registration { handle.remove(registration) }
      kernel.armCancellation(thread, false, annotation: nil)
    }
    do throws(L4ErrorCode) {
      try ipc()
    } catch {
      throw Self.rpcError(error, call: true)
    }
  }

  /// The RPC error for an IPC error. A call whose server thread was deleted after taking the
  /// request (receive phase, non-existing partner) reports `.serverDied`.
  static func rpcError(_ error: L4ErrorCode, call: Bool) -> RPCError {
    if call, error.kind == .nonExistingPartner, error.phase == .receive {
      return RPCError(.serverDied, "the server thread was deleted during the call", phase: .receive, cause: error)
    }
    return RPCError(l4ErrorCode: error.raw) ?? RPCError(.unsupported, "unknown IPC error \(error.raw)")
  }

  static func l4(_ timeout: IPCTimeout) -> L4Timeout {
    L4Timeout(raw: timeout.l4Encoding) ?? .never
  }

  /// Per-phase L4 timeouts from the options; an overall deadline caps both phases. (The
  /// receive phase is capped by the time left when the call starts, so the call may overrun its
  /// deadline by at most the length of its send phase.)
  static func timeouts(for options: CallOptions) throws(RPCError) -> L4Timeouts {
    if case .never = options.sendTimeout, case .never = options.receiveTimeout, !options.hasDeadline {
      return .never  // the default options: no encoding, no clock
    }
    var send = l4(options.sendTimeout)
    var receive = l4(options.receiveTimeout)
    if options.hasDeadline, let deadline = options.effectiveDeadline(start: .now) {
      let left = ContinuousClock.now.duration(to: deadline)
      guard left > .zero else { throw RPCError(.timeout, "deadline already passed", phase: .send) }
      let micros = IPCTimeout.roundedUpMicroseconds(left)
      let cap = L4Timeout.microseconds(micros)
      if send.isNever || (send.microseconds ?? 0) > micros { send = cap }
      if receive.isNever || (receive.microseconds ?? 0) > micros { receive = cap }
    }
    return L4Timeouts(send: send, receive: receive)
  }
}
