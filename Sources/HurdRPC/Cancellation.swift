/// A cancellation handle for one call, shared by the caller, the transport and the server.
///
/// - The caller (or the async layer, on Swift task cancellation) calls `cancel()`.
/// - A transport registers an abort action with `onCancel` while the call is pending; the
///   action must be *sticky*: it may run before the IPC has actually blocked and must still end it
///   (with `.cancelled` before any transfer started, `.aborted` after).
/// - A server handler sees the same handle through `CallContext.isCancelled` / `onCancel`.
///
/// `cancel()` is idempotent; each handler runs exactly once, outside the handle's lock.
public final class CallCancellation: @unchecked Sendable {
  private struct State {
    var isCancelled = false
    var nextID: UInt64 = 0
    var handlers: [(id: UInt64, run: @Sendable () -> Void)] = []
  }

  // All access under `lock` (see `PThreadMutex` for why not `Mutex`).
  private let lock = PThreadMutex()
  private var state = State()

  public init() {}

  /// Whether `cancel()` has been called.
  public var isCancelled: Bool { lock.withLock { state.isCancelled } }

  /// Neither cancelled nor holding a handler: a transport that holds the only reference may give
  /// it to its next call instead of allocating one (a handle is three allocations).
  package var isUnused: Bool { lock.withLock { !state.isCancelled && state.handlers.isEmpty } }

  /// Cancels: runs every registered handler once, on the calling thread.
  public func cancel() {
    let handlers = lock.withLock { () -> [(id: UInt64, run: @Sendable () -> Void)] in
      guard !state.isCancelled else { return [] }
      state.isCancelled = true
      defer { state.handlers = [] }
      return state.handlers
    }
    for handler in handlers { handler.run() }
  }

  /// Identifies a registered handler so it can be removed.
  public struct Registration: Hashable, Sendable {
    fileprivate let id: UInt64
  }

  /// Registers `handler` to run on cancellation. If already cancelled, runs it now and returns nil.
  @discardableResult
  public func onCancel(_ handler: @escaping @Sendable () -> Void) -> Registration? {
    let registration = lock.withLock { () -> Registration? in
      guard !state.isCancelled else { return nil }
      state.nextID += 1
      state.handlers.append((state.nextID, handler))
      return Registration(id: state.nextID)
    }
    if registration == nil { handler() }
    return registration
  }

  /// Makes the handle fresh again (not cancelled, no handlers) so a runtime can reuse it instead
  /// of allocating one per call. Only for a handle nobody else references any more.
  package func reuse() {
    lock.withLock {
      state.isCancelled = false
      state.handlers.removeAll(keepingCapacity: true)
    }
  }

  /// Removes a handler that has not run yet.
  public func remove(_ registration: Registration) {
    lock.withLock { state.handlers.removeAll { $0.id == registration.id } }
  }

  /// Runs `body` with `handler` registered for its duration (the transport-side pattern).
  public func whileRegistered<R, E: Error>(
    onCancel handler: @escaping @Sendable () -> Void, _ body: () throws(E) -> R
  ) throws(E) -> R {
    let registration = onCancel(handler)
    defer { if let registration { remove(registration) } }
    return try body()
  }
}

/// A server-side token for one call, linked from the client's own handle: cancelled when the
/// client cancels, but cancelling it, or registering handlers on it, never touches the client's
/// handle. Transports hand handlers this token, never the client's handle, so a server cannot
/// cancel its client's call (only the caller's own task may) nor leave handlers on its handle.
@_spi(Transport) public struct CancellationLink: Sendable {
  /// What the handler sees (`CallContext.cancellation`).
  public let token: CallCancellation
  private let client: CallCancellation
  private let registration: CallCancellation.Registration?

  /// Links a new token from `client` (cancelled at once if `client` already is).
  public init(from client: CallCancellation) {
    let token = CallCancellation()
    self.token = token
    self.client = client
    registration = client.onCancel { token.cancel() }
  }

  /// The call ended: the client's later cancels no longer reach the token.
  public func unlink() {
    if let registration { client.remove(registration) }
  }
}
