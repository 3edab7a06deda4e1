/// The IPC `ErrorCode` TCR after a failed IPC (MR0 then has its `E` flag set).
///
/// Encoding: bit 0 phase (0 send, 1 receive), bits 1–3 the kind, and for kinds 4–7 the
/// number of bytes already transferred in bits 4 and up.
public struct L4ErrorCode: Error, Hashable, Sendable, CustomStringConvertible {
  public enum Phase: UInt8, Sendable, Hashable {
    case send = 0
    case receive = 1
  }

  public enum Kind: UInt8, Sendable, Hashable, CaseIterable {
    /// The partner was not ready within the send or receive timeout.
    case timeout = 1
    /// The partner's thread ID is invalid or stale (version mismatch), or the partner died.
    case nonExistingPartner = 2
    /// Another thread aborted the IPC before any transfer started.
    case cancelled = 3
    /// The typed part did not fit the receiver's buffers (or window).
    case messageOverflow = 4
    /// A page fault in the invoker's own address space outlasted the transfer timeout.
    case transferTimeoutInInvoker = 5
    /// A page fault in the partner's address space outlasted the transfer timeout.
    case transferTimeoutInPartner = 6
    /// Another thread aborted the IPC after the transfer had started.
    case aborted = 7
  }

  public let raw: L4Word

  public init(raw: L4Word) { self.raw = raw }

  public init(_ kind: Kind, phase: Phase, offset: UInt64 = 0) {
    let carriesOffset = kind.rawValue >= 4
    raw = (carriesOffset ? offset << 4 : 0) | L4Word(kind.rawValue) << 1 | L4Word(phase.rawValue)
  }

  public var phase: Phase { raw & 1 == 0 ? .send : .receive }
  /// `nil` for raw values whose kind field is 0 (not an IPC error).
  public var kind: Kind? { Kind(rawValue: UInt8(raw >> 1 & 7)) }
  /// Bytes transferred before the failure (kinds 4–7), else 0.
  public var offset: UInt64 { raw >> 1 & 7 >= 4 ? raw >> 4 : 0 }

  public var description: String {
    let name = kind.map { "\($0)" } ?? "unknown(\(raw >> 1 & 7))"
    let offsetText = raw >> 1 & 7 >= 4 ? " at offset \(offset)" : ""
    return "\(name) in \(phase) phase\(offsetText)"
  }
}
