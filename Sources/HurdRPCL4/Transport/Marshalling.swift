import HurdRPC

/// Sizes of the per-thread memory the transport sets up in a thread's address space for typed
/// items: a staging area for outgoing strings and receive string buffers for incoming ones.
public struct L4TransportConfiguration: Sendable, Hashable {
  /// Bytes per receive string buffer (one logical string per buffer).
  public var stringBufferSize: Int
  /// Number of receive string buffers (1…16): the most string items one message can carry.
  public var stringBufferCount: Int

  public init(stringBufferSize: Int = 64 * 1024, stringBufferCount: Int = 4) {
    self.stringBufferSize = max(4096, stringBufferSize)
    self.stringBufferCount = min(16, max(1, stringBufferCount))
  }

  public static let `default` = L4TransportConfiguration()
}

/// One L4 thread's transport memory, in its own space. Layout of the thread's private 4 GiB
/// block at `(thread number + 64) << 32`: the lower 2 GiB are the receive window for map/grant
/// items, the upper 2 GiB hold regions this thread sends (attached only while they travel).
final class TransportThreadState {
  let space: L4AddressSpace
  let window: L4Fpage
  let attachBase: UInt64
  @exclusivity(unchecked) var staging: UInt64
  @exclusivity(unchecked) var stagingSize: UInt64
  let buffers: UInt64
  let bufferSize: UInt64
  let bufferCount: Int
  /// Attachments of regions sent in the previous reply: detached before the next message.
  @exclusivity(unchecked) var attached: [L4Fpage] = []
  /// A server thread's request and reply buffers, reused from call to call. Behind pointers so
  /// the dispatcher borrows them in place (a class property would be copied, 512 bytes, per use).
  let request: UnsafeMutablePointer<Message>
  let reply: UnsafeMutablePointer<Message>
  /// Capabilities exported for the reply just loaded, finished once its send's outcome is known.
  @exclusivity(unchecked) var replyExports: (CapabilityRoute, [PendingExport])? = nil

  static let attachSpan: UInt64 = 1 << 31

  init(thread: L4Thread, configuration: L4TransportConfiguration) throws(L4MemoryError) {
    space = thread.space
    let block = (UInt64(thread.id.number) + 64) << 32
    window = L4Fpage(base: block, log2Size: 31)!
    attachBase = block + Self.attachSpan
    bufferSize = UInt64(configuration.stringBufferSize + 4095) / 4096 * 4096
    bufferCount = configuration.stringBufferCount
    buffers = try space.allocate(size: bufferSize * UInt64(bufferCount))
    stagingSize = bufferSize
    staging = try space.allocate(size: stagingSize)
    request = .allocate(capacity: 1)
    request.initialize(to: Message(label: 0))
    reply = .allocate(capacity: 1)
    reply.initialize(to: Message(label: 0))
  }

  deinit {
    request.deinitialize(count: 1)
    request.deallocate()
    reply.deinitialize(count: 1)
    reply.deallocate()
  }

  static func of(_ thread: L4Thread, _ configuration: L4TransportConfiguration) throws(RPCError) -> TransportThreadState {
    if let state = thread.transportState as? TransportThreadState { return state }
    do throws(L4MemoryError) {
      let state = try TransportThreadState(thread: thread, configuration: configuration)
      thread.transportState = state
      state.acceptAll(L4BufferRegisters(base: thread.br))
      return state
    } catch {
      throw RPCError(.unsupported, "cannot set up transport buffers: \(error)", cause: error)
    }
  }

  /// BR0 and the string buffers: accept strings and mappings into the window.
  func acceptAll(_ br: L4BufferRegisters) {
    let items = (0..<bufferCount).map {
      L4StringItem(address: buffers + UInt64($0) * bufferSize, length: bufferSize)
    }
    br.accept(receiveWindow: window, stringBuffers: items)
  }

  func detachPrevious() {
    for fpage in attached { space.unmap(fpage) }
    attached.removeAll(keepingCapacity: true)
  }

  fileprivate func ensureStaging(_ bytes: Int) throws(RPCError) {
    guard UInt64(bytes) > stagingSize else { return }
    var size = stagingSize
    while size < UInt64(bytes) { size <<= 1 }
    do throws(L4MemoryError) {
      let base = try space.allocate(size: size)
      space.unmap(L4Fpage(base: staging, log2Size: log2(stagingSize))!)
      staging = base
      stagingSize = size
    } catch {
      throw RPCError(.arrayTooLarge, "strings of \(bytes) bytes do not fit the staging area", cause: error)
    }
  }
}

func log2(_ size: UInt64) -> Int {
  var shift = 12
  while (1 << UInt64(shift)) < size { shift += 1 }
  return shift
}

/// Encoding of runtime messages into message registers and back.
///
/// Untyped words go to MR1…; after them, for each region item, two transport words (offset and
/// count of the region inside its page buffer, which the map/grant item cannot express); then the
/// typed items: each string piece as one string item (pieces chained with the compound flag),
/// each region as a map or grant item of the whole page buffer. Capabilities are not supported.
enum L4Marshalling {
  /// Loads `message` into `thread`'s MRs (staging strings, attaching regions in its space).
  /// With `route`, capability items are exported (docs/capabilities.md §2); the exports are
  /// returned so the caller can finish them once the IPC's outcome is known. Without it, a
  /// capability item fails `.unsupported`. (`inout` only so the words are read in place: see
  /// `Message.withUnsafeWordsInPlace`.)
  @discardableResult
  static func load(
    _ message: inout Message, into thread: L4Thread, configuration: L4TransportConfiguration,
    route: CapabilityRoute? = nil
  ) throws(RPCError) -> [PendingExport] {
    let mr = thread.mr
    let u = message.wordCount
    message.withUnsafeWordsInPlace { words in
      if u > 0 { (mr + 1).update(from: words.baseAddress!, count: u) }
    }
    let items = message.items
    if items.isEmpty {
      mr[0] = L4MessageTag(label: message.label, untyped: u, typed: 0).raw
      return []
    }
    let state = try TransportThreadState.of(thread, configuration)
    state.detachPrevious()
    var stringBytes = 0
    var regionCount = 0
    var capabilityCount = 0
    for item in items {
      switch item {
      case .string(let string): stringBytes += string.byteCount
      case .region: regionCount += 1
      case .capability:
        guard route != nil else {
          throw RPCError(.unsupported, "this L4 transport has no capability system to carry capabilities")
        }
        capabilityCount += 1
      }
    }
    let typedWords = items.reduce(0) { $0 + $1.wordCount }
    let countWord = capabilityCount > 0 ? 1 : 0
    guard u + 2 * regionCount + typedWords + countWord <= 63 else {
      throw RPCError(.badArguments, "message with \(regionCount) regions needs \(2 * regionCount) more words than fit")
    }
    guard capabilityCount <= CapabilityRoute.maximumCount, message.label & CapabilityRoute.labelBit == 0 else {
      throw RPCError(.badArguments, "more than \(CapabilityRoute.maximumCount) capabilities, or a label using bit 47")
    }
    try state.ensureStaging(stringBytes)
    var index = 1 + u
    // Region trailer words first (they are untyped).
    for item in items {
      guard case .region(let region) = item else { continue }
      mr[index] = UInt64(region.region.offset)
      mr[index + 1] = UInt64(region.region.count)
      index += 2
    }
    // Capability trailer words (filled in last, once nothing else can fail), then their count.
    let capabilityWords = index
    index += 2 * capabilityCount + countWord
    let untyped = index - 1
    var stagingOffset: UInt64 = 0
    var slot: UInt64 = 0
    for item in items {
      switch item {
      case .string(let string):
        let pieces = string.pieces
        for (p, piece) in pieces.enumerated() {
          let address = state.staging + stagingOffset
          if !piece.isEmpty {
            do throws(L4MemoryError) {
              try state.space.write(piece, at: address)
            } catch {
              throw RPCError(.badArguments, "cannot stage string: \(error)", cause: error)
            }
          }
          let words = L4StringItem(address: address, length: UInt64(piece.count), continues: p + 1 < pieces.count)
            .words(moreFollow: false)
          mr[index] = words[0]
          mr[index + 1] = words[1]
          index += 2
          stagingOffset += UInt64(piece.count)
        }
      case .region(let regionItem):
        let buffer = regionItem.region.buffer
        let size = UInt64(buffer.byteCount)
        let log2Size = log2(size)
        let slotSize = UInt64(1) << UInt64(log2Size)
        let base = (state.attachBase + slot + slotSize - 1) / slotSize * slotSize
        guard base + slotSize <= state.attachBase + TransportThreadState.attachSpan else {
          throw RPCError(.arrayTooLarge, "regions too large for one message")
        }
        slot = base + slotSize - state.attachBase
        let rights = L4Rights(rawValue: regionItem.rights.rawValue)
        let object = L4MemoryObject(external: buffer.baseAddress, size: buffer.byteCount, owner: buffer)
        state.space.install(
          [L4Mapping(base: base, size: size, object: object, objectOffset: 0, rights: rights)],
          replacing: base, base + slotSize)
        let fpage = L4Fpage(base: base, log2Size: log2Size, rights: rights)!
        state.attached.append(fpage)
        // The send base places each region in its own part of the receiver's window.
        let sendBase = base - state.attachBase
        let words =
          regionItem.kind == .grant
          ? L4TypedItem.grant(fpage: fpage, sendBase: sendBase).words() : L4TypedItem.map(fpage: fpage, sendBase: sendBase).words()
        mr[index] = words[0]
        mr[index + 1] = words[1]
        index += 2
      case .capability:
        break  // trailer words, below
      }
    }
    var label = message.label
    var exports: [PendingExport] = []
    if let route, capabilityCount > 0 {
      exports = try route.export(items)
      for (n, export) in exports.enumerated() {
        mr[capabilityWords + 2 * n] = export.exported.server
        mr[capabilityWords + 2 * n + 1] = export.exported.token
      }
      mr[capabilityWords + 2 * capabilityCount] = UInt64(capabilityCount)
      label |= CapabilityRoute.labelBit
    }
    mr[0] = L4MessageTag(label: label, untyped: untyped, typed: index - 1 - untyped).raw
    return exports
  }

  /// Rebuilds the message just received in `thread`'s MRs into `message` (reusing its storage:
  /// no zero-fill, no copy of the 512-byte value for register-only messages).
  static func store(
    from thread: L4Thread, into message: inout Message, configuration: L4TransportConfiguration,
    route: CapabilityRoute? = nil
  ) throws(RPCError) {
    let mr = thread.mr
    let l4Tag = L4MessageTag(raw: mr[0])
    guard l4Tag.typedWords == 0, l4Tag.label & CapabilityRoute.labelBit == 0 else {
      message = try store(from: thread, configuration: configuration, route: route)
      return
    }
    message.reset(label: l4Tag.label)
    message.flags = MessageTag.Flags(rawValue: UInt8(truncatingIfNeeded: l4Tag.raw >> 12) & 0x3)
    for index in 0..<l4Tag.untypedWords { try message.append(mr[1 + index]) }
  }

  /// Rebuilds the message just received in `thread`'s MRs (reading strings from its buffers and
  /// turning received mappings back into regions).
  static func store(from thread: L4Thread, configuration: L4TransportConfiguration, route: CapabilityRoute? = nil)
    throws(RPCError) -> Message
  {
    let mr = thread.mr
    var l4Tag = L4MessageTag(raw: mr[0])
    let flags = l4Tag.raw & 0x3000  // propagated, redirected
    var exported: [ExportedCapability] = []
    var untypedTotal = l4Tag.untypedWords
    if l4Tag.label & CapabilityRoute.labelBit != 0 {
      // Capability trailer: read and strip it before anything else looks at the words.
      guard untypedTotal >= 1 else { throw RPCError(.badArguments, "capability trailer missing") }
      let count = mr[untypedTotal]
      guard count >= 1, count <= UInt64(CapabilityRoute.maximumCount), 2 * Int(count) + 1 <= untypedTotal else {
        throw RPCError(.badArguments, "malformed capability trailer (\(count) capabilities)")
      }
      let first = untypedTotal - 2 * Int(count)
      exported = (0..<Int(count)).map { ExportedCapability(server: mr[first + 2 * $0], token: mr[first + 2 * $0 + 1]) }
      untypedTotal = first - 1
      l4Tag = L4MessageTag(label: l4Tag.label & ~CapabilityRoute.labelBit, untyped: untypedTotal, typed: l4Tag.typedWords)
    }
    guard exported.isEmpty || route != nil else {
      throw RPCError(.badArguments, "capabilities received by a transport without a capability system")
    }
    let message: Message
    do throws(RPCError) {
      message = try storeItems(from: thread, tag: l4Tag, flags: flags, configuration: configuration)
    } catch {
      // Refuse the capabilities of a message we reject, so their transfers do not linger.
      if let route { route.release(route.import(exported).map { .capability($0.item) }) }
      throw error
    }
    guard let route, !exported.isEmpty else { return message }
    // Import (step 3 of the copy protocol) and put each capability back at its position.
    let imported = route.import(exported)
    var items = message.items
    var positions = Set<Int>()
    for (index, _) in imported.sorted(by: { $0.index < $1.index }) {
      guard index <= items.count + positions.count, positions.insert(index).inserted else {
        route.release(imported.map { .capability($0.item) })
        throw RPCError(.badArguments, "capability trailer names item position \(index) twice or out of range")
      }
    }
    for (index, item) in imported.sorted(by: { $0.index < $1.index }) { items.insert(.capability(item), at: index) }
    var tag = message.tag
    tag.typedCount += 2 * imported.count
    do throws(RPCError) {
      return try message.withUnsafeWords { (words) throws(RPCError) -> Message in
        try Message(tag: tag, words: words, items: items)
      }
    } catch {
      route.release(items)
      throw error
    }
  }

  /// `store` without the capability trailer: strings and regions.
  private static func storeItems(
    from thread: L4Thread, tag l4Tag: L4MessageTag, flags: UInt64, configuration: L4TransportConfiguration
  ) throws(RPCError) -> Message {
    let mr = thread.mr
    if l4Tag.typedWords == 0 {
      var tag = MessageTag(label: l4Tag.label, untypedCount: l4Tag.untypedWords, typedCount: 0)
      tag.rawValue |= flags
      return try Message(tag: tag, words: UnsafeBufferPointer(start: mr + 1, count: l4Tag.untypedWords))
    }
    let state = try TransportThreadState.of(thread, configuration)
    guard let l4Items = L4MessageRegisters(base: mr).typedItems else {
      throw RPCError(.badArguments, "malformed typed items")
    }
    var regionCount = 0
    for item in l4Items {
      switch item {
      case .map, .grant: regionCount += 1
      case .string: break
      }
    }
    let u = l4Tag.untypedWords - 2 * regionCount
    guard u >= 0 else { throw RPCError(.badArguments, "region trailer missing") }
    var items: [TypedItem] = []
    var pending: [UInt8] = []
    var regionIndex = 0
    for item in l4Items {
      switch item {
      case .string(let string):
        let bytes: [UInt8]
        do throws(L4MemoryError) {
          bytes = try state.space.read(at: string.substrings[0], count: Int(string.length))
        } catch {
          throw RPCError(.badArguments, "cannot read received string: \(error)", cause: error)
        }
        pending += bytes
        if !string.continues {
          items.append(.string(StringItem(pending)))
          pending.removeAll()
        }
      case .map(let fpage, _), .grant(let fpage, _):
        // The trailer words come from the sender: check them against the fpage before any
        // conversion or allocation, so a forged trailer is a bad request, not a trap.
        let rawOffset = mr[1 + u + 2 * regionIndex]
        let rawCount = mr[2 + u + 2 * regionIndex]
        regionIndex += 1
        guard rawOffset <= fpage.size, rawCount <= fpage.size - rawOffset, fpage.size <= UInt64(Int.max) else {
          throw RPCError(
            .badArguments, "region offset \(rawOffset) and length \(rawCount) lie outside the \(fpage.size)-byte fpage")
        }
        let offset = Int(rawOffset)
        let count = Int(rawCount)
        let region: MemoryRegion
        if let (owner, ownerOffset) = state.space.externalOwner(at: fpage.base), let buffer = owner as? PageBuffer,
          let slice = MemoryRegion(buffer: buffer).slice(offset: Int(ownerOffset) + offset, count: count)
        {
          region = slice
        } else {
          // Memory that is not a runtime page buffer: hand over a copy of the bytes.
          let bytes: [UInt8]
          do throws(L4MemoryError) {
            bytes = try state.space.read(at: fpage.base + UInt64(offset), count: count)
          } catch {
            throw RPCError(.badArguments, "cannot read received region: \(error)", cause: error)
          }
          region = MemoryRegion(copying: bytes)
        }
        let rights = AccessRights(rawValue: fpage.rights.rawValue)
        let isGrant = if case .grant = item { true } else { false }
        items.append(.region(isGrant ? .grant(region, rights: rights) : .map(region, rights: rights)))
      }
    }
    if regionCount > 0 { state.space.unmap(state.window) }
    if !pending.isEmpty { items.append(.string(StringItem(pending))) }
    var tag = MessageTag(label: l4Tag.label, untypedCount: u, typedCount: items.reduce(0) { $0 + $1.wordCount })
    tag.rawValue |= flags
    return try Message(tag: tag, words: UnsafeBufferPointer(start: mr + 1, count: u), items: items)
  }
}
