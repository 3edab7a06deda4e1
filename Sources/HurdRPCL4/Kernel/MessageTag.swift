/// MR0, the message tag: label, untyped word count `u`, typed word count `t` and four flags.
///
/// Layout (64-bit X.2): bits 0–5 `u`, 6–11 `t`, 12 propagated, 13 redirected, 14 cross-CPU,
/// 15 error, 16–63 label.
public struct L4MessageTag: Hashable, Sendable, CustomStringConvertible {
  public var raw: L4Word

  public init(raw: L4Word) { self.raw = raw }

  /// A tag for a message with `untyped` words in MR1… and `typed` item words after them.
  /// Counts are truncated to their 6-bit fields; the label to 48 bits.
  public init(label: UInt64, untyped: Int = 0, typed: Int = 0, propagated: Bool = false) {
    raw = (label & Self.labelMask) << 16
      | L4Word(truncatingIfNeeded: untyped) & 0x3F
      | (L4Word(truncatingIfNeeded: typed) & 0x3F) << 6
    if propagated { raw |= Self.propagatedBit }
  }

  static let labelMask: L4Word = (1 << 48) - 1
  static let propagatedBit: L4Word = 1 << 12
  static let redirectedBit: L4Word = 1 << 13
  static let crossProcessorBit: L4Word = 1 << 14
  static let errorBit: L4Word = 1 << 15

  public var label: UInt64 {
    get { raw >> 16 }
    set { raw = raw & 0xFFFF | (newValue & Self.labelMask) << 16 }
  }
  /// `u`: untyped words, MR1…MRu.
  public var untypedWords: Int {
    get { Int(raw & 0x3F) }
    set { raw = raw & ~0x3F | L4Word(truncatingIfNeeded: newValue) & 0x3F }
  }
  /// `t`: typed item words, MRu+1…MRu+t.
  public var typedWords: Int {
    get { Int(raw >> 6 & 0x3F) }
    set { raw = raw & ~(0x3F << 6) | (L4Word(truncatingIfNeeded: newValue) & 0x3F) << 6 }
  }
  public var isPropagated: Bool {
    get { raw & Self.propagatedBit != 0 }
    set { raw = newValue ? raw | Self.propagatedBit : raw & ~Self.propagatedBit }
  }
  public var isRedirected: Bool { raw & Self.redirectedBit != 0 }
  public var isCrossProcessor: Bool { raw & Self.crossProcessorBit != 0 }
  public var isError: Bool { raw & Self.errorBit != 0 }

  /// The flags a receiver may see set by the kernel are cleared from what the sender asked for.
  var withoutReceiveFlags: L4MessageTag {
    L4MessageTag(raw: raw & ~(Self.redirectedBit | Self.crossProcessorBit | Self.errorBit))
  }
  func setting(_ bit: L4Word, _ on: Bool) -> L4MessageTag {
    L4MessageTag(raw: on ? raw | bit : raw & ~bit)
  }

  public var description: String {
    var flags = ""
    if isPropagated { flags += "p" }
    if isRedirected { flags += "r" }
    if isCrossProcessor { flags += "X" }
    if isError { flags += "E" }
    return "tag(label: \(label), u: \(untypedWords), t: \(typedWords)\(flags.isEmpty ? "" : ", \(flags)"))"
  }
}
