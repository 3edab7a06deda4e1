/// One machine word of the modelled kernel (L4 X.2 on a 64-bit machine).
public typealias L4Word = UInt64

/// An L4 thread identifier: a global ID (thread number + version) or a local ID (valid only
/// inside one address space), plus the special values `nil`, `any` and `anyLocal`.
///
/// Encoding (64-bit X.2): global = `number << 32 | version`, where the version's low 6 bits are
/// never all zero; local = `index << 6` (low 6 bits zero).
public struct L4ThreadID: Hashable, Sendable, CustomStringConvertible {
  public let raw: L4Word

  public init(raw: L4Word) { self.raw = raw }

  /// A global thread ID. Versions whose low 6 bits are zero cannot be told apart from local IDs;
  /// the kernel never hands them out.
  public init(number: UInt32, version: UInt32) {
    self.raw = L4Word(number) << 32 | L4Word(version)
  }

  /// The local ID with the given index (1-based) inside an address space.
  public static func local(index: UInt32) -> L4ThreadID { L4ThreadID(raw: L4Word(index) << 6) }

  public static let nilThread = L4ThreadID(raw: 0)
  /// Open wait: receive from any thread.
  public static let anyThread = L4ThreadID(raw: ~0)
  /// Open wait restricted to threads of the receiver's own address space.
  public static let anyLocalThread = L4ThreadID(raw: ~0 << 6)

  public var isNil: Bool { raw == 0 }
  public var isAnyThread: Bool { self == .anyThread }
  public var isAnyLocalThread: Bool { self == .anyLocalThread }
  /// True for a local ID (not for the special values).
  public var isLocal: Bool { raw & 0x3F == 0 && !isNil && !isAnyLocalThread }
  /// True for a global ID (not for the special values).
  public var isGlobal: Bool { raw & 0x3F != 0 && !isAnyThread }

  /// Thread number of a global ID.
  public var number: UInt32 { UInt32(truncatingIfNeeded: raw >> 32) }
  /// Version of a global ID.
  public var version: UInt32 { UInt32(truncatingIfNeeded: raw) }
  /// Index of a local ID.
  public var localIndex: UInt32 { UInt32(truncatingIfNeeded: raw >> 6) }

  public var description: String {
    if isNil { return "nilthread" }
    if isAnyThread { return "anythread" }
    if isAnyLocalThread { return "anylocalthread" }
    if isLocal { return "local(\(localIndex))" }
    return "\(number).\(version)"
  }
}
