// The helpers generated code marshals with (docs/swift-mapping.md, "Wire"): packing fields into
// untyped words and checking typed items against the plan. They live here rather than in every
// generated file so there is one copy to fix and to optimise; generated code reaches them through
// `@_spi(Generated) import HurdRPC`, so they stay out of the runtime's ordinary API.
//
// The word helpers are `@inlinable` (every call of a register-only stub goes through them); the
// item helpers are not (they copy bytes or inspect arrays anyway). Errors are built out of line.

/// Marshalling primitives of the native L4 layout for code `hurdidl generate` writes.
///
/// Fields are little-endian bytes of the untyped words: a field of `size` bytes at `byteOffset`
/// sits in word `byteOffset / 8` from bit `8 × (byteOffset % 8)`. Every receive-side helper takes
/// the error code to throw for malformed input (`.badArguments` for requests, `.typeError` for
/// replies).
@_spi(Generated)
public enum GeneratedWire {
  // MARK: Untyped words

  /// Makes the message hold `count` untyped words, the new ones zero.
  @inlinable
  public static func reserve(_ count: Int, in message: inout Message) throws(RPCError) {
    let current = message.storedTag.untypedCount
    guard count > current else { return }
    guard count + message.storedTag.typedCount <= Message.capacity else {
      throw RPCError.registersFull(message.storedTag)
    }
    for index in current..<count { message.registers[index] = 0 }
    message.storedTag.untypedCount = count
  }

  /// ORs the low `size` bytes of `bits` into the words at `byteOffset`.
  @inlinable
  public static func put(_ bits: UInt64, at byteOffset: Int, size: Int, in message: inout Message) {
    message[byteOffset &>> 3] |= (bits & mask(size)) &<< UInt64((byteOffset & 7) &* 8)
  }

  /// The `size` bytes at `byteOffset` (the word count was checked by `expect`).
  @inlinable
  public static func get(_ message: borrowing Message, at byteOffset: Int, size: Int) -> UInt64 {
    (message[byteOffset &>> 3] &>> UInt64((byteOffset & 7) &* 8)) & mask(size)
  }

  @inlinable
  static func mask(_ size: Int) -> UInt64 { size >= 8 ? ~0 : (1 &<< UInt64(size &* 8)) &- 1 }

  /// Checks the exact shape a received message must have before anything is read from it.
  /// (`items == nil`: words only, when the item count depends on count words.)
  @inlinable
  public static func expect(
    _ message: borrowing Message, words: Int, items: Int?, malformed: RPCError.Code
  ) throws(RPCError) {
    guard message.wordCount == words, items.map({ message.storedItems.count == $0 }) ?? true else {
      throw shapeError(message.label, message.wordCount, message.storedItems.count, words, items, malformed)
    }
  }

  @usableFromInline
  static func shapeError(
    _ label: UInt64, _ wordCount: Int, _ itemCount: Int, _ words: Int, _ items: Int?, _ malformed: RPCError.Code
  ) -> RPCError {
    RPCError(
      malformed,
      "message \(label) has \(wordCount) words and \(itemCount) items, expected \(words) and \(items.map(String.init) ?? "any")")
  }

  /// A received boolean: exactly 0 or 1.
  @inlinable
  public static func bool(_ bits: UInt64, argument: StaticString, malformed: RPCError.Code) throws(RPCError) -> Bool {
    guard bits <= 1 else { throw notBoolean(bits, argument, malformed) }
    return bits == 1
  }

  @usableFromInline
  static func notBoolean(_ bits: UInt64, _ argument: StaticString, _ malformed: RPCError.Code) -> RPCError {
    RPCError(malformed, "`\(argument)` is not a boolean (\(bits))")
  }

  /// The length of a variable capability run, bounded by what the plan leaves room for.
  @inlinable
  public static func runCount(
    _ message: borrowing Message, at byteOffset: Int, size: Int, maximum: Int, argument: StaticString,
    malformed: RPCError.Code
  ) throws(RPCError) -> Int {
    let count = get(message, at: byteOffset, size: size)
    guard count <= UInt64(maximum) else {
      throw RPCError(malformed, "`\(argument)` claims \(count) capabilities, at most \(maximum) fit")
    }
    return Int(count)
  }

  /// Refuses a count outside the declared bounds before anything is sent.
  @inlinable
  public static func check(count: Int, exact: Int?, maximum: Int?, argument: StaticString) throws(RPCError) {
    if let exact, count != exact { throw countError(count, exact: exact, argument) }
    if let maximum, count > maximum { throw countError(count, maximum: maximum, argument) }
  }

  @usableFromInline
  static func countError(_ count: Int, exact: Int, _ argument: StaticString) -> RPCError {
    RPCError(count > exact ? .arrayTooLarge : .badArguments, "`\(argument)` has \(count) elements, the .defs declares \(exact)")
  }

  @usableFromInline
  static func countError(_ count: Int, maximum: Int, _ argument: StaticString) -> RPCError {
    RPCError(.arrayTooLarge, "`\(argument)` has \(count) elements, at most \(maximum) are allowed")
  }

  /// Stores a fixed integer array at `byteOffset` of the words (reserved and still zero): the
  /// words' bytes are the wire's little-endian byte string, so on a little-endian host this is
  /// one copy instead of a shift and mask per element.
  @inlinable
  public static func put<let count: Int, Element: FixedWidthInteger & BitwiseCopyable>(
    _ values: InlineArray<count, Element>, at byteOffset: Int, in message: inout Message
  ) {
    let size = MemoryLayout<Element>.size
    precondition(byteOffset >= 0 && byteOffset + count * size <= message.wordCount * 8, "array outside the words")
    #if _endian(little)
      withUnsafeBytes(of: values) { source in
        withUnsafeMutableBytes(of: &message.registers) { words in
          words.baseAddress!.advanced(by: byteOffset).copyMemory(from: source.baseAddress!, byteCount: count * size)
        }
      }
    #else
      for position in 0..<count {
        put(UInt64(truncatingIfNeeded: values[position]), at: byteOffset + position * size, size: size, in: &message)
      }
    #endif
  }

  /// Reads a fixed integer array at `byteOffset` of the words (whose count `expect` checked).
  @inlinable
  public static func get<let count: Int, Element: FixedWidthInteger & BitwiseCopyable>(
    _ message: borrowing Message, at byteOffset: Int, into values: inout InlineArray<count, Element>
  ) {
    let size = MemoryLayout<Element>.size
    precondition(byteOffset >= 0 && byteOffset + count * size <= message.wordCount * 8, "array outside the words")
    #if _endian(little)
      message.withUnsafeWords { words in
        withUnsafeMutableBytes(of: &values) { target in
          target.baseAddress!.copyMemory(
            from: UnsafeRawPointer(words.baseAddress!).advanced(by: byteOffset), byteCount: count * size)
        }
      }
    #else
      for position in 0..<count {
        values[position] = Element(truncatingIfNeeded: get(message, at: byteOffset + position * size, size: size))
      }
    #endif
  }

  // MARK: Overflow bytes (fixed data the planner moved out of the words)

  /// ORs the low `size` bytes of `bits` into the overflow bytes at `byteOffset`.
  @inlinable
  public static func put(_ bits: UInt64, at byteOffset: Int, size: Int, in bytes: inout [UInt8]) {
    for index in 0..<size { bytes[byteOffset + index] |= UInt8(truncatingIfNeeded: bits &>> UInt64(index &* 8)) }
  }

  /// The `size` bytes at `byteOffset` of the overflow bytes (their length was checked).
  @inlinable
  public static func get(_ bytes: [UInt8], at byteOffset: Int, size: Int) -> UInt64 {
    var bits: UInt64 = 0
    for index in 0..<size { bits |= UInt64(bytes[byteOffset + index]) &<< UInt64(index &* 8) }
    return bits
  }

  /// The overflow string: exactly the plan's number of bytes.
  public static func overflow(_ item: TypedItem, bytes: Int, malformed: RPCError.Code) throws(RPCError) -> [UInt8] {
    guard case .string(let string) = item, string.byteCount == bytes else {
      throw RPCError(malformed, "the overflow string is missing or not \(bytes) bytes")
    }
    return string.bytes
  }

  // MARK: Data items

  /// The little-endian bytes of `values`, `size` bytes each.
  public static func bytes<Element: FixedWidthInteger>(of values: [Element], size: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(values.count * size)
    for value in values {
      let bits = UInt64(truncatingIfNeeded: value)
      for index in 0..<size { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(index * 8))) }
    }
    return bytes
  }

  /// One byte per boolean (0 or 1).
  public static func bytes(of values: [Bool]) -> [UInt8] { values.map { $0 ? 1 : 0 } }

  /// A string item, or a region above `stringLimit` bytes (`array[]`).
  public static func dataItem(_ bytes: [UInt8], stringLimit: Int?, grant: Bool) -> TypedItem {
    if let stringLimit, bytes.count > stringLimit {
      let region = MemoryRegion(copying: bytes)
      return .region(grant ? .grant(region) : .map(region))
    }
    return .string(StringItem(bytes))
  }

  /// Whether a region item was granted (moved) rather than mapped (`dealloc[]`).
  public static func isGrant(_ item: TypedItem) -> Bool {
    guard case .region(let region) = item, case .grant = region.kind else { return false }
    return true
  }

  /// The bytes of a data item (a region only where `allowRegion`). `stringLimit`: the most bytes
  /// a string may carry where larger data must come as a region (`array[]`, docs/plans.md).
  public static func data(
    _ item: TypedItem, allowRegion: Bool, stringLimit: Int? = nil, argument: StaticString, malformed: RPCError.Code
  ) throws(RPCError) -> [UInt8] {
    switch item {
    case .string(let string):
      if let stringLimit, string.bytes.count > stringLimit {
        throw RPCError(
          malformed, "`\(argument)` came as a string of \(string.bytes.count) bytes; above \(stringLimit) it must be a region")
      }
      return string.bytes
    case .region(let region) where allowRegion: return region.region.bytes
    default: throw RPCError(malformed, "`\(argument)` is not a data item")
    }
  }

  /// Integers of `size` bytes each, within the declared bounds.
  public static func integers<Element: FixedWidthInteger>(
    _ bytes: [UInt8], size: Int, exact: Int?, maximum: Int?, argument: StaticString, malformed: RPCError.Code
  ) throws(RPCError) -> [Element] {
    let count = bytes.count / size
    guard bytes.count % size == 0, exact.map({ count == $0 }) ?? true, maximum.map({ count <= $0 }) ?? true else {
      throw RPCError(malformed, "`\(argument)` has \(bytes.count) bytes, outside its declared bounds")
    }
    var values: [Element] = []
    values.reserveCapacity(count)
    for start in stride(from: 0, to: bytes.count, by: size) {
      var bits: UInt64 = 0
      for index in 0..<size { bits |= UInt64(bytes[start + index]) << UInt64(index * 8) }
      values.append(Element(truncatingIfNeeded: bits))
    }
    return values
  }

  /// Booleans (bytes 0 or 1) within the declared bounds.
  public static func booleans(
    _ bytes: [UInt8], exact: Int?, maximum: Int?, argument: StaticString, malformed: RPCError.Code
  ) throws(RPCError) -> [Bool] {
    guard exact.map({ bytes.count == $0 }) ?? true, maximum.map({ bytes.count <= $0 }) ?? true,
      bytes.allSatisfy({ $0 <= 1 })
    else { throw RPCError(malformed, "`\(argument)` is not an array of booleans within its bounds") }
    return bytes.map { $0 == 1 }
  }

  /// The UTF-8 bytes of a `c_string` value, refused when too long or holding a NUL.
  public static func textBytes(_ text: String, maximum: Int?, argument: StaticString) throws(RPCError) -> [UInt8] {
    let bytes = Array(text.utf8)
    if bytes.contains(0) { throw RPCError(.badArguments, "`\(argument)` contains a NUL character") }
    try check(count: bytes.count, exact: nil, maximum: maximum, argument: argument)
    return bytes
  }

  /// A received `c_string`: within its bound, no NUL, valid UTF-8.
  public static func text(
    _ bytes: [UInt8], maximum: Int?, argument: StaticString, malformed: RPCError.Code
  ) throws(RPCError) -> String {
    guard maximum.map({ bytes.count <= $0 }) ?? true, !bytes.contains(0),
      let text = String(validating: bytes, as: UTF8.self)
    else { throw RPCError(malformed, "`\(argument)` is not a string within its bounds") }
    return text
  }

  // MARK: Regions and capabilities

  /// Refuses a region that is not whole elements or is outside the declared bounds (sender side).
  public static func checkRegion(
    _ region: MemoryRegion, elementBytes: Int, exact: Int?, maximum: Int?, argument: StaticString
  ) throws(RPCError) {
    guard region.count % elementBytes == 0 else {
      throw RPCError(.badArguments, "`\(argument)` is not a whole number of elements")
    }
    try check(count: region.count, exact: exact, maximum: maximum, argument: argument)
  }

  /// A received region within its bounds.
  public static func region(
    _ item: TypedItem, elementBytes: Int, exact: Int?, maximum: Int?, argument: StaticString, malformed: RPCError.Code
  ) throws(RPCError) -> MemoryRegion {
    guard case .region(let item) = item, item.region.count % elementBytes == 0,
      exact.map({ item.region.count == $0 }) ?? true, maximum.map({ item.region.count <= $0 }) ?? true
    else { throw RPCError(malformed, "`\(argument)` is not a region within its bounds") }
    return item.region
  }

  /// A received capability of the declared right (`nil`: any right).
  public static func capability(
    _ item: TypedItem, right: CapabilityDisposition.Right?, argument: StaticString, malformed: RPCError.Code
  ) throws(RPCError) -> CapabilityName {
    try capabilityItem(item, right: right, argument: argument, malformed: malformed).name
  }

  /// A polymorphic capability: the item with the disposition the sender chose.
  public static func capabilityItem(
    _ item: TypedItem, right: CapabilityDisposition.Right?, argument: StaticString, malformed: RPCError.Code
  ) throws(RPCError) -> CapabilityItem {
    guard case .capability(let capability) = item, right.map({ capability.disposition.right == $0 }) ?? true else {
      throw RPCError(malformed, "`\(argument)` is not a capability of the declared right")
    }
    return capability
  }
}

// MARK: - Out-of-band values (`waittime`, `msgoption`, `msgseqno`)

@_spi(Generated)
extension GeneratedWire {
  /// Mach message options (`mach/message.h`) a `msgoption` may carry.
  public enum MachOption {
    public static let sendMessage: UInt32 = 0x1
    public static let receiveMessage: UInt32 = 0x2
    public static let sendTimeout: UInt32 = 0x10
    public static let sendNotify: UInt32 = 0x20
    public static let sendInterrupt: UInt32 = 0x40
    public static let sendCancel: UInt32 = 0x80
    public static let receiveTimeout: UInt32 = 0x100
    public static let receiveNotify: UInt32 = 0x200
    public static let receiveInterrupt: UInt32 = 0x400
    public static let receiveLarge: UInt32 = 0x800
    /// What an L4 call can honour (the rest have no L4 equivalent).
    public static let supported: UInt32 =
      sendMessage | receiveMessage | sendTimeout | sendInterrupt | receiveTimeout | receiveInterrupt | receiveLarge
  }

  /// A call's options after a `waittime` argument (milliseconds) and Mach `msgoption` bits, as
  /// GNU MIG passes them to `mach_msg`: the waittime bounds the whole call; `MACH_SEND_TIMEOUT` /
  /// `MACH_RCV_TIMEOUT` bound that phase by the waittime (0 without one: do not block, Mach's
  /// `MACH_MSG_TIMEOUT_NONE`); the interrupt bits ask for what L4 always does (an interrupted IPC
  /// fails with `.cancelled`/`.aborted` instead of restarting); `MACH_RCV_LARGE` changes nothing
  /// (a reply that does not fit fails either way). Options with no L4 equivalent (`SEND_NOTIFY`,
  /// `SEND_CANCEL`, `RCV_NOTIFY`, unknown bits) fail the call with `.unsupported` before
  /// anything is sent.
  /// `waitTimeStatement` is the `.defs` `waittime` statement's value: it bounds the timed phases
  /// when no argument is given (the whole call's default timeout is already in `options`).
  public static func callOptions(
    _ options: CallOptions, waitTimeMilliseconds: Int64?, waitTimeStatement: Int64? = nil, machOptions: UInt32
  ) throws(RPCError) -> CallOptions {
    var options = options
    let unsupported = machOptions & ~MachOption.supported
    guard unsupported == 0 else {
      throw RPCError(.unsupported, "Mach message options 0x\(String(unsupported, radix: 16)) have no L4 equivalent")
    }
    let phase: IPCTimeout = (waitTimeMilliseconds ?? waitTimeStatement).map { $0 <= 0 ? .zero : .after(.milliseconds($0)) } ?? .zero
    if let waitTimeMilliseconds { options.timeout = .milliseconds(max(0, waitTimeMilliseconds)) }
    if machOptions & MachOption.sendTimeout != 0 { options.sendTimeout = phase }
    if machOptions & MachOption.receiveTimeout != 0 { options.receiveTimeout = phase }
    return options
  }

  /// Numbers the requests a generated demux receives (`msgseqno`): 0, 1, 2, … in the order they
  /// reach the demux, every request counted (malformed ones too, as Mach numbers every message
  /// dequeued from a receive right). One per demux value and its copies.
  public final class RequestSequence: Sendable {
    private let lock = PThreadMutex()
    private nonisolated(unsafe) var following: UInt64 = 0

    public init() {}

    /// The next number.
    public func next() -> UInt64 {
      lock.withLock {
        defer { following &+= 1 }
        return following
      }
    }
  }
}
