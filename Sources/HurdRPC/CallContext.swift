/// Who is calling, as a server sees it: an unforgeable value that only transports can create.
///
/// It names the calling *domain* (task / address space) plus a transport-chosen badge (e.g. the
/// endpoint or capability the call came through) — never a raw thread id, which wraps and
/// would let a client impersonate another by guessing.
public struct CallerIdentity: Hashable, Sendable, CustomStringConvertible {
  @usableFromInline let domain: UInt64
  @usableFromInline let badge: UInt64

  /// Transports only.
  @_spi(Transport)
  public init(domain: UInt64, badge: UInt64) {
    self.domain = domain
    self.badge = badge
  }

  /// The badge the transport put in (e.g. which port or capability the call came through), for
  /// transports and the test servers that stand in for one; handlers compare whole identities.
  @_spi(Transport) public var transportBadge: UInt64 { badge }

  /// Whether both identities come from the same domain (task), whatever the badge.
  public func isSameDomain(as other: CallerIdentity) -> Bool { domain == other.domain }

  public var description: String { "caller(\(domain):\(badge))" }
}

/// The operating-system credentials of the calling process, as the kernel reports them for the
/// connection (`SO_PEERCRED` on a Unix-domain socket). Only a cross-process transport knows them.
public struct PeerCredentials: Hashable, Sendable, CustomStringConvertible {
  public let processID: Int32
  public let userID: UInt32
  public let groupID: UInt32

  @_spi(Transport)
  public init(processID: Int32, userID: UInt32, groupID: UInt32) {
    self.processID = processID
    self.userID = userID
    self.groupID = groupID
  }

  public var description: String { "pid \(processID) uid \(userID) gid \(groupID)" }
}

/// What a server handler knows about the call it serves.
public struct CallContext: Sendable {
  /// The caller's identity.
  public let caller: CallerIdentity
  /// The request's message id.
  public let requestLabel: UInt64
  /// Whether the caller waits for a reply (false for one-way sends).
  public let expectsReply: Bool
  /// When the caller stops waiting, if it said so.
  public var deadline: ContinuousClock.Instant? { storedDeadline.map(ContinuousClock.Instant.init(sinceRuntimeEpoch:)) }
  // A fixed-layout stand-in for the instant (see `CallOptions.storedDeadline`).
  @usableFromInline let storedDeadline: Duration?
  /// The call's cancellation handle, when the transport can observe the caller going away.
  public let cancellation: CallCancellation?
  /// How to answer later (deferred replies), when the transport supports it.
  public let replyRoute: ReplyRoute?
  /// The calling process's credentials, when the transport crosses processes (nil in-process).
  public let peerCredentials: PeerCredentials?
  /// An opaque key for the calling thread (or connection), for per-thread limits in the runtime;
  /// 0 when the transport cannot tell. Not for handlers: it is transport-only on purpose.
  @_spi(Transport) public let callerThreadKey: UInt64

  /// A context without a deadline (the common case; never touches the clock types, which are
  /// not fixed-layout and would cost value-witness calls on every request).
  @_spi(Transport) @inlinable
  public init(
    caller: CallerIdentity, requestLabel: UInt64, expectsReply: Bool, cancellation: CallCancellation? = nil,
    replyRoute: ReplyRoute? = nil, callerThreadKey: UInt64 = 0
  ) {
    self.caller = caller
    self.requestLabel = requestLabel
    self.expectsReply = expectsReply
    storedDeadline = nil
    self.cancellation = cancellation
    self.replyRoute = replyRoute
    peerCredentials = nil
    self.callerThreadKey = callerThreadKey
  }

  @_spi(Transport)
  public init(
    caller: CallerIdentity, requestLabel: UInt64, expectsReply: Bool,
    deadline: ContinuousClock.Instant?, cancellation: CallCancellation? = nil, replyRoute: ReplyRoute? = nil,
    peerCredentials: PeerCredentials? = nil, callerThreadKey: UInt64 = 0
  ) {
    self.caller = caller
    self.requestLabel = requestLabel
    self.expectsReply = expectsReply
    storedDeadline = deadline?.sinceRuntimeEpoch
    self.cancellation = cancellation
    self.replyRoute = replyRoute
    self.peerCredentials = peerCredentials
    self.callerThreadKey = callerThreadKey
  }

  /// Whether the caller cancelled (or its task was cancelled) — a handler may stop early.
  @inlinable public var isCancelled: Bool { cancellation?.isCancelled ?? false }

  /// Runs `handler` when the caller cancels (now, if it already has).
  @discardableResult
  public func onCancel(_ handler: @escaping @Sendable () -> Void) -> CallCancellation.Registration? {
    cancellation?.onCancel(handler)
  }
}
