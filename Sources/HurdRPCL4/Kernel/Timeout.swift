import CL4Support
import HurdRPC

/// An L4 time period (16-bit encoding). Only relative periods are modelled; absolute time
/// points (bit 15 set) are rejected by `init?(raw:)`.
///
/// - `never` = raw 0: block forever.
/// - `zero` = `m = 0, e = 1` (raw 0x0400): do not block.
/// - relative: `2^e · m` µs with a 10-bit mantissa `m` (bits 0–9) and 5-bit exponent `e` (10–14).
public struct L4Timeout: Hashable, Sendable, CustomStringConvertible {
  public let raw: UInt16

  /// Decodes a raw period; `nil` for absolute time points, which this model does not support.
  public init?(raw: UInt16) {
    guard raw & 0x8000 == 0 else { return nil }
    self.raw = raw
  }

  @usableFromInline init(checkedRaw: UInt16) { raw = checkedRaw }

  // Computed, not stored: a stored static is reached through its lazy initializer on every use
  // (each IPC's default timeouts).
  @inlinable public static var never: L4Timeout { L4Timeout(checkedRaw: 0) }
  @inlinable public static var zero: L4Timeout { L4Timeout(checkedRaw: 0x0400) }

  /// The period `2^exponent · mantissa` µs. Returns `nil` when a field is out of range
  /// (exponent 0…31, mantissa 0…1023) or when the pair would encode `never` (both zero).
  public static func relative(exponent: Int, mantissa: Int) -> L4Timeout? {
    guard (0...31).contains(exponent), (0...1023).contains(mantissa),
      exponent != 0 || mantissa != 0
    else { return nil }
    return L4Timeout(checkedRaw: UInt16(exponent) << 10 | UInt16(mantissa))
  }

  /// The shortest encodable period of at least `microseconds` µs (0 gives `zero`; periods
  /// beyond the largest encodable one, about 25 days, saturate to it).
  public static func microseconds(_ microseconds: UInt64) -> L4Timeout {
    L4Timeout(checkedRaw: IPCTimeout.l4Encoding(microseconds: microseconds))
  }

  public var isNever: Bool { raw == 0 }
  /// True when the period is zero (any exponent with mantissa 0, except `never`).
  public var isZero: Bool { !isNever && mantissa == 0 }
  public var exponent: Int { Int(raw >> 10 & 0x1F) }
  public var mantissa: Int { Int(raw & 0x3FF) }

  /// The period in microseconds; `nil` for `never`.
  public var microseconds: UInt64? {
    isNever ? nil : UInt64(mantissa) << UInt64(exponent)
  }

  /// Absolute monotonic deadline (ns) for a wait starting now; `nil` for never (no clock read).
  var deadlineFromNow: UInt64? {
    isNever ? nil : deadline(from: cl4_monotonic_ns())
  }

  /// Absolute monotonic deadline (ns) for a wait starting at `now`; `nil` for never.
  func deadline(from now: UInt64) -> UInt64? {
    guard let us = microseconds else { return nil }
    let (ns, overflow) = us.multipliedReportingOverflow(by: 1000)
    if overflow { return nil }
    let (sum, overflow2) = now.addingReportingOverflow(ns)
    return overflow2 ? nil : sum
  }

  public var description: String {
    if isNever { return "never" }
    if isZero { return "zero" }
    return "\(microseconds ?? 0)µs"
  }
}

/// The IPC timeouts word: a send-phase and a receive-phase period
/// (raw = `send << 16 | receive`, as `L4_Timeouts`).
public struct L4Timeouts: Hashable, Sendable {
  public var send: L4Timeout
  public var receive: L4Timeout

  public init(send: L4Timeout, receive: L4Timeout) {
    self.send = send
    self.receive = receive
  }

  @inlinable public static var never: L4Timeouts { L4Timeouts(send: .never, receive: .never) }

  public var raw: L4Word { L4Word(send.raw) << 16 | L4Word(receive.raw) }
}

/// Transfer timeouts (the `XferTimeouts` TCR): bound the string-copy phase, including time spent
/// waiting for page faults to be resolved, separately on the sending and the receiving side.
/// The effective limit of one transfer is the earlier of the sender's `send` and the
/// receiver's `receive` period.
public struct L4TransferTimeouts: Hashable, Sendable {
  public var send: L4Timeout
  public var receive: L4Timeout

  public init(send: L4Timeout = .never, receive: L4Timeout = .never) {
    self.send = send
    self.receive = receive
  }
}
