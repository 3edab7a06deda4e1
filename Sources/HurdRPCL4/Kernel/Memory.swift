import Synchronization

/// Backing store for pages: one zero-filled allocation shared by every mapping derived from it.
/// Access is serialised by its own lock, so spaces that share it (map) never race.
final class L4MemoryObject: @unchecked Sendable {
  // Immutable after init; the bytes are only touched by the kernel inside `lock`.
  private let bytes: UnsafeMutableRawPointer
  let size: Int
  /// Keeps external storage alive (`nil` when the object owns its bytes).
  let owner: (any AnyObject & Sendable)?
  private let lock = Locked<Void>(())

  init(size: Int) {
    self.size = size
    owner = nil
    bytes = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    bytes.initializeMemory(as: UInt8.self, repeating: 0, count: size)
  }

  /// Memory that lives elsewhere (e.g. a runtime `PageBuffer`), shown to spaces without copying.
  init(external bytes: UnsafeMutableRawPointer, size: Int, owner: any AnyObject & Sendable) {
    self.bytes = bytes
    self.size = size
    self.owner = owner
  }

  deinit { if owner == nil { bytes.deallocate() } }

  func read(at offset: Int, into destination: UnsafeMutableRawPointer, count: Int) {
    lock.withLock { _ in destination.copyMemory(from: bytes + offset, byteCount: count) }
  }

  func write(at offset: Int, from source: UnsafeRawPointer, count: Int) {
    lock.withLock { _ in (bytes + offset).copyMemory(from: source, byteCount: count) }
  }

  /// Copies between two objects (or within one) holding both locks in a fixed order.
  static func copy(
    from source: L4MemoryObject, at sourceOffset: Int, to destination: L4MemoryObject,
    at destinationOffset: Int, count: Int
  ) {
    if source === destination {
      source.lock.withLock { _ in
        (source.bytes + destinationOffset).copyMemory(from: source.bytes + sourceOffset, byteCount: count)
      }
      return
    }
    let sourceFirst = ObjectIdentifier(source) < ObjectIdentifier(destination)
    let (first, second) = sourceFirst ? (source, destination) : (destination, source)
    first.lock.withLock { _ in
      second.lock.withLock { _ in
        (destination.bytes + destinationOffset).copyMemory(
          from: source.bytes + sourceOffset, byteCount: count)
      }
    }
  }
}

/// One entry of a space's page table: `[base, base + size)` shows `object` from `objectOffset`.
struct L4Mapping {
  var base: UInt64
  var size: UInt64
  var object: L4MemoryObject
  var objectOffset: UInt64
  var rights: L4Rights

  var end: UInt64 { base + size }
}

/// What a test or a server can learn about the mapping at an address.
public struct L4MappingInfo: Hashable, Sendable {
  /// Start and size of the page-table entry containing the address.
  public let base: UInt64
  public let size: UInt64
  public let rights: L4Rights
  /// Identity of the backing memory; two spaces that share memory report the same value.
  public let memory: ObjectIdentifier
  /// Offset of the queried address inside the backing memory.
  public let memoryOffset: UInt64
}

/// Errors of direct memory access to a modelled address space.
public enum L4MemoryError: Error, Hashable, Sendable {
  /// Nothing is mapped at this address.
  case unmapped(address: UInt64)
  /// The mapping lacks the right needed (write to a read-only page).
  case protection(address: UInt64)
  /// Bad region: misaligned, empty, or overlapping an existing mapping.
  case invalidRegion(base: UInt64, size: UInt64)
}

/// Called when a string copy touches an unmapped page (or writes a read-only one) in a space.
/// Return `true` after resolving the fault (e.g. by `allocate(at:size:)`); `false` leaves the
/// copy waiting until the transfer timeout expires. Runs on the copying thread with no kernel
/// lock held; it must not perform IPC.
public typealias L4PageFaultHandler = @Sendable (_ space: L4AddressSpace, _ address: UInt64, _ write: Bool) -> Bool

/// An address space: a page table of mappings onto shared memory objects.
public final class L4AddressSpace: Sendable, CustomStringConvertible {
  public static let pageShift = 12
  public static let pageSize: UInt64 = 1 << 12

  /// Small integer naming the space (for diagnostics).
  public let number: Int
  unowned let kernel: L4Kernel
  private let table = Locked<[L4Mapping]>([])
  private let nextFree = Locked<UInt64>(0x1000_0000)
  private let faultHandler = Locked<L4PageFaultHandler?>(nil)
  /// Bumped whenever mappings change, so a stalled string copy can re-check its fault.
  let generation = Atomic<UInt64>(0)
  /// Whether the space has a redirector (kept with `L4Kernel.setRedirector`), for the lock-free
  /// direct-dispatch path, which does not read the kernel's redirector table.
  let hasRedirector = Atomic<Bool>(false)

  init(kernel: L4Kernel, number: Int) {
    self.kernel = kernel
    self.number = number
  }

  public var description: String { "space\(number)" }

  /// The handler consulted on page faults during string copies (the model's pager).
  public var pageFaultHandler: L4PageFaultHandler? {
    get { faultHandler.withLock { $0 } }
    set { faultHandler.withLock { $0 = newValue } }
  }

  // MARK: Allocation and access

  /// Maps fresh zeroed memory at `base` (page aligned, `size` a multiple of the page size).
  public func allocate(at base: UInt64, size: UInt64, rights: L4Rights = .all) throws(L4MemoryError) {
    guard size > 0, size % Self.pageSize == 0, base % Self.pageSize == 0, base &+ size > base,
      size <= UInt64(Int.max)
    else { throw .invalidRegion(base: base, size: size) }
    let object = L4MemoryObject(size: Int(size))
    let inserted = table.withLock { entries -> Bool in
      if entries.contains(where: { $0.base < base + size && base < $0.end }) { return false }
      Self.insert(L4Mapping(base: base, size: size, object: object, objectOffset: 0, rights: rights), into: &entries)
      return true
    }
    guard inserted else { throw .invalidRegion(base: base, size: size) }
    generation.add(1, ordering: .releasing)
  }

  /// Maps fresh zeroed memory somewhere free, aligned to its size rounded up to a power of two
  /// (so the region is a valid flexpage), and returns its base.
  public func allocate(size: UInt64, rights: L4Rights = .all) throws(L4MemoryError) -> UInt64 {
    guard size > 0, size <= 1 << 40 else { throw .invalidRegion(base: 0, size: size) }
    let pages = (size + Self.pageSize - 1) / Self.pageSize * Self.pageSize
    var alignment = Self.pageSize
    while alignment < pages { alignment <<= 1 }
    while true {
      let base = reserve(size: alignment)
      do throws(L4MemoryError) {
        try allocate(at: base, size: alignment, rights: rights)
        return base
      } catch {
        continue  // the caller placed something there by hand; try the next slot
      }
    }
  }

  /// Maps `size` bytes of external memory (kept alive by `owner`) at a fresh address aligned to
  /// its size rounded up to a power of two, and returns the address. The memory is shared, not
  /// copied: the kernel reads and writes it in place.
  public func attach(
    external bytes: UnsafeMutableRawPointer, size: Int, owner: any AnyObject & Sendable, rights: L4Rights = .all
  ) throws(L4MemoryError) -> UInt64 {
    guard size > 0, UInt64(size) % Self.pageSize == 0 else { throw .invalidRegion(base: 0, size: UInt64(size)) }
    let object = L4MemoryObject(external: bytes, size: size, owner: owner)
    let base = reserve(size: UInt64(size))
    install([L4Mapping(base: base, size: UInt64(size), object: object, objectOffset: 0, rights: rights)], replacing: base, base + UInt64(size))
    return base
  }

  /// The owner of the external memory mapped at `address` (see `attach`), if any.
  public func externalOwner(at address: UInt64) -> (owner: any AnyObject & Sendable, offset: UInt64)? {
    table.withLock { entries in
      guard let m = entries.first(where: { address >= $0.base && address < $0.end }), let owner = m.object.owner
      else { return nil }
      return (owner, m.objectOffset + (address - m.base))
    }
  }

  /// Reserves (without mapping) an address range aligned to `size` rounded up to a power of two.
  func reserve(size: UInt64) -> UInt64 {
    var alignment = Self.pageSize
    while alignment < size { alignment <<= 1 }
    return nextFree.withLock { next -> UInt64 in
      let aligned = (next + alignment - 1) / alignment * alignment
      next = aligned + alignment
      return aligned
    }
  }

  /// Reads `count` bytes starting at `address`.
  public func read(at address: UInt64, count: Int) throws(L4MemoryError) -> [UInt8] {
    var result = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
      let here = address &+ UInt64(done)
      guard let piece = resolve(here, write: false) else { throw .unmapped(address: here) }
      let n = min(count - done, piece.available)
      result.withUnsafeMutableBytes { buffer in
        piece.object.read(at: piece.offset, into: buffer.baseAddress! + done, count: n)
      }
      done += n
    }
    return result
  }

  /// Copies `count` bytes at `address` into `destination`.
  public func read(at address: UInt64, into destination: UnsafeMutableRawPointer, count: Int) throws(L4MemoryError) {
    var done = 0
    while done < count {
      let here = address &+ UInt64(done)
      guard let piece = resolve(here, write: false) else { throw .unmapped(address: here) }
      let n = min(count - done, piece.available)
      piece.object.read(at: piece.offset, into: destination + done, count: n)
      done += n
    }
  }

  /// Copies `count` bytes from `source` to `address`.
  public func write(from source: UnsafeRawPointer, count: Int, at address: UInt64) throws(L4MemoryError) {
    var done = 0
    while done < count {
      let here = address &+ UInt64(done)
      guard let piece = resolve(here, write: false) else { throw .unmapped(address: here) }
      guard piece.rights.contains(.write) else { throw .protection(address: here) }
      let n = min(count - done, piece.available)
      piece.object.write(at: piece.offset, from: source + done, count: n)
      done += n
    }
  }

  /// Writes `bytes` starting at `address`.
  public func write(_ bytes: [UInt8], at address: UInt64) throws(L4MemoryError) {
    var done = 0
    while done < bytes.count {
      let here = address &+ UInt64(done)
      guard let piece = resolve(here, write: false) else { throw .unmapped(address: here) }
      guard piece.rights.contains(.write) else { throw .protection(address: here) }
      let n = min(bytes.count - done, piece.available)
      bytes.withUnsafeBytes { buffer in
        piece.object.write(at: piece.offset, from: buffer.baseAddress! + done, count: n)
      }
      done += n
    }
  }

  /// The mapping containing `address`, if any.
  public func mapping(at address: UInt64) -> L4MappingInfo? {
    table.withLock { entries in
      guard let m = entries.first(where: { address >= $0.base && address < $0.end }) else { return nil }
      return L4MappingInfo(
        base: m.base, size: m.size, rights: m.rights, memory: ObjectIdentifier(m.object),
        memoryOffset: m.objectOffset + (address - m.base))
    }
  }

  /// Removes every mapping inside `fpage` from this space (the memory stays alive in other
  /// spaces that map it).
  public func unmap(_ fpage: L4Fpage) {
    guard !fpage.isNil else { return }
    let start = fpage.base
    let end = fpage.isCompleteAddressSpace ? UInt64.max : fpage.base &+ fpage.size
    table.withLock { entries in Self.remove(start, end, from: &entries) }
    generation.add(1, ordering: .releasing)
  }

  /// The space was deleted: its page table empties and its pager goes.
  func removeAllMappings() {
    table.withLock { $0.removeAll() }
    faultHandler.withLock { $0 = nil }
    generation.add(1, ordering: .releasing)
  }

  /// Whether the space was deleted (`L4Kernel.deleteSpace`, or ThreadControl took its last thread).
  public var isDeleted: Bool { kernel.isDeleted(self) }

  // MARK: Kernel helpers

  struct Piece {
    var object: L4MemoryObject
    var offset: Int
    var available: Int
    var rights: L4Rights
  }

  /// The contiguous mapped bytes starting at `address`, or `nil` on a page fault.
  func resolve(_ address: UInt64, write: Bool) -> Piece? {
    table.withLock { entries -> Piece? in
      guard let m = entries.first(where: { address >= $0.base && address < $0.end }) else { return nil }
      if write && !m.rights.contains(.write) { return nil }
      let offset = m.objectOffset + (address - m.base)
      let available = m.end - address
      return Piece(
        object: m.object, offset: Int(offset), available: Int(min(available, UInt64(Int.max))),
        rights: m.rights)
    }
  }

  /// Asks the fault handler to resolve a fault; `true` if it claims to have done so.
  func handleFault(at address: UInt64, write: Bool) -> Bool {
    guard let handler = pageFaultHandler else { return false }
    return handler(self, address, write)
  }

  /// The mappings overlapping `[start, end)`, clipped to it.
  func snapshot(_ start: UInt64, _ end: UInt64) -> [L4Mapping] {
    table.withLock { entries in
      entries.compactMap { m -> L4Mapping? in
        let lo = max(m.base, start)
        let hi = min(m.end, end)
        guard lo < hi else { return nil }
        return L4Mapping(
          base: lo, size: hi - lo, object: m.object, objectOffset: m.objectOffset + (lo - m.base),
          rights: m.rights)
      }
    }
  }

  /// Replaces whatever is mapped in `[start, end)` with `pieces` (already in this space's
  /// addresses). Holes stay holes, as L4 overmapping does.
  func install(_ pieces: [L4Mapping], replacing start: UInt64, _ end: UInt64) {
    table.withLock { entries in
      Self.remove(start, end, from: &entries)
      for piece in pieces { Self.insert(piece, into: &entries) }
    }
    generation.add(1, ordering: .releasing)
  }

  private static func insert(_ mapping: L4Mapping, into entries: inout [L4Mapping]) {
    let index = entries.firstIndex(where: { $0.base > mapping.base }) ?? entries.endIndex
    entries.insert(mapping, at: index)
  }

  private static func remove(_ start: UInt64, _ end: UInt64, from entries: inout [L4Mapping]) {
    var kept: [L4Mapping] = []
    kept.reserveCapacity(entries.count + 1)
    for m in entries {
      if m.end <= start || m.base >= end {
        kept.append(m)
        continue
      }
      if m.base < start {
        var left = m
        left.size = start - m.base
        kept.append(left)
      }
      if m.end > end {
        var right = m
        right.base = end
        right.size = m.end - end
        right.objectOffset = m.objectOffset + (end - m.base)
        kept.append(right)
      }
    }
    entries = kept
  }
}
