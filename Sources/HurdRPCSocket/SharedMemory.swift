import CSocketSupport
@_spi(Transport) import HurdRPC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A memfd mapped into this process. It owns the mapping and the descriptor; `PageBuffer`s made
/// by `SharedMemory` keep it alive, so the pages stay mapped while any region refers to them.
final class SharedMemoryFile: @unchecked Sendable {
  struct Identity: Hashable {
    let device: UInt64
    let inode: UInt64
  }

  let base: UnsafeMutableRawPointer
  /// Mapped length: the whole file, a whole number of pages.
  let byteCount: Int
  let identity: Identity
  let writable: Bool
  private struct Descriptors {
    /// Until a grant gives the memory away (then -1).
    var own: Int32
    /// A read-only reopening for read-only maps, made at the first one (-1 until then).
    var readOnly: Int32 = -1
  }
  private let state: Locked<Descriptors>

  init(fd: Int32, base: UnsafeMutableRawPointer, byteCount: Int, identity: Identity, writable: Bool) {
    state = Locked(Descriptors(own: fd))
    self.base = base
    self.byteCount = byteCount
    self.identity = identity
    self.writable = writable
  }

  /// The descriptor (nil after the memory was granted away).
  var descriptor: Int32? { state.withLock { $0.own >= 0 ? $0.own : nil } }

  /// A read-only descriptor of the same memory, for sending without write access: opened once
  /// per region (through /proc/self/fd), not per send.
  func readOnlyDescriptor() throws(RPCError) -> Int32 {
    try state.withLock { (descriptors) throws(RPCError) -> Int32 in
      guard descriptors.own >= 0 else { throw RPCError(.badArguments, "the region was granted away") }
      if descriptors.readOnly < 0 {
        let reopened = open("/proc/self/fd/\(descriptors.own)", O_RDONLY | O_CLOEXEC)
        guard reopened >= 0 else {
          throw RPCError(.unsupported, "reopening a region read-only failed: \(errnoText(-errno))")
        }
        descriptors.readOnly = reopened
      }
      return descriptors.readOnly
    }
  }

  /// After a grant: this process loses access. The pages are replaced by private zero pages (so
  /// regions still pointing here stay valid memory but no longer see the receiver's data) and the
  /// descriptor is closed.
  func relinquish() {
    let (fd, readOnly) = state.withLock { descriptors -> (Int32, Int32) in
      defer { descriptors = Descriptors(own: -1) }
      return (descriptors.own, descriptors.readOnly)
    }
    guard fd >= 0 else { return }
    if readOnly >= 0 { close(readOnly) }
    SharedMemory.registry.withLock { table in
      if table[identity]?.buffer?.storage === self { table[identity] = nil }
    }
    _ = mmap(base, byteCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
    close(fd)
  }

  deinit {
    SharedMemory.registry.withLock { table in
      if table[identity]?.buffer == nil { table[identity] = nil }
    }
    munmap(base, byteCount)
    let descriptors = state.withLock { $0 }
    closeAll([descriptors.own, descriptors.readOnly])
  }
}

/// Shared memory for the socket transport: regions whose pages another process can map.
///
/// A region made here and sent as `RegionItem.map` is *shared*: the receiver maps the same memfd
/// and each side sees the other's writes. `RegionItem.grant` of such a region *moves* it: after the
/// send this process's pages are replaced by zero pages and its descriptor closed. Regions from
/// `MemoryRegion(byteCount:)` live on the heap, which no other process can map: the transport
/// copies them into a new memfd when sending, and a delivered grant of them wipes the sender's
/// window (`relinquish(heap:)`; documented in docs/socket-transport.md).
public enum SharedMemory {
  struct WeakBuffer {
    weak var buffer: PageBuffer?
  }

  /// Live mappings by file identity, so a memfd that comes back (a region mapped to a server and
  /// returned) is the same `PageBuffer` again — not a second mapping — and `sharesMemory` holds.
  static let registry = Locked<[SharedMemoryFile.Identity: WeakBuffer]>([:])

  /// A zero-filled region of `byteCount` bytes in a fresh memfd (size rounded up to whole pages).
  public static func makeRegion(byteCount: Int) throws(RPCError) -> MemoryRegion {
    let pages = max(1, (max(0, byteCount) + PageBuffer.pageSize - 1) / PageBuffer.pageSize)
    let size = pages * PageBuffer.pageSize
    let fd = hurd_memfd_create("hurdrpc-region", UInt64(size))
    guard fd >= 0 else { throw RPCError(.unsupported, "memfd_create failed: \(errnoText(fd))") }
    let sealed = hurd_memfd_seal(fd, 0)
    guard sealed == 0 else {
      close(fd)
      throw RPCError(.unsupported, "sealing the memfd's size failed: \(errnoText(sealed))")
    }
    let buffer = try map(fd: fd, writable: true)
    return MemoryRegion(buffer: buffer).slice(offset: 0, count: max(0, byteCount))!
  }

  /// Whether the region's pages can be shared with another process without a copy.
  public static func isShareable(_ region: MemoryRegion) -> Bool {
    (region.buffer.storage as? SharedMemoryFile)?.descriptor != nil
  }

  /// After a grant of memory that is not this process's shared memory (heap, or a region whose
  /// memfd was already granted away) was delivered as a copy: the sender loses the data, so the
  /// region's window — not the rest of its buffer — reads as zeros afterwards.
  ///
  /// Heap buffers (`PageBuffer(byteCount:)`, no `storage`) are private anonymous memory from the
  /// allocator, page-aligned and whole pages: the whole pages inside the window are dropped with
  /// `MADV_DONTNEED` (they read as zero-fill pages on the next touch; no write, and their memory
  /// goes back to the kernel), the partial pages at either end are cleared with memset. Memory
  /// some other owner maps (`storage` set) is cleared with memset only: `MADV_DONTNEED` on a
  /// shared or file mapping would bring the file's contents back, not zeros.
  static func relinquish(heap region: MemoryRegion) {
    region.withUnsafeMutableBytes { window in
      guard let start = window.baseAddress, window.count > 0 else { return }
      let page = UInt(PageBuffer.pageSize)
      let first = UInt(bitPattern: start)
      let end = first + UInt(window.count)
      let pagesStart = (first + page - 1) & ~(page - 1)
      let pagesEnd = end & ~(page - 1)
      if region.buffer.storage == nil, pagesEnd > pagesStart,
        madvise(UnsafeMutableRawPointer(bitPattern: pagesStart), Int(pagesEnd - pagesStart), MADV_DONTNEED) == 0
      {
        memset(start, 0, Int(pagesStart - first))
        memset(UnsafeMutableRawPointer(bitPattern: pagesEnd)!, 0, Int(end - pagesEnd))
      } else {
        memset(start, 0, window.count)
      }
    }
  }

  /// The mapped file behind a buffer, if it is shared memory still held by this process.
  static func file(of buffer: PageBuffer) -> SharedMemoryFile? {
    guard let file = buffer.storage as? SharedMemoryFile, file.descriptor != nil else { return nil }
    return file
  }

  /// Maps a memfd (whose size is sealed) and wraps it in a `PageBuffer`; takes ownership of `fd`
  /// (closed on failure, or when it names memory already mapped here).
  ///
  /// Memory this process already maps (a region sent here before and still held, e.g. by a
  /// connection's `MappingCache`) is recognised with one `fstat` and is the same `PageBuffer`
  /// again: no seal inspection (seals are never removed), no `mmap`/`munmap`, no page faults.
  static func adopt(fd: Int32, writable: Bool) throws(RPCError) -> PageBuffer {
    var device: UInt64 = 0
    var inode: UInt64 = 0
    if hurd_fd_identity(fd, &device, &inode) == 0,
      let existing = mapped(SharedMemoryFile.Identity(device: device, inode: inode), writable: writable)
    {
      close(fd)
      return existing
    }
    return try map(fd: fd, writable: writable)
  }

  /// The live mapping of `identity`, if it may serve a receipt that asks for `writable`.
  private static func mapped(_ identity: SharedMemoryFile.Identity, writable: Bool) -> PageBuffer? {
    registry.withLock { table in
      guard let existing = table[identity]?.buffer, let file = existing.storage as? SharedMemoryFile,
        file.descriptor != nil, file.writable || !writable
      else { return nil }
      return existing
    }
  }

  private static func map(fd: Int32, writable: Bool) throws(RPCError) -> PageBuffer {
    var sizeFixed: Int32 = 0
    var immutable: Int32 = 0
    var size: UInt64 = 0
    var device: UInt64 = 0
    var inode: UInt64 = 0
    let inspected = hurd_memfd_inspect(fd, &sizeFixed, &immutable, &size, &device, &inode)
    guard inspected == 0 else {
      close(fd)
      throw RPCError(.badArguments, "a region descriptor is not a memfd: \(errnoText(inspected))")
    }
    // An unsealed size could shrink under our mapping and fault us (SIGBUS) on access.
    guard sizeFixed != 0, size > 0, size % UInt64(PageBuffer.pageSize) == 0, size <= 1 << 40 else {
      close(fd)
      throw RPCError(.badArguments, "a region's memfd must have a sealed size of whole pages (size \(size))")
    }
    let identity = SharedMemoryFile.Identity(device: device, inode: inode)
    return try registry.withLock { (table) throws(RPCError) -> PageBuffer in
      if let existing = table[identity]?.buffer, let file = existing.storage as? SharedMemoryFile,
        file.descriptor != nil, file.writable || !writable
      {
        close(fd)
        return existing
      }
      let protection = writable && immutable == 0 ? PROT_READ | PROT_WRITE : PROT_READ
      guard let base = mmap(nil, Int(size), protection, MAP_SHARED, fd, 0), base != MAP_FAILED else {
        let code = errno
        close(fd)
        throw RPCError(.badArguments, "mapping a region failed: \(errnoText(-code))")
      }
      let file = SharedMemoryFile(
        fd: fd, base: base, byteCount: Int(size), identity: identity, writable: protection & PROT_WRITE != 0)
      let buffer = PageBuffer(adopting: base, byteCount: Int(size), storage: file)
      table[identity] = WeakBuffer(buffer: buffer)
      return buffer
    }
  }
}

/// The shared memory a connection received most recently, kept mapped so that a region sent
/// again (the common case: a client reusing its buffer) costs one `fstat` instead of
/// `fstat` + seal check + `mmap` + page faults + `munmap`. Bounded (`capacity` mappings per
/// connection) and released with the connection: a peer that goes away (or dies) leaves nothing
/// mapped here. Only regions the sender marks as its own lasting shared memory are kept, not the
/// one-off copies of heap memory. Used by the one thread that owns the connection at a time.
final class MappingCache: @unchecked Sendable {
  static let capacity = 4
  private var recent: [PageBuffer] = []

  /// Keeps `buffer` mapped, most recent last; the least recently received goes beyond `capacity`.
  func keep(_ buffer: PageBuffer) {
    if let index = recent.firstIndex(where: { $0 === buffer }) {
      if index == recent.count - 1 { return }
      recent.remove(at: index)
    } else if recent.count == Self.capacity {
      recent.removeFirst()
    }
    recent.append(buffer)
  }

  /// Mappings kept.
  var count: Int { recent.count }
}
