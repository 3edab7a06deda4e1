/// A typed item of a message: data the transport moves beside the untyped words.
///
/// Each item also occupies message registers in the L4 encoding (`wordCount`), so a message's
/// untyped words plus its items' words never exceed 63.
public enum TypedItem: Sendable {
  /// Bytes copied into the receiver's string buffers (L4 string item; MIG out-of-line copy).
  case string(StringItem)
  /// A memory region shared (map) or moved (grant) into the receiver's receive window.
  case region(RegionItem)
  /// A capability (port right) with its transfer disposition.
  case capability(CapabilityItem)

  /// Message registers this item takes in the L4 layout: 2 per string piece (header + one
  /// substring pointer, pieces chained with the compound bit), 2 for map/grant (send base + fpage),
  /// 2 for a capability (header + name).
  public var wordCount: Int {
    switch self {
    case .string(let item): 2 * item.pieceCount
    case .region: 2
    case .capability: 2
    }
  }
}

// MARK: - String items

/// A byte sequence delivered by copy. A *compound* string has several pieces: the sender gathers
/// them and the receiver scatters them into its buffers in order; the logical value is the
/// concatenation of the pieces.
public struct StringItem: Hashable, Sendable {
  // One piece is the common case; keeping it unwrapped saves the outer array's allocation.
  private enum Storage: Hashable, Sendable {
    case single([UInt8])
    case compound([[UInt8]])
  }
  private var storage: Storage

  /// L4 cache-allocation hint (2 bits; 0 = default).
  public var cacheHint: UInt8

  /// A single-piece string.
  public init(_ bytes: [UInt8], cacheHint: UInt8 = 0) {
    storage = .single(bytes)
    self.cacheHint = cacheHint & 0x3
  }

  /// A compound string of several pieces (an empty list is one empty piece).
  public init(pieces: [[UInt8]], cacheHint: UInt8 = 0) {
    switch pieces.count {
    case 0: storage = .single([])
    case 1: storage = .single(pieces[0])
    default: storage = .compound(pieces)
    }
    self.cacheHint = cacheHint & 0x3
  }

  /// The pieces in order (one for a simple string).
  public var pieces: [[UInt8]] {
    switch storage {
    case .single(let bytes): [bytes]
    case .compound(let pieces): pieces
    }
  }

  public var pieceCount: Int {
    switch storage {
    case .single: 1
    case .compound(let pieces): pieces.count
    }
  }

  /// Whether this string has more than one piece.
  public var isCompound: Bool { pieceCount > 1 }

  /// Total length in bytes over all pieces.
  public var byteCount: Int {
    switch storage {
    case .single(let bytes): bytes.count
    case .compound(let pieces): pieces.reduce(0) { $0 + $1.count }
    }
  }

  /// The logical value: all pieces concatenated (no copy for a single piece).
  public var bytes: [UInt8] {
    switch storage {
    case .single(let bytes): bytes
    case .compound(let pieces): Array(pieces.joined())
    }
  }

  /// Value equality is on the logical bytes (the piece split is a transfer detail).
  public static func == (lhs: StringItem, rhs: StringItem) -> Bool {
    lhs.cacheHint == rhs.cacheHint && lhs.bytes == rhs.bytes
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(cacheHint)
    hasher.combine(bytes)
  }
}

// MARK: - Memory regions

/// Access rights on a mapped region (L4 fpage `rwx`).
public struct AccessRights: OptionSet, Hashable, Sendable {
  public var rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }
  public static let execute = AccessRights(rawValue: 0x1)
  public static let write = AccessRights(rawValue: 0x2)
  public static let read = AccessRights(rawValue: 0x4)
  public static let readWrite: AccessRights = [.read, .write]
  public static let all: AccessRights = [.read, .write, .execute]
}

/// Page-aligned memory owned by reference count. Regions that share one `PageBuffer` see each
/// other's writes: that is what *map* means. Concurrent access needs the same care as any
/// shared memory between processes.
public final class PageBuffer: @unchecked Sendable {
  /// Size of one page.
  public static let pageSize = 4096

  /// Start of the memory (page aligned, zero-filled at creation).
  public let baseAddress: UnsafeMutableRawPointer
  /// Size in bytes (a whole number of pages).
  public let byteCount: Int

  /// What owns the memory when it is not the heap (a transport's shared-memory mapping, released
  /// when the last buffer referring to it goes); nil for memory this buffer allocated itself.
  @_spi(Transport) public let storage: (any AnyObject & Sendable)?

  /// Allocates `byteCount` bytes rounded up to whole pages (at least one page), zero-filled.
  public init(byteCount: Int) {
    let pages = max(1, (max(0, byteCount) + Self.pageSize - 1) / Self.pageSize)
    self.byteCount = pages * Self.pageSize
    baseAddress = UnsafeMutableRawPointer.allocate(byteCount: self.byteCount, alignment: Self.pageSize)
    baseAddress.initializeMemory(as: UInt8.self, repeating: 0, count: self.byteCount)
    storage = nil
  }

  /// Wraps page-aligned memory that `storage` owns (e.g. an `mmap` of shared memory a transport
  /// received), so a region onto it needs no copy. `byteCount` must be a whole number of pages.
  @_spi(Transport)
  public init(adopting baseAddress: UnsafeMutableRawPointer, byteCount: Int, storage: any AnyObject & Sendable) {
    precondition(byteCount > 0 && byteCount % Self.pageSize == 0, "adopted memory must be whole pages")
    self.baseAddress = baseAddress
    self.byteCount = byteCount
    self.storage = storage
  }

  deinit { if storage == nil { baseAddress.deallocate() } }
}

/// A window onto a `PageBuffer`. Copying a region copies the reference, never the bytes, so a
/// region moves between threads and address spaces in O(1) regardless of its size.
public struct MemoryRegion: Sendable {
  /// The memory this region is a window onto.
  public let buffer: PageBuffer
  /// Offset of the window in `buffer`.
  public let offset: Int
  /// Length of the window in bytes.
  public let count: Int

  /// A fresh zero-filled region of `byteCount` bytes (the backing buffer is rounded up to pages).
  public init(byteCount: Int) {
    buffer = PageBuffer(byteCount: byteCount)
    offset = 0
    count = max(0, byteCount)
  }

  /// A fresh region holding a copy of `bytes`.
  public init(copying bytes: some Collection<UInt8>) {
    self.init(byteCount: bytes.count)
    let destination = UnsafeMutableRawBufferPointer(start: buffer.baseAddress, count: count)
    destination.copyBytes(from: bytes)
  }

  /// The whole of `buffer`.
  public init(buffer: PageBuffer) {
    self.buffer = buffer
    offset = 0
    count = buffer.byteCount
  }

  private init(buffer: PageBuffer, offset: Int, count: Int) {
    self.buffer = buffer
    self.offset = offset
    self.count = count
  }

  /// A sub-window of this region, or nil when the range does not lie inside it.
  public func slice(offset sliceOffset: Int, count sliceCount: Int) -> MemoryRegion? {
    guard sliceOffset >= 0, sliceCount >= 0, sliceOffset <= count - sliceCount else { return nil }
    return MemoryRegion(buffer: buffer, offset: offset + sliceOffset, count: sliceCount)
  }

  /// Whether both regions are windows onto the same memory (a mapping, not a copy).
  public func sharesMemory(with other: MemoryRegion) -> Bool { buffer === other.buffer }

  public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    try body(UnsafeRawBufferPointer(start: buffer.baseAddress + offset, count: count))
  }

  public func withUnsafeMutableBytes<R, E: Error>(
    _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
  ) throws(E) -> R {
    try body(UnsafeMutableRawBufferPointer(start: buffer.baseAddress + offset, count: count))
  }

  /// A copy of the bytes (for tests and small regions).
  public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
}

/// A memory-region item: *map* shares the memory (both sides keep it), *grant* moves it (the
/// transport removes it from the sender's address space).
public struct RegionItem: Sendable {
  public enum Kind: Hashable, Sendable {
    case map
    case grant
  }
  public var kind: Kind
  public var region: MemoryRegion
  /// Rights the receiver gets (never more than the sender holds; the transport enforces it).
  public var rights: AccessRights

  public init(_ kind: Kind, _ region: MemoryRegion, rights: AccessRights = .readWrite) {
    self.kind = kind
    self.region = region
    self.rights = rights
  }

  public static func map(_ region: MemoryRegion, rights: AccessRights = .readWrite) -> RegionItem {
    RegionItem(.map, region, rights: rights)
  }

  public static func grant(_ region: MemoryRegion, rights: AccessRights = .readWrite) -> RegionItem {
    RegionItem(.grant, region, rights: rights)
  }
}

// MARK: - Capabilities

/// The name of a capability in the sender's (or, after transfer, the receiver's) namespace;
/// like `mach_port_name_t`. Zero is the null name.
public struct CapabilityName: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }
  public static let null = CapabilityName(rawValue: 0)
  /// A dead name (Mach's `MACH_PORT_DEAD`): the capability's server died or revoked it, or the
  /// receiver could not accept it.
  public static let dead = CapabilityName(rawValue: .max)
  /// Neither null nor dead.
  public var isValid: Bool { self != .null && self != .dead }
  public var description: String { self == .dead ? "cap#dead" : "cap#\(rawValue)" }
}

/// How a capability travels: an action (move, copy, make) applied to a right (send, send-once,
/// receive). Only the combinations Mach defines exist as static members.
public struct CapabilityDisposition: Hashable, Sendable, CustomStringConvertible {
  public enum Action: Hashable, Sendable { case move, copy, make }
  public enum Right: Hashable, Sendable { case send, sendOnce, receive }

  public let action: Action
  public let right: Right

  private init(_ action: Action, _ right: Right) {
    self.action = action
    self.right = right
  }

  public static let moveReceive = CapabilityDisposition(.move, .receive)
  public static let moveSend = CapabilityDisposition(.move, .send)
  public static let moveSendOnce = CapabilityDisposition(.move, .sendOnce)
  public static let copySend = CapabilityDisposition(.copy, .send)
  public static let makeSend = CapabilityDisposition(.make, .send)
  public static let makeSendOnce = CapabilityDisposition(.make, .sendOnce)

  /// All dispositions, in Mach type-name order.
  public static let allCases: [CapabilityDisposition] = [
    .moveReceive, .moveSend, .moveSendOnce, .copySend, .makeSend, .makeSendOnce,
  ]

  /// The Mach `MACH_MSG_TYPE_*` value (16…21).
  public var machTypeName: UInt32 {
    switch (action, right) {
    case (.move, .receive): 16
    case (.move, .send): 17
    case (.move, .sendOnce): 18
    case (.copy, .send): 19
    case (.make, .send): 20
    case (.make, .sendOnce): 21
    default: 0
    }
  }

  /// The disposition with the given Mach type name, or nil.
  public init?(machTypeName: UInt32) {
    guard let found = Self.allCases.first(where: { $0.machTypeName == machTypeName }) else { return nil }
    self = found
  }

  /// The right the receiver ends up holding (make-send arrives as send, and so on).
  public var receivedRight: Right { right }

  public var description: String { "\(action)-\(right)" }
}

/// A capability carried by a message.
public struct CapabilityItem: Hashable, Sendable {
  public var name: CapabilityName
  public var disposition: CapabilityDisposition

  public init(_ name: CapabilityName, disposition: CapabilityDisposition) {
    self.name = name
    self.disposition = disposition
  }
}
