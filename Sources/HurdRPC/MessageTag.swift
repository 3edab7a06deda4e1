/// The L4 X.2 message tag (MR0) on a 64-bit target: label (48 bits), untyped word count `u`
/// (6 bits), typed word count `t` (6 bits) and four flag bits.
///
/// Layout, low bit first: `u` in bits 0–5, `t` in bits 6–11, flags in 12–15
/// (propagated, redirected, cross-processor, error), label in bits 16–63.
public struct MessageTag: Hashable, Sendable, CustomStringConvertible {
  /// The raw MR0 word.
  public var rawValue: UInt64

  public init(rawValue: UInt64) { self.rawValue = rawValue }

  /// A tag with the given label and counts; flags clear. Values are truncated to their fields.
  public init(label: UInt64, untypedCount: Int = 0, typedCount: Int = 0) {
    rawValue = 0
    self.label = label
    self.untypedCount = untypedCount
    self.typedCount = typedCount
  }

  /// The largest label that fits the 48-bit field.
  public static let maxLabel: UInt64 = (1 << 48) - 1

  /// Message id (by convention the MIG routine id; replies are request id + 100).
  public var label: UInt64 {
    get { rawValue >> 16 }
    set { rawValue = (rawValue & 0xFFFF) | ((newValue & Self.maxLabel) << 16) }
  }

  /// `u`: number of untyped words (MR1…MRu).
  public var untypedCount: Int {
    get { Int(rawValue & 0x3F) }
    set { rawValue = (rawValue & ~0x3F) | (UInt64(truncatingIfNeeded: newValue) & 0x3F) }
  }

  /// `t`: number of words the typed items occupy (MRu+1…MRu+t).
  public var typedCount: Int {
    get { Int((rawValue >> 6) & 0x3F) }
    set { rawValue = (rawValue & ~(0x3F << 6)) | ((UInt64(truncatingIfNeeded: newValue) & 0x3F) << 6) }
  }

  /// The four flag bits (bits 12–15).
  public var flags: Flags {
    get { Flags(rawValue: UInt8((rawValue >> 12) & 0xF)) }
    set { rawValue = (rawValue & ~(0xF << 12)) | (UInt64(newValue.rawValue & 0xF) << 12) }
  }

  /// MR0 flag bits.
  public struct Flags: OptionSet, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// `p`: on send, ask for propagation; on receive, the IPC was propagated.
    public static let propagated = Flags(rawValue: 0x1)
    /// `r`: the IPC was redirected (receive side only).
    public static let redirected = Flags(rawValue: 0x2)
    /// `X`: cross-processor IPC (receive side only).
    public static let crossProcessor = Flags(rawValue: 0x4)
    /// `E`: the IPC failed; the error code says why.
    public static let error = Flags(rawValue: 0x8)
  }

  public var description: String {
    "MsgTag(label: \(label), u: \(untypedCount), t: \(typedCount), flags: 0x\(String(flags.rawValue, radix: 16)))"
  }
}
