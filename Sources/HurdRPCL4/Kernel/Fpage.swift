/// Access rights of a flexpage (L4 order: read 4, write 2, execute 1).
public struct L4Rights: OptionSet, Hashable, Sendable {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue & 7 }

  public static let execute = L4Rights(rawValue: 1)
  public static let write = L4Rights(rawValue: 2)
  public static let read = L4Rights(rawValue: 4)
  public static let all: L4Rights = [.read, .write, .execute]
}

/// A flexpage: a naturally aligned region of `2^log2Size` bytes of an address space.
///
/// Encoding: bits 0–2 rights, bits 4–9 `s` = log2 size, bits 10 and up `base / 1024`.
/// `nilpage` (raw 0) and `completeAddressSpace` (`s = 1`) are special.
public struct L4Fpage: Hashable, Sendable, CustomStringConvertible {
  public let raw: L4Word

  public init(raw: L4Word) { self.raw = raw }

  /// A flexpage at `base` of `2^log2Size` bytes. Returns `nil` unless `log2Size` is a page
  /// size (12…63 here: the model's smallest page is 4 KiB) and `base` is aligned to it.
  public init?(base: UInt64, log2Size: Int, rights: L4Rights = .all) {
    guard (L4AddressSpace.pageShift...63).contains(log2Size) else { return nil }
    guard base & ((1 << UInt64(log2Size)) &- 1) == 0 else { return nil }
    raw = base & ~0x3FF | L4Word(log2Size) << 4 | L4Word(rights.rawValue)
  }

  public static let nilpage = L4Fpage(raw: 0)
  public static let completeAddressSpace = L4Fpage(raw: 1 << 4 | 7)

  public var isNil: Bool { raw & ~0xF == 0 }
  public var isCompleteAddressSpace: Bool { log2Size == 1 }
  public var log2Size: Int { Int(raw >> 4 & 0x3F) }
  public var base: UInt64 { isCompleteAddressSpace ? 0 : raw & ~0x3FF }
  /// Size in bytes (`UInt64.max` stands for the complete address space).
  public var size: UInt64 {
    if isCompleteAddressSpace || log2Size >= 64 { return .max }
    return 1 << UInt64(log2Size)
  }
  public var rights: L4Rights { L4Rights(rawValue: UInt8(raw & 7)) }

  func contains(_ address: UInt64) -> Bool {
    if isNil { return false }
    if isCompleteAddressSpace { return true }
    return address >= base && address - base < size
  }

  public var description: String {
    if isNil { return "nilpage" }
    if isCompleteAddressSpace { return "complete" }
    return "fpage(0x\(String(base, radix: 16)), 2^\(log2Size))"
  }
}

/// BR0, the acceptor: which typed items the receiver accepts.
/// Bit 0 accepts string items; bits 4 and up hold the receive window for map/grant items
/// (a nil window refuses all mappings).
public struct L4Acceptor: Hashable, Sendable {
  public let raw: L4Word

  public init(raw: L4Word) { self.raw = raw }

  public init(receiveWindow: L4Fpage = .nilpage, acceptsStrings: Bool = false) {
    raw = receiveWindow.raw & ~0xF | (acceptsStrings ? 1 : 0)
  }

  public static let untypedOnly = L4Acceptor(raw: 0)

  public var acceptsStrings: Bool { raw & 1 != 0 }
  public var receiveWindow: L4Fpage { L4Fpage(raw: raw & ~0xF | 7) }
}
