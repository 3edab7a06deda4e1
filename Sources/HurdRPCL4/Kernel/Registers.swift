/// A view of a thread's 64 message registers (MR0 is the tag). Reading or writing outside
/// 0..<64 traps, like any out-of-range array access.
///
/// Inlinable: a message is loaded and read word by word around every IPC, and a call into the
/// module per word would cost more than the access.
public struct L4MessageRegisters {
  @usableFromInline let base: UnsafeMutablePointer<L4Word>
  public static let count = 64

  @usableFromInline init(base: UnsafeMutablePointer<L4Word>) { self.base = base }

  @inlinable public subscript(index: Int) -> L4Word {
    get {
      precondition(index >= 0 && index < Self.count, "MR index out of range")
      return base[index]
    }
    nonmutating set {
      precondition(index >= 0 && index < Self.count, "MR index out of range")
      base[index] = newValue
    }
  }

  /// MR0 as a tag.
  @inlinable public var tag: L4MessageTag {
    get { L4MessageTag(raw: base[0]) }
    nonmutating set { base[0] = newValue.raw }
  }

  /// Loads a complete message: tag with the given label, `untyped` words in MR1…, then the
  /// typed items. Returns `false` (and loads nothing) if the words do not fit in MR1…MR63 or a
  /// string item does not have 1…32 substrings.
  @discardableResult
  public func load(label: UInt64, untyped: [L4Word] = [], items: [L4TypedItem] = [], propagated: Bool = false) -> Bool {
    var typed: [L4Word] = []
    for (i, item) in items.enumerated() {
      if case .string(let string) = item, !(1...32).contains(string.substrings.count) { return false }
      typed += item.words(moreFollow: i + 1 < items.count)
    }
    guard untyped.count + typed.count <= 63 else { return false }
    for (i, word) in untyped.enumerated() { base[1 + i] = word }
    for (i, word) in typed.enumerated() { base[1 + untyped.count + i] = word }
    base[0] = L4MessageTag(label: label, untyped: untyped.count, typed: typed.count, propagated: propagated).raw
    return true
  }

  /// The untyped words MR1…MRu of the current tag.
  public var untypedWords: [L4Word] {
    let u = tag.untypedWords
    return (0..<u).map { base[1 + $0] }
  }

  /// The typed items after the untyped words, or `nil` if they are malformed.
  public var typedItems: [L4TypedItem]? {
    let t = tag
    let start = 1 + t.untypedWords
    let limit = min(64, start + t.typedWords)
    return L4TypedItem.decodeAll({ base[$0] }, from: start, limit: limit)
  }
}

/// A view of a thread's 33 buffer registers: BR0 is the acceptor, BR1… the receive string
/// buffers (string-item format; the `C` bit of each says another buffer follows).
public struct L4BufferRegisters {
  let base: UnsafeMutablePointer<L4Word>
  public static let count = 33

  public subscript(index: Int) -> L4Word {
    get {
      precondition(index >= 0 && index < Self.count, "BR index out of range")
      return base[index]
    }
    nonmutating set {
      precondition(index >= 0 && index < Self.count, "BR index out of range")
      base[index] = newValue
    }
  }

  public var acceptor: L4Acceptor {
    get { L4Acceptor(raw: base[0]) }
    nonmutating set { base[0] = newValue.raw }
  }

  /// Sets the acceptor and the receive string buffers in one go (string acceptance is switched
  /// on when `stringBuffers` is not empty). Returns `false` if they need more than BR1…BR32 or a
  /// buffer does not have 1…32 substrings.
  @discardableResult
  public func accept(receiveWindow: L4Fpage = .nilpage, stringBuffers: [L4StringItem] = []) -> Bool {
    var words: [L4Word] = []
    guard stringBuffers.allSatisfy({ (1...32).contains($0.substrings.count) }) else { return false }
    for (i, buffer) in stringBuffers.enumerated() {
      words += buffer.words(moreFollow: i + 1 < stringBuffers.count)
    }
    guard words.count <= 32 else { return false }
    for (i, word) in words.enumerated() { base[1 + i] = word }
    base[0] = L4Acceptor(receiveWindow: receiveWindow, acceptsStrings: !stringBuffers.isEmpty).raw
    return true
  }

  /// The receive string buffers, in order (empty when strings are not accepted).
  var stringBuffers: [L4StringItem] {
    guard acceptor.acceptsStrings else { return [] }
    var result: [L4StringItem] = []
    var index = 1
    while index < Self.count {
      guard let (item, next) = L4StringItem.decode({ base[$0] }, at: index, limit: Self.count) else { break }
      result.append(item)
      if base[index] & 1 == 0 { break }
      index = next
    }
    return result
  }
}
