/// One IPC message: the MR0 tag, up to 63 untyped words held inline, and typed items.
///
/// The words live in an `InlineArray`, so a message made only of words never touches the heap;
/// typed items are kept in an array that stays empty (and unallocated) until one is added.
/// The tag's `u` and `t` always match the content: `u` = words appended, `t` = the typed items'
/// `wordCount` sum, and `u + t ≤ 63` is enforced on every append.
public struct Message: Sendable {
  /// Payload registers available besides MR0.
  public static let capacity = 63

  /// MR0. The counts are maintained by the message; set the label and flags freely.
  @inlinable public var tag: MessageTag { storedTag }
  /// Typed items in order.
  @inlinable public var items: [TypedItem] { storedItems }

  @usableFromInline var storedTag: MessageTag
  @usableFromInline var registers: InlineArray<63, UInt64>
  @usableFromInline var storedItems: [TypedItem]

  /// An empty message with the given label.
  @inlinable
  public init(label: UInt64) {
    storedTag = MessageTag(label: label)
    registers = InlineArray(repeating: 0)
    storedItems = []
  }

  /// A message with the given label and untyped words.
  public init(label: UInt64, words: some Sequence<UInt64>) throws(RPCError) {
    self.init(label: label)
    for word in words { try append(word) }
  }

  /// Rebuilds a message from a tag and register contents, as a transport does on receipt.
  /// `words` must hold at least `tag.untypedCount` values; `items` must add up to `tag.typedCount`.
  public init(tag: MessageTag, words: UnsafeBufferPointer<UInt64>, items: [TypedItem] = []) throws(RPCError) {
    self.init(label: 0)
    try load(tag: tag, words: words, items: items)
  }

  /// Replaces the whole content in place (for a transport's reused per-thread buffer: no
  /// zero-fill, no 512-byte copy). Copies only `tag.untypedCount` words. On error the message is
  /// left unchanged.
  @inlinable
  public mutating func load(tag: MessageTag, words: UnsafeBufferPointer<UInt64>, items: [TypedItem] = []) throws(RPCError) {
    var typedWords = 0
    for item in items { typedWords += item.wordCount }
    let count = tag.untypedCount
    guard count <= words.count, count + typedWords <= Self.capacity, typedWords == tag.typedCount else {
      throw RPCError.tagMismatch(tag, words: words.count, typedWords: typedWords)
    }
    for index in 0..<count { registers[index] = words[index] }
    storedTag = tag
    storedItems = items
  }

  /// The message id (MR0 label).
  @inlinable
  public var label: UInt64 {
    get { tag.label }
    set { storedTag.label = newValue }
  }

  /// MR0 flags (propagated, redirected, …).
  public var flags: MessageTag.Flags {
    get { tag.flags }
    set { storedTag.flags = newValue }
  }

  /// Number of untyped words (`u`).
  @inlinable public var wordCount: Int { tag.untypedCount }

  /// Registers still free for words or items.
  @inlinable public var freeWords: Int { Self.capacity - tag.untypedCount - tag.typedCount }

  /// Appends one untyped word; fails with `.badArguments` when the registers are full.
  @inlinable
  public mutating func append(_ word: UInt64) throws(RPCError) {
    guard freeWords > 0 else { throw RPCError.registersFull(self.tag) }
    registers[tag.untypedCount] = word
    storedTag.untypedCount += 1
  }

  /// Appends a typed item; fails with `.badArguments` when its words do not fit.
  public mutating func append(_ item: TypedItem) throws(RPCError) {
    guard item.wordCount <= freeWords else { throw RPCError.registersFull(self.tag) }
    storedItems.append(item)
    storedTag.typedCount += item.wordCount
  }

  /// The untyped word at `index` (0 = MR1). Traps when out of range; use `word(at:)` on
  /// untrusted input.
  @inlinable
  public subscript(index: Int) -> UInt64 {
    get {
      precondition(index >= 0 && index < tag.untypedCount, "word index out of range")
      return registers[index]
    }
    set {
      precondition(index >= 0 && index < tag.untypedCount, "word index out of range")
      registers[index] = newValue
    }
  }

  /// The untyped word at `index`, or `.badArguments` when the message is too short.
  @inlinable
  public func word(at index: Int) throws(RPCError) -> UInt64 {
    guard index >= 0, index < tag.untypedCount else { throw RPCError.missingWord(index, tag) }
    return registers[index]
  }

  /// The untyped words, in order (a copy).
  public var words: [UInt64] { (0..<tag.untypedCount).map { registers[$0] } }

  /// Gives the untyped words as a buffer, e.g. to copy them into a thread's message registers.
  @inlinable
  public func withUnsafeWords<R, E: Error>(_ body: (UnsafeBufferPointer<UInt64>) throws(E) -> R) throws(E) -> R {
    let count = tag.untypedCount
    return try registers.span.withUnsafeBufferPointer { (all) throws(E) -> R in
      try body(UnsafeBufferPointer(rebasing: all[0..<count]))
    }
  }

  /// `withUnsafeWords` without copying the message first: reading the inline words of a value
  /// that is not addressable (a `let`, a borrowed parameter) copies all 512 bytes, an `inout`
  /// access does not. For hot paths that own the message anyway.
  @inlinable
  public mutating func withUnsafeWordsInPlace<R, E: Error>(_ body: (UnsafeBufferPointer<UInt64>) throws(E) -> R)
    throws(E) -> R
  {
    let count = tag.untypedCount
    var span = registers.mutableSpan
    return try span.withUnsafeMutableBufferPointer { (all) throws(E) -> R in
      try body(UnsafeBufferPointer(rebasing: all[0..<count]))
    }
  }

  /// Removes all words and items and sets a new label (the registers are not cleared; only the
  /// first `wordCount` are ever read). Drops the items' storage.
  @inlinable
  public mutating func reset(label: UInt64) {
    storedTag = MessageTag(label: label)
    if !storedItems.isEmpty { storedItems = [] }
  }

  // MARK: Typed-item convenience

  /// The string items, in order.
  public var strings: [StringItem] {
    items.compactMap { if case .string(let s) = $0 { s } else { nil } }
  }

  /// The memory-region items, in order.
  public var regions: [RegionItem] {
    items.compactMap { if case .region(let r) = $0 { r } else { nil } }
  }

  /// The capability items, in order.
  public var capabilities: [CapabilityItem] {
    items.compactMap { if case .capability(let c) = $0 { c } else { nil } }
  }
}

extension Message: CustomStringConvertible {
  public var description: String {
    "Message(label: \(label), words: \(words), items: \(items.count))"
  }
}

extension RPCError {
  @usableFromInline
  static func registersFull(_ tag: MessageTag) -> RPCError {
    RPCError(.badArguments, "message registers full (u=\(tag.untypedCount), t=\(tag.typedCount), max 63)")
  }

  @usableFromInline
  static func tagMismatch(_ tag: MessageTag, words: Int, typedWords: Int) -> RPCError {
    RPCError(.badArguments, "tag \(tag) does not match \(words) words and \(typedWords) typed words")
  }

  @usableFromInline
  static func missingWord(_ index: Int, _ tag: MessageTag) -> RPCError {
    RPCError(.badArguments, "message \(tag.label) has \(tag.untypedCount) words; word \(index) is missing")
  }
}
