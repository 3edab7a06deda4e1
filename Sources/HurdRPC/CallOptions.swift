/// An L4 timeout: never, zero (do not block), or a relative period.
public enum IPCTimeout: Hashable, Sendable, CustomStringConvertible {
  /// Block until the partner is ready.
  case never
  /// Do not block at all (an L4 reply uses this).
  case zero
  /// Block at most this long.
  case after(Duration)

  /// Convenience for a relative timeout in microseconds.
  public static func microseconds(_ value: Int64) -> IPCTimeout { .after(.microseconds(value)) }

  /// The 16-bit L4 relative time encoding: `never` = 0, `zero` = 0x0400 (m = 0, e = 1), otherwise
  /// 2^e·m µs with a 10-bit mantissa and 5-bit exponent, rounded *up* to the next representable value
  /// (saturating at the largest, about 610 h). Sub-microsecond periods round up to 1 µs.
  public var l4Encoding: UInt16 {
    switch self {
    case .never: return 0
    case .zero: return 0x0400
    case .after(let duration):
      if duration <= .zero { return 0x0400 }
      let (seconds, attoseconds) = duration.components
      return Self.l4Encoding(microseconds: Self.microseconds(seconds: seconds, attoseconds: attoseconds))
    }
  }

  /// The largest period the L4 encoding can express: 1023 · 2^31 µs (about 25 days).
  package static let l4MaximumMicroseconds: UInt64 = 1023 << 31

  /// The L4 encoding of the shortest period of at least `microseconds` µs: 0 gives `zero`
  /// (0x0400), otherwise the smallest exponent whose rounded-up mantissa fits in 10 bits;
  /// periods beyond `l4MaximumMicroseconds` saturate to it. (The one encoder of this format:
  /// the L4 backend's `L4Timeout.microseconds(_:)` uses it too.)
  package static func l4Encoding(microseconds: UInt64) -> UInt16 {
    if microseconds == 0 { return 0x0400 }
    guard microseconds <= l4MaximumMicroseconds else { return 31 << 10 | 1023 }
    var exponent: UInt64 = 0
    var mantissa = microseconds
    while mantissa > 1023 {
      exponent += 1
      let remainder = microseconds & ((1 << exponent) - 1)
      mantissa = microseconds >> exponent + (remainder == 0 ? 0 : 1)
    }
    return UInt16(exponent << 10 | mantissa)
  }

  /// Decodes a 16-bit L4 relative time value. The absolute form (bit 15 set) is not a period and
  /// decodes to nil.
  public init?(l4Encoding raw: UInt16) {
    if raw == 0 {
      self = .never
      return
    }
    guard raw & 0x8000 == 0 else { return nil }
    let mantissa = Int64(raw & 0x3FF)
    let exponent = Int64((raw >> 10) & 0x1F)
    self = mantissa == 0 ? .zero : .after(.microseconds(mantissa << exponent))
  }

  /// The period as a `Duration` (nil for `never`).
  public var duration: Duration? {
    switch self {
    case .never: nil
    case .zero: .zero
    case .after(let duration): max(duration, .zero)
    }
  }

  /// The instant this timeout ends if it starts at `start` (nil for `never`).
  public func deadline(from start: ContinuousClock.Instant) -> ContinuousClock.Instant? {
    duration.map { start.advanced(by: $0) }
  }

  public var description: String {
    switch self {
    case .never: "never"
    case .zero: "zero"
    case .after(let duration): "\(duration)"
    }
  }

  /// `duration` in whole microseconds, rounded up, at least 1, saturating for absurdly long
  /// durations (transports use it to encode deadlines without overflow).
  public static func roundedUpMicroseconds(_ duration: Duration) -> UInt64 {
    let (seconds, attoseconds) = duration.components
    return microseconds(seconds: seconds, attoseconds: attoseconds)
  }

  private static func microseconds(seconds: Int64, attoseconds: Int64) -> UInt64 {
    let perMicro: Int64 = 1_000_000_000_000
    let wholeSeconds = UInt64(clamping: seconds)
    guard wholeSeconds < 1 << 40 else { return UInt64.max >> 8 }
    var micros = wholeSeconds * 1_000_000 + UInt64(attoseconds / perMicro)
    if attoseconds % perMicro != 0 { micros += 1 }
    return max(micros, 1)
  }
}

/// Per-call settings for a client call.
///
/// `timeout` and `deadline` bound the whole call (send + receive); `sendTimeout` and
/// `receiveTimeout` bound each L4 phase separately (the receive timeout starts when the send
/// phase ends). Whichever limit is hit first ends the call with `.timeout` and the phase it
/// happened in.
public struct CallOptions: Sendable {
  /// A budget for the whole call, measured from when the call starts.
  public var timeout: Duration?
  /// An absolute end for the whole call.
  public var deadline: ContinuousClock.Instant? {
    get { storedDeadline.map(ContinuousClock.Instant.init(sinceRuntimeEpoch:)) }
    set { storedDeadline = newValue?.sinceRuntimeEpoch }
  }
  // `ContinuousClock.Instant` is not a fixed-layout type, so storing it would make every copy of
  // the options go through value witnesses; a `Duration` from a fixed epoch keeps them plain data.
  @usableFromInline var storedDeadline: Duration?
  /// How long to wait for the server to accept the request.
  public var sendTimeout: IPCTimeout
  /// How long to wait for the reply once the request is delivered (MIG `waittime`).
  public var receiveTimeout: IPCTimeout
  /// Bound on string-item copying (L4 transfer timeout).
  public var transferTimeout: IPCTimeout
  /// A handle another thread (or the async layer, for task cancellation) uses to abort this call.
  public var cancellation: CallCancellation?

  public init(
    timeout: Duration? = nil, deadline: ContinuousClock.Instant? = nil, sendTimeout: IPCTimeout = .never,
    receiveTimeout: IPCTimeout = .never, transferTimeout: IPCTimeout = .never,
    cancellation: CallCancellation? = nil
  ) {
    self.timeout = timeout
    storedDeadline = deadline?.sinceRuntimeEpoch
    self.sendTimeout = sendTimeout
    self.receiveTimeout = receiveTimeout
    self.transferTimeout = transferTimeout
    self.cancellation = cancellation
  }

  /// No limits, no cancellation handle: block until the reply arrives.
  public static let `default` = CallOptions()

  /// Options with only a whole-call timeout.
  public static func timeout(_ duration: Duration) -> CallOptions { CallOptions(timeout: duration) }

  /// Whether any whole-call limit is set (transports skip reading the clock otherwise).
  @inlinable public var hasDeadline: Bool { timeout != nil || storedDeadline != nil }

  /// The earlier of `deadline` and `start + timeout`, or nil when neither is set.
  public func effectiveDeadline(start: ContinuousClock.Instant) -> ContinuousClock.Instant? {
    switch (deadline, timeout) {
    case (nil, nil): nil
    case (let deadline?, nil): deadline
    case (nil, let timeout?): start.advanced(by: timeout)
    case (let deadline?, let timeout?): min(deadline, start.advanced(by: timeout))
    }
  }

  /// The instant the send phase must finish by (per-phase timeout and whole-call deadline).
  public func sendPhaseDeadline(start: ContinuousClock.Instant) -> ContinuousClock.Instant? {
    Self.earlier(sendTimeout.deadline(from: start), effectiveDeadline(start: start))
  }

  /// The instant the receive phase must finish by, given when the call and its receive phase began.
  public func receivePhaseDeadline(
    callStart: ContinuousClock.Instant, receiveStart: ContinuousClock.Instant
  ) -> ContinuousClock.Instant? {
    Self.earlier(receiveTimeout.deadline(from: receiveStart), effectiveDeadline(start: callStart))
  }

  private static func earlier(
    _ a: ContinuousClock.Instant?, _ b: ContinuousClock.Instant?
  ) -> ContinuousClock.Instant? {
    switch (a, b) {
    case (nil, nil): nil
    case (let a?, nil): a
    case (nil, let b?): b
    case (let a?, let b?): min(a, b)
    }
  }
}

/// The instant all stored deadlines are measured from (the first time the runtime needed one).
let runtimeClockEpoch = ContinuousClock.now

extension ContinuousClock.Instant {
  init(sinceRuntimeEpoch offset: Duration) { self = runtimeClockEpoch.advanced(by: offset) }
  var sinceRuntimeEpoch: Duration { runtimeClockEpoch.duration(to: self) }
}
