import CSocketSupport
@_spi(Transport) import HurdRPC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// One message = one `SOCK_SEQPACKET` datagram plus the descriptors it carries (`SCM_RIGHTS`).
///
/// Layout (little-endian):
///
///     0  magic u32 "HRPC" | version u8 | kind u8 | item-descriptor count u8 | fd count u8
///     8  sequence u64 (a reply echoes its request's)
///    16  MR0 tag u64 (label, flags, u, t)
///    24  time the caller still waits, µs (0 = no deadline)
///    32  inline byte count u32 | reserved u32
///    40  u untyped words
///        item descriptors, 24 bytes each: kind u8 | aux u8 | flags u8 | 0 | fd index u32 (or ~0) |
///        offset u64 | length u64
///        inline bytes (small strings and small grants, concatenated)
///
/// Large data never travels in the datagram: strings above the copy threshold go in a sealed
/// (immutable) memfd, regions always in a memfd whose size is sealed.
enum Wire {
  static let magic: UInt32 = 0x4352_5048  // "HRPC" read as little-endian bytes
  static let version: UInt8 = 1
  static let headerSize = 40
  static let descriptorSize = 24
  static let noDescriptor = UInt32.max
  /// Most item descriptors a message can have: 63 registers, 2 per item or string piece.
  static let maxDescriptors = 31

  enum Kind: UInt8 {
    case call = 1
    case oneWay = 2
    case reply = 3
    /// On a capability's port connection: "adopt the attached socket as a connection to me".
    case connect = 4
  }

  enum ItemKind: UInt8 {
    case inlineString = 1
    case sharedString = 2
    case map = 3
    case grant = 4
    case capability = 5
    case inlineGrant = 6
  }

  /// Item flag: this string piece continues in the next descriptor (compound string).
  static let continues: UInt8 = 1
  /// Item flag of a mapped region: the memfd is the sender's own lasting shared memory (not a
  /// one-off copy), so it may well come again and the receiver keeps it mapped (`MappingCache`).
  static let lasting: UInt8 = 2
}

/// What a message needs besides its bytes when it is sent.
struct OutgoingMessage: ~Copyable {
  /// The datagram's length (when encoded into a caller's buffer).
  var byteCount = 0
  var fds: [Int32] = []
  /// Descriptors created for this send only (temporary memfds, read-only reopenings, made
  /// capabilities): closed once the kernel has its own references, i.e. after the send.
  var temporaries: [Int32] = []
  /// Runs only if the message was delivered (completes a grant or a capability move).
  var onDelivery: [@Sendable () -> Void] = []

  func finish(delivered: Bool) {
    closeAll(temporaries)
    if delivered { for action in onDelivery { action() } }
  }
}

/// What a transport needs to turn capability items into descriptors and back.
protocol CapabilityCodec: Sendable {
  /// Sender side: the descriptor to attach for `item`; `temporary` ones are closed after the send.
  func export(_ item: CapabilityItem) throws(RPCError) -> (fd: Int32, temporary: Bool, onDelivery: (@Sendable () -> Void)?)
  /// Receiver side: installs a received descriptor (taking ownership) and names it.
  func install(_ fd: Int32, disposition: CapabilityDisposition) -> CapabilityName
  /// Receiver side: undoes `install` for a message rejected after it.
  func release(_ name: CapabilityName)
}

struct WireEncoder {
  let inlineThreshold: Int
  let maxInlineBytes: Int
  let capabilities: (any CapabilityCodec)?

  /// What a message becomes besides its header and words: item descriptors and inline bytes.
  private struct Items {
    var descriptors: [(kind: Wire.ItemKind, aux: UInt8, flags: UInt8, fd: Int32?, offset: UInt64, length: UInt64)] = []
    var inline: [UInt8] = []
  }

  /// The datagram's size for a message with `wordCount` words and `items`.
  private static func size(wordCount: Int, _ items: borrowing Items) -> Int {
    Wire.headerSize + 8 * wordCount + Wire.descriptorSize * items.descriptors.count + items.inline.count
  }

  /// Writes the datagram into `buffer` (which must hold `maxDatagram` bytes of the transport's
  /// configuration) and returns its length (`byteCount`) and the descriptors to attach. The hot
  /// path: no allocation for a message of words only.
  func encode(
    _ message: borrowing Message, kind: Wire.Kind, sequence: UInt64, waitMicroseconds: UInt64,
    into buffer: UnsafeMutableRawBufferPointer
  ) throws(RPCError) -> OutgoingMessage {
    var outgoing = OutgoingMessage()
    do throws(RPCError) {
      let items = try collect(message, &outgoing)
      let count = Self.size(wordCount: message.wordCount, items)
      guard count <= buffer.count else {
        throw RPCError(.badArguments, "a \(count)-byte datagram exceeds the \(buffer.count)-byte limit")
      }
      Self.write(message, kind: kind, sequence: sequence, waitMicroseconds: waitMicroseconds, items, &outgoing, into: buffer)
      outgoing.byteCount = count
      return outgoing
    } catch {
      outgoing.finish(delivered: false)
      throw error
    }
  }

  /// Writes the datagram into `bytes` (replaced) and returns the descriptors to attach.
  func encode(
    _ message: borrowing Message, kind: Wire.Kind, sequence: UInt64, waitMicroseconds: UInt64, into bytes: inout [UInt8]
  ) throws(RPCError) -> OutgoingMessage {
    var outgoing = OutgoingMessage()
    do throws(RPCError) {
      let items = try collect(message, &outgoing)
      bytes = [UInt8](unsafeUninitializedCapacity: Self.size(wordCount: message.wordCount, items)) { buffer, initialized in
        Self.write(
          message, kind: kind, sequence: sequence, waitMicroseconds: waitMicroseconds, items, &outgoing,
          into: UnsafeMutableRawBufferPointer(buffer))
        initialized = buffer.count
      }
      outgoing.byteCount = bytes.count
      return outgoing
    } catch {
      outgoing.finish(delivered: false)
      throw error
    }
  }

  /// Turns the typed items into descriptors and inline bytes (making memfds and exporting
  /// capabilities as needed; what must be closed or completed after the send goes to `outgoing`).
  private func collect(_ message: borrowing Message, _ outgoing: inout OutgoingMessage) throws(RPCError) -> Items {
    var collected = Items()
    guard !message.items.isEmpty else { return collected }
    for item in message.items {
      switch item {
      case .string(let string):
        let pieces = string.pieces
        for (index, piece) in pieces.enumerated() {
          let flags: UInt8 = index + 1 < pieces.count ? Wire.continues : 0
          if piece.count <= inlineThreshold && collected.inline.count + piece.count <= maxInlineBytes {
            collected.descriptors.append(
              (.inlineString, string.cacheHint, flags, nil, UInt64(collected.inline.count), UInt64(piece.count)))
            collected.inline.append(contentsOf: piece)
          } else {
            let fd = try Self.sealedCopy(piece)
            outgoing.temporaries.append(fd)
            collected.descriptors.append((.sharedString, string.cacheHint, flags, fd, 0, UInt64(piece.count)))
          }
        }
      case .region(let item):
        let region = item.region
        let file = SharedMemory.file(of: region.buffer)
        if item.kind == .grant, file == nil {
          // Heap memory cannot move to another process: it travels as a copy, and once the copy
          // is delivered the sender's window is wiped — the observable side of a move.
          outgoing.onDelivery.append { SharedMemory.relinquish(heap: region) }
          if region.count <= inlineThreshold, collected.inline.count + region.count <= maxInlineBytes {
            collected.descriptors.append(
              (.inlineGrant, item.rights.rawValue, 0, nil, UInt64(collected.inline.count), UInt64(region.count)))
            region.withUnsafeBytes { collected.inline.append(contentsOf: $0) }
            continue
          }
        }
        let (fd, offset) = try shareable(region, rights: item.rights, &outgoing)
        if item.kind == .grant, let file {
          outgoing.onDelivery.append { file.relinquish() }
        }
        let flags = item.kind == .map && file != nil ? Wire.lasting : 0
        collected.descriptors.append(
          (item.kind == .map ? .map : .grant, item.rights.rawValue, flags, fd, offset, UInt64(region.count)))
      case .capability(let item):
        guard let capabilities else {
          throw RPCError(.unsupported, "this socket transport has no capability space to send \(item.name) from")
        }
        let exported = try capabilities.export(item)
        if exported.temporary { outgoing.temporaries.append(exported.fd) }
        if let action = exported.onDelivery { outgoing.onDelivery.append(action) }
        collected.descriptors.append((.capability, UInt8(item.disposition.machTypeName), 0, exported.fd, 0, 0))
      }
    }
    guard collected.descriptors.count <= Wire.maxDescriptors else {
      throw RPCError(.badArguments, "\(collected.descriptors.count) item descriptors; at most \(Wire.maxDescriptors)")
    }
    return collected
  }

  /// Lays out header, words, item descriptors and inline bytes; `buffer` holds exactly
  /// `size(wordCount:items)` bytes or more. The descriptors to attach are appended to `outgoing`.
  private static func write(
    _ message: borrowing Message, kind: Wire.Kind, sequence: UInt64, waitMicroseconds: UInt64, _ items: borrowing Items,
    _ outgoing: inout OutgoingMessage, into buffer: UnsafeMutableRawBufferPointer
  ) {
    let base = buffer.baseAddress!
    var fdCount: UInt8 = 0
    for descriptor in items.descriptors where descriptor.fd != nil { fdCount += 1 }
    base.storeBytes(of: Wire.magic.littleEndian, as: UInt32.self)
    base.storeBytes(of: Wire.version, toByteOffset: 4, as: UInt8.self)
    base.storeBytes(of: kind.rawValue, toByteOffset: 5, as: UInt8.self)
    base.storeBytes(of: UInt8(items.descriptors.count), toByteOffset: 6, as: UInt8.self)
    base.storeBytes(of: fdCount, toByteOffset: 7, as: UInt8.self)
    base.storeBytes(of: sequence.littleEndian, toByteOffset: 8, as: UInt64.self)
    base.storeBytes(of: message.tag.rawValue.littleEndian, toByteOffset: 16, as: UInt64.self)
    base.storeBytes(of: waitMicroseconds.littleEndian, toByteOffset: 24, as: UInt64.self)
    base.storeBytes(of: UInt32(items.inline.count).littleEndian, toByteOffset: 32, as: UInt32.self)
    base.storeBytes(of: UInt32(0), toByteOffset: 36, as: UInt32.self)
    var at = Wire.headerSize
    // Word by word through the subscript: reading a borrowed message's words as one buffer would
    // copy all 63 registers first.
    for index in 0..<message.wordCount {
      base.storeBytes(of: message[index].littleEndian, toByteOffset: at, as: UInt64.self)
      at += 8
    }
    for descriptor in items.descriptors {
      base.storeBytes(of: descriptor.kind.rawValue, toByteOffset: at, as: UInt8.self)
      base.storeBytes(of: descriptor.aux, toByteOffset: at + 1, as: UInt8.self)
      base.storeBytes(of: descriptor.flags, toByteOffset: at + 2, as: UInt8.self)
      base.storeBytes(of: UInt8(0), toByteOffset: at + 3, as: UInt8.self)
      if let fd = descriptor.fd {
        base.storeBytes(of: UInt32(outgoing.fds.count).littleEndian, toByteOffset: at + 4, as: UInt32.self)
        outgoing.fds.append(fd)
      } else {
        base.storeBytes(of: Wire.noDescriptor.littleEndian, toByteOffset: at + 4, as: UInt32.self)
      }
      base.storeBytes(of: descriptor.offset.littleEndian, toByteOffset: at + 8, as: UInt64.self)
      base.storeBytes(of: descriptor.length.littleEndian, toByteOffset: at + 16, as: UInt64.self)
      at += Wire.descriptorSize
    }
    items.inline.withUnsafeBytes { inline in
      if inline.count > 0 { (base + at).copyMemory(from: inline.baseAddress!, byteCount: inline.count) }
    }
  }

  /// The descriptor and file offset that share `region` with the receiver: its own memfd when it
  /// is shared memory (reopened read-only when the receiver may not write), otherwise a fresh
  /// memfd holding a copy of the heap bytes.
  private func shareable(_ region: MemoryRegion, rights: AccessRights, _ outgoing: inout OutgoingMessage)
    throws(RPCError) -> (Int32, UInt64)
  {
    if let file = SharedMemory.file(of: region.buffer), let fd = file.descriptor {
      let offset = UInt64(region.buffer.baseAddress - file.base + region.offset)
      if rights.contains(.write) { return (fd, offset) }
      return (try file.readOnlyDescriptor(), offset)
    }
    let pages = max(1, (region.count + PageBuffer.pageSize - 1) / PageBuffer.pageSize)
    let fd = hurd_memfd_create("hurdrpc-region", UInt64(pages * PageBuffer.pageSize))
    guard fd >= 0 else { throw RPCError(.unsupported, "memfd_create failed: \(errnoText(fd))") }
    outgoing.temporaries.append(fd)
    try Self.write(fd, region)
    let sealed = hurd_memfd_seal(fd, 0)
    guard sealed == 0 else { throw RPCError(.unsupported, "sealing a region failed: \(errnoText(sealed))") }
    return (fd, 0)
  }

  /// A memfd holding `bytes`, sealed so the receiver reads exactly what was sent.
  static func sealedCopy(_ bytes: [UInt8]) throws(RPCError) -> Int32 {
    let fd = hurd_memfd_create("hurdrpc-string", UInt64(bytes.count))
    guard fd >= 0 else { throw RPCError(.unsupported, "memfd_create failed: \(errnoText(fd))") }
    do throws(RPCError) {
      // Array.withUnsafeBytes rethrows untyped errors: carry the typed one out as a Result.
      try bytes.withUnsafeBytes { raw in Result { () throws(RPCError) in try write(fd, raw) } }.get()
      let sealed = hurd_memfd_seal(fd, 1)
      guard sealed == 0 else { throw RPCError(.unsupported, "sealing a string failed: \(errnoText(sealed))") }
    } catch {
      close(fd)
      throw error
    }
    return fd
  }

  private static func write(_ fd: Int32, _ region: MemoryRegion) throws(RPCError) {
    try region.withUnsafeBytes { (raw) throws(RPCError) in try write(fd, raw) }
  }

  private static func write(_ fd: Int32, _ raw: UnsafeRawBufferPointer) throws(RPCError) {
    var done = 0
    while done < raw.count {
      let n = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(done))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw RPCError(.unsupported, "writing shared memory failed: \(errnoText(-errno))") }
      done += n
    }
  }

}

/// A received datagram, decoded and checked. Anything inconsistent — wrong magic or version, a
/// length that disagrees with the byte count, a descriptor index out of range or used twice, a
/// descriptor nobody refers to, a memfd without the required seals — rejects the whole message and
/// closes every descriptor that came with it.
struct IncomingMessage {
  var kind: Wire.Kind
  var sequence: UInt64
  var waitMicroseconds: UInt64
  var message: Message
}

struct WireDecoder {
  let capabilities: (any CapabilityCodec)?

  /// Decodes `bytes` (the datagram) with the descriptors that came with it. Takes ownership of
  /// `fds`: on success they belong to the message's items, on failure they are closed. Lasting
  /// shared memory that arrives is kept mapped in `mappings` (the connection's).
  func decode(
    _ bytes: UnsafeRawBufferPointer, fds: [Int32], into message: inout Message, keepingIn mappings: MappingCache? = nil
  ) throws(RPCError) -> (kind: Wire.Kind, sequence: UInt64, waitMicroseconds: UInt64) {
    var used = [Bool](repeating: false, count: fds.count)
    var installed: [CapabilityName] = []
    do throws(RPCError) {
      return try decode(bytes, fds: fds, used: &used, installed: &installed, into: &message, mappings)
    } catch {
      // Descriptors not yet handed to an item are closed here; adopted ones close with their item.
      for (index, fd) in fds.enumerated() where !used[index] { close(fd) }
      for name in installed { capabilities?.release(name) }
      throw error
    }
  }

  private func decode(
    _ bytes: UnsafeRawBufferPointer, fds: [Int32], used: inout [Bool], installed: inout [CapabilityName],
    into message: inout Message, _ mappings: MappingCache?
  ) throws(RPCError) -> (kind: Wire.Kind, sequence: UInt64, waitMicroseconds: UInt64) {
    guard bytes.count >= Wire.headerSize else { throw Self.malformed("\(bytes.count)-byte datagram is shorter than a header") }
    guard load32(bytes, 0) == Wire.magic, bytes[4] == Wire.version else { throw Self.malformed("bad magic or version") }
    guard let kind = Wire.Kind(rawValue: bytes[5]) else { throw Self.malformed("unknown message kind \(bytes[5])") }
    let descriptorCount = Int(bytes[6])
    let fdCount = Int(bytes[7])
    guard fdCount == fds.count else {
      throw Self.malformed("header announces \(fdCount) descriptors, \(fds.count) arrived")
    }
    let sequence = load64(bytes, 8)
    let tag = MessageTag(rawValue: load64(bytes, 16))
    let wait = load64(bytes, 24)
    let inlineCount = Int(load32(bytes, 32))
    let wordCount = tag.untypedCount
    let descriptorsStart = Wire.headerSize + 8 * wordCount
    let inlineStart = descriptorsStart + Wire.descriptorSize * descriptorCount
    guard descriptorCount <= Wire.maxDescriptors, wordCount <= Message.capacity,
      inlineStart + inlineCount == bytes.count
    else {
      throw Self.malformed("lengths do not add up to the \(bytes.count)-byte datagram")
    }
    var items: [TypedItem] = []
    var pieces: [[UInt8]] = []
    for index in 0..<descriptorCount {
      let at = descriptorsStart + index * Wire.descriptorSize
      guard let itemKind = Wire.ItemKind(rawValue: bytes[at]) else { throw Self.malformed("unknown item kind \(bytes[at])") }
      let aux = bytes[at + 1]
      let flags = bytes[at + 2]
      let fdIndex = load32(bytes, at + 4)
      let offset = load64(bytes, at + 8)
      let length = load64(bytes, at + 16)
      var fd: Int32? = nil
      if fdIndex != Wire.noDescriptor {
        guard Int(fdIndex) < fds.count, !used[Int(fdIndex)] else { throw Self.malformed("descriptor index \(fdIndex) invalid or reused") }
        used[Int(fdIndex)] = true
        fd = fds[Int(fdIndex)]
      }
      let needsFD: Bool
      switch itemKind {
      case .inlineString, .inlineGrant: needsFD = false
      case .sharedString, .map, .grant, .capability: needsFD = true
      }
      guard needsFD == (fd != nil) else { throw Self.malformed("item \(index) \(needsFD ? "lacks" : "has") a descriptor") }
      guard itemKind == .inlineString || itemKind == .sharedString || pieces.isEmpty else {
        throw Self.malformed("a compound string ends in a non-string item")
      }
      switch itemKind {
      case .inlineString, .inlineGrant:
        guard offset <= UInt64(inlineCount), length <= UInt64(inlineCount) - offset else {
          throw Self.malformed("inline item \(index) lies outside the inline bytes")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[(inlineStart + Int(offset))..<(inlineStart + Int(offset + length))])
        if itemKind == .inlineString {
          pieces.append(Array(slice))
          if flags & Wire.continues == 0 {
            items.append(.string(StringItem(pieces: pieces, cacheHint: aux)))
            pieces = []
          }
        } else {
          let region = MemoryRegion(copying: slice)
          items.append(.region(.grant(region, rights: AccessRights(rawValue: aux & 0x7))))
        }
      case .sharedString:
        let piece: [UInt8]
        do throws(RPCError) {
          piece = try Self.readSealed(fd!, offset: offset, length: length)
          close(fd!)
        } catch {
          close(fd!)
          throw error
        }
        pieces.append(piece)
        if flags & Wire.continues == 0 {
          items.append(.string(StringItem(pieces: pieces, cacheHint: aux)))
          pieces = []
        }
      case .map, .grant:
        let rights = AccessRights(rawValue: aux & 0x7)
        let buffer = try SharedMemory.adopt(fd: fd!, writable: rights.contains(.write))
        guard offset <= UInt64(buffer.byteCount), length <= UInt64(buffer.byteCount) - offset,
          let region = MemoryRegion(buffer: buffer).slice(offset: Int(offset), count: Int(length))
        else {
          throw Self.malformed("region item \(index) lies outside its memory")
        }
        if itemKind == .map, flags & Wire.lasting != 0 { mappings?.keep(buffer) }
        items.append(.region(RegionItem(itemKind == .map ? .map : .grant, region, rights: rights)))
      case .capability:
        guard let disposition = CapabilityDisposition(machTypeName: UInt32(aux)) else {
          throw Self.malformed("unknown capability disposition \(aux)")
        }
        guard let capabilities else {
          throw RPCError(.unsupported, "a capability arrived but this transport has no capability space")
        }
        let name = capabilities.install(fd!, disposition: disposition)
        installed.append(name)
        items.append(.capability(CapabilityItem(name, disposition: disposition)))
      }
    }
    guard pieces.isEmpty else { throw Self.malformed("the last string piece says it continues") }
    guard !used.contains(false) else { throw Self.malformed("\(used.count { !$0 }) descriptors belong to no item") }
    let wordsStart = bytes.baseAddress! + Wire.headerSize
    if 1.littleEndian == 1, Int(bitPattern: wordsStart) % MemoryLayout<UInt64>.alignment == 0 {
      // A receive buffer is 16-byte aligned, so the words are 8-byte aligned: load them in place.
      try wordsStart.withMemoryRebound(to: UInt64.self, capacity: wordCount) { (words) throws(RPCError) in
        try message.load(tag: tag, words: UnsafeBufferPointer(start: words, count: wordCount), items: items)
      }
    } else {
      var words = InlineArray<63, UInt64>(repeating: 0)
      for index in 0..<wordCount { words[index] = load64(bytes, Wire.headerSize + 8 * index) }
      try words.span.withUnsafeBufferPointer { (buffer) throws(RPCError) in
        try message.load(tag: tag, words: buffer, items: items)
      }
    }
    return (kind, sequence, wait)
  }

  /// Reads a string piece from a memfd that must be sealed immutable (so the bytes cannot change
  /// while being read) and long enough.
  static func readSealed(_ fd: Int32, offset: UInt64, length: UInt64) throws(RPCError) -> [UInt8] {
    var sizeFixed: Int32 = 0
    var immutable: Int32 = 0
    var size: UInt64 = 0
    var device: UInt64 = 0
    var inode: UInt64 = 0
    let inspected = hurd_memfd_inspect(fd, &sizeFixed, &immutable, &size, &device, &inode)
    guard inspected == 0, sizeFixed != 0, immutable != 0 else {
      throw malformed("a shared string must be a memfd sealed against writes and shrinking")
    }
    guard offset <= size, length <= size - offset, length <= 1 << 32 else {
      throw malformed("a shared string lies outside its memfd")
    }
    let count = Int(length)
    var failed = false
    let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      var done = 0
      while done < count {
        let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        done += n
      }
      failed = done < count
      initialized = done
    }
    guard !failed else { throw malformed("reading a shared string failed") }
    return bytes
  }

  static func malformed(_ detail: String) -> RPCError {
    RPCError(.badArguments, "malformed message: \(detail)")
  }
}

@inline(__always) func load32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
  UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

@inline(__always) func load64(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
  UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}
