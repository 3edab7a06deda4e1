/// A string item (or a receive string buffer, which uses the same format): `substrings.count`
/// pieces of `length` bytes each at the given addresses, gathered (or scattered) in order.
/// `continues` is the compound flag `c`: the next string item belongs to the same logical string,
/// which lets pieces of different lengths form one string.
///
/// Word 0: bit 0 `C`, bits 1–2 cache hint, bit 3 = 0, bits 4–8 `j` (substrings − 1), bit 9 `c`,
/// bits 10 and up `length`. Then one address word per substring.
public struct L4StringItem: Hashable, Sendable {
  public var length: UInt64
  public var substrings: [UInt64]
  public var continues: Bool
  public var cacheHint: UInt8

  /// `substrings` must hold 1…32 addresses.
  public init(length: UInt64, substrings: [UInt64], continues: Bool = false, cacheHint: UInt8 = 0) {
    self.length = length
    self.substrings = substrings
    self.continues = continues
    self.cacheHint = cacheHint
  }

  /// One contiguous piece.
  public init(address: UInt64, length: UInt64, continues: Bool = false) {
    self.init(length: length, substrings: [address], continues: continues)
  }

  /// Total bytes described.
  public var totalLength: UInt64 { length * UInt64(substrings.count) }

  var wordCount: Int { 1 + substrings.count }

  func words(moreFollow: Bool) -> [L4Word] {
    let j = L4Word(max(substrings.count, 1) - 1) & 0x1F
    let head = length << 10 | (continues ? 1 << 9 : 0) | j << 4 | L4Word(cacheHint & 3) << 1
      | (moreFollow ? 1 : 0)
    return [head] + substrings
  }

  /// Decodes one string item from `words` starting at `index`.
  static func decode(_ words: (Int) -> L4Word, at index: Int, limit: Int) -> (L4StringItem, next: Int)? {
    guard index < limit else { return nil }
    let head = words(index)
    guard head >> 1 & 7 & 4 == 0 else { return nil }
    let count = Int(head >> 4 & 0x1F) + 1
    guard index + count < limit else { return nil }
    var addresses: [UInt64] = []
    addresses.reserveCapacity(count)
    for k in 0..<count { addresses.append(words(index + 1 + k)) }
    let item = L4StringItem(
      length: head >> 10, substrings: addresses, continues: head & (1 << 9) != 0,
      cacheHint: UInt8(head >> 1 & 3))
    return (item, index + 1 + count)
  }
}

/// A typed item in the message registers after the untyped words.
public enum L4TypedItem: Hashable, Sendable {
  /// Share `fpage` with the receiver (the sender keeps it). `sendBase` positions it relative to
  /// the receiver's window when the two differ in size.
  case map(fpage: L4Fpage, sendBase: UInt64)
  /// Move `fpage` to the receiver (the sender loses it).
  case grant(fpage: L4Fpage, sendBase: UInt64)
  case string(L4StringItem)

  /// Map/grant item word 0: bit 0 `C`, bits 1–3 type (100 map, 101 grant), bits 10+ send base.
  static let mapType: L4Word = 4
  static let grantType: L4Word = 5

  /// The item's words in the message registers. `moreFollow` sets the continuation bit `C`.
  public func words(moreFollow: Bool = false) -> [L4Word] {
    let c: L4Word = moreFollow ? 1 : 0
    switch self {
    case .map(let fpage, let sendBase):
      return [sendBase & ~0x3FF | Self.mapType << 1 | c, fpage.raw]
    case .grant(let fpage, let sendBase):
      return [sendBase & ~0x3FF | Self.grantType << 1 | c, fpage.raw]
    case .string(let item):
      return item.words(moreFollow: moreFollow)
    }
  }

  /// Decodes the typed items in `words[start..<limit]`; `nil` if they are malformed.
  static func decodeAll(_ words: (Int) -> L4Word, from start: Int, limit: Int) -> [L4TypedItem]? {
    var items: [L4TypedItem] = []
    var index = start
    while index < limit {
      let head = words(index)
      let type = head >> 1 & 7
      if type & 4 == 0 {
        guard let (item, next) = L4StringItem.decode(words, at: index, limit: limit) else { return nil }
        items.append(.string(item))
        index = next
      } else if type == mapType || type == grantType {
        guard index + 1 < limit else { return nil }
        let fpage = L4Fpage(raw: words(index + 1))
        let base = head & ~0x3FF
        items.append(type == mapType ? .map(fpage: fpage, sendBase: base) : .grant(fpage: fpage, sendBase: base))
        index += 2
      } else {
        return nil  // ctrlxfer and reserved types are not modelled
      }
    }
    return items
  }
}
