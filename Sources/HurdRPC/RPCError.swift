/// Which half of an L4 IPC failed: the send phase or the receive phase.
public enum IPCPhase: Hashable, Sendable {
  case send
  case receive
}

/// The one error type of HurdRPC: a code, a human-readable message, and optional detail (IPC
/// phase, transferred-byte offset, underlying cause).
///
/// Equality compares code, message, phase and offset (not the cause).
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
  /// What went wrong. A struct (not an enum) so new codes are not source-breaking.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline enum Wrapped: Hashable, Sendable {
      case timeout, nonExistingPartner, cancelled, messageOverflow
      case transferTimeoutInInvoker, transferTimeoutInPartner, aborted
      case badID, badArguments, typeError, replyMismatch, arrayTooLarge, serverDied
      case unsupported, shutDown
      case returnCode(Int32)
    }
    @usableFromInline let wrapped: Wrapped
    @usableFromInline init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    // MARK: IPC (L4 ErrorCode kinds 1–7)
    /// L4 1: the partner was not ready within the send or receive timeout, or the deadline passed.
    public static let timeout = Code(.timeout)
    /// L4 2: the destination does not exist (stale thread id, shut-down server).
    public static let nonExistingPartner = Code(.nonExistingPartner)
    /// L4 3: the IPC was cancelled before any transfer started.
    public static let cancelled = Code(.cancelled)
    /// L4 4: typed items did not fit the receiver's buffers; `offset` says how much arrived.
    public static let messageOverflow = Code(.messageOverflow)
    /// L4 5: a string copy timed out on the invoker's side.
    public static let transferTimeoutInInvoker = Code(.transferTimeoutInInvoker)
    /// L4 6: a string copy timed out on the partner's side.
    public static let transferTimeoutInPartner = Code(.transferTimeoutInPartner)
    /// L4 7: a transfer that had started was aborted.
    public static let aborted = Code(.aborted)

    // MARK: Protocol (MIG)
    /// No routine with the request's id (`MIG_BAD_ID`).
    public static let badID = Code(.badID)
    /// Malformed request: wrong size, count or shape (`MIG_BAD_ARGUMENTS`).
    public static let badArguments = Code(.badArguments)
    /// A reply's items do not have the expected types (`MIG_TYPE_ERROR`).
    public static let typeError = Code(.typeError)
    /// A reply's id is not request id + 100 (`MIG_REPLY_MISMATCH`).
    public static let replyMismatch = Code(.replyMismatch)
    /// A variable array exceeds its declared maximum (`MIG_ARRAY_TOO_LARGE`), checked at the sender.
    public static let arrayTooLarge = Code(.arrayTooLarge)
    /// The server went away before replying (`MIG_SERVER_DIED`).
    public static let serverDied = Code(.serverDied)

    // MARK: Runtime
    /// The transport cannot carry something in the message (e.g. a capability item).
    public static let unsupported = Code(.unsupported)
    /// The transport or server was shut down.
    public static let shutDown = Code(.shutDown)

    // MARK: Server return codes
    /// A non-zero return code a server handler produced (kern_return_t, Hurd error_t, …).
    public static func returnCode(_ code: ReturnCode) -> Code { Code(.returnCode(code.rawValue)) }

    /// The server's return code, for `.returnCode` errors.
    public var returnCode: ReturnCode? {
      if case .returnCode(let value) = wrapped { ReturnCode(value) } else { nil }
    }

    /// Whether this is one of the seven L4 IPC error kinds.
    public var isIPCError: Bool { l4ErrorKind != nil }

    /// The L4 ErrorCode kind (1–7) for IPC codes.
    public var l4ErrorKind: UInt64? {
      switch wrapped {
      case .timeout: 1
      case .nonExistingPartner: 2
      case .cancelled: 3
      case .messageOverflow: 4
      case .transferTimeoutInInvoker: 5
      case .transferTimeoutInPartner: 6
      case .aborted: 7
      default: nil
      }
    }

    public var description: String {
      switch wrapped {
      case .returnCode(let value): "returnCode(\(ReturnCode(value)))"
      default: "\(wrapped)"
      }
    }
  }

  public var code: Code
  public var message: String
  /// For IPC errors: which phase failed.
  public var phase: IPCPhase?
  /// For overflow, transfer timeout and abort: bytes transferred before the failure.
  public var offset: Int?
  /// The underlying error, if any.
  public var cause: (any Error & Sendable)?

  public init(
    _ code: Code, _ message: String = "", phase: IPCPhase? = nil, offset: Int? = nil,
    cause: (any Error & Sendable)? = nil
  ) {
    // Wrapping an error of the same code flattens it, keeping the inner detail.
    if let inner = cause as? RPCError, inner.code == code {
      self = inner
      if !message.isEmpty { self.message = inner.message.isEmpty ? message : "\(message): \(inner.message)" }
      return
    }
    self.code = code
    self.message = message
    self.phase = phase
    self.offset = offset
    self.cause = cause
  }

  /// An error carrying a server return code. `ReturnCode.success` is not an error; MIG protocol
  /// codes become their protocol `Code` (so `MIG_BAD_ID` from a server is `.badID`).
  public init(returnCode: ReturnCode, _ message: String = "") {
    self.init(Self.code(forWire: returnCode), message)
  }

  public static func == (lhs: RPCError, rhs: RPCError) -> Bool {
    lhs.code == rhs.code && lhs.message == rhs.message && lhs.phase == rhs.phase && lhs.offset == rhs.offset
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(code)
    hasher.combine(message)
    hasher.combine(phase)
    hasher.combine(offset)
  }

  public var description: String {
    var text = "RPCError(\(code)"
    if let phase { text += ", \(phase) phase" }
    if let offset { text += ", offset \(offset)" }
    if !message.isEmpty { text += ": \(message)" }
    if let cause { text += " (cause: \(cause))" }
    return text + ")"
  }
}

// MARK: - Wire mapping

extension RPCError {
  /// The RetCode a server puts into its reply for this error. Protocol codes use the MIG values;
  /// IPC codes (a handler's own nested IPC failed) use the matching `mach_msg_return_t`, so the
  /// client sees them as the server's return code rather than as a failure of its own call.
  public var wireReturnCode: ReturnCode {
    switch code.wrapped {
    case .returnCode(let value): ReturnCode(value)
    case .badID: .migBadID
    case .badArguments: .migBadArguments
    case .typeError: .migTypeError
    case .replyMismatch: .migReplyMismatch
    case .arrayTooLarge: .migArrayTooLarge
    case .serverDied, .shutDown: .migServerDied
    case .timeout: phase == .receive ? .machRcvTimedOut : .machSendTimedOut
    case .nonExistingPartner: .machSendInvalidDest
    case .cancelled, .aborted: phase == .receive ? .machRcvInterrupted : .machSendInterrupted
    case .messageOverflow: .machRcvTooLarge
    case .transferTimeoutInInvoker, .transferTimeoutInPartner: .machSendTimedOut
    case .unsupported: .migBadArguments
    }
  }

  /// The code a client reports for a reply's non-zero RetCode.
  public static func code(forWire returnCode: ReturnCode) -> Code {
    switch returnCode {
    case .migBadID: .badID
    case .migBadArguments: .badArguments
    case .migTypeError: .typeError
    case .migReplyMismatch: .replyMismatch
    case .migArrayTooLarge: .arrayTooLarge
    case .migServerDied: .serverDied
    default: .returnCode(returnCode)
    }
  }
}

// MARK: - L4 ErrorCode word

extension RPCError {
  /// Decodes an L4 ErrorCode TCR value: bit 0 = phase (1 = receive), bits 1–3 = kind, and for
  /// kinds 4–7 the bits from 4 up = offset. Nil when the kind is 0 (no error).
  public init?(l4ErrorCode word: UInt64) {
    let phase: IPCPhase = word & 1 == 1 ? .receive : .send
    let offset: Int? = (4...7).contains((word >> 1) & 7) ? Int(truncatingIfNeeded: word >> 4) : nil
    let code: Code
    switch (word >> 1) & 7 {
    case 1: code = .timeout
    case 2: code = .nonExistingPartner
    case 3: code = .cancelled
    case 4: code = .messageOverflow
    case 5: code = .transferTimeoutInInvoker
    case 6: code = .transferTimeoutInPartner
    case 7: code = .aborted
    default: return nil
    }
    self.init(code, "L4 IPC error", phase: phase, offset: offset)
  }

  /// The L4 ErrorCode word for IPC errors (nil for protocol and return-code errors).
  public var l4ErrorCode: UInt64? {
    guard let kind = code.l4ErrorKind else { return nil }
    var word = (kind << 1) | (phase == .receive ? 1 : 0)
    if kind >= 4, let offset { word |= UInt64(offset) << 4 }
    return word
  }
}
