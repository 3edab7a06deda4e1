import CL4Support

#if canImport(Glibc)
  import Glibc
#endif

enum TransferResult {
  case success(receivedTag: L4MessageTag)
  case failure(sender: L4ErrorCode, receiver: L4ErrorCode)
}

extension L4Kernel {
  /// Copies a message with typed items from `sender` to `receiver`. Both are in the
  /// `.transferring` state and the kernel lock is NOT held: string copies may wait for page
  /// faults (up to the transfer timeout) and can be aborted meanwhile.
  func transferTyped(from sender: L4Thread, to receiver: L4Thread, tag: L4MessageTag) -> TransferResult {
    let u = tag.untypedWords
    if u > 0 { (receiver.mr + 1).update(from: sender.mr + 1, count: u) }
    let start = 1 + u
    let limit = start + tag.typedWords
    func fail(_ kind: L4ErrorCode.Kind, offset: UInt64) -> TransferResult {
      .failure(
        sender: L4ErrorCode(kind, phase: .send, offset: offset),
        receiver: L4ErrorCode(kind, phase: .receive, offset: offset))
    }
    guard limit <= 64, let items = L4TypedItem.decodeAll({ sender.mr[$0] }, from: start, limit: limit) else {
      return fail(.messageOverflow, offset: 0)
    }
    let bufferRegisters = L4BufferRegisters(base: receiver.br)
    let acceptor = bufferRegisters.acceptor
    var buffers = bufferRegisters.stringBuffers[...]
    let now = cl4_monotonic_ns()
    let senderLimit = sender.transferTimeouts.send.deadline(from: now)
    let receiverLimit = receiver.transferTimeouts.receive.deadline(from: now)
    let deadline: UInt64? =
      switch (senderLimit, receiverLimit) {
      case (nil, nil): nil
      case (let a?, nil): a
      case (nil, let b?): b
      case (let a?, let b?): min(a, b)
      }

    var received: [L4Word] = []
    var offset: UInt64 = 0
    var index = 0
    while index < items.count {
      switch items[index] {
      case .map(let fpage, let sendBase), .grant(let fpage, let sendBase):
        let isGrant = if case .grant = items[index] { true } else { false }
        let window = acceptor.receiveWindow
        guard !window.isNil, !fpage.isNil else { return fail(.messageOverflow, offset: offset) }
        let placed = place(fpage, sendBase: sendBase, in: window)
        let pieces = sender.space.snapshot(placed.source, placed.source &+ placed.size)
        let rebased = pieces.compactMap { piece -> L4Mapping? in
          var copy = piece
          copy.rights = piece.rights.intersection(fpage.rights)
          guard !copy.rights.isEmpty else { return nil }
          copy.base = placed.destination &+ (piece.base - placed.source)
          return copy
        }
        receiver.space.install(rebased, replacing: placed.destination, placed.destination &+ placed.size)
        if isGrant { sender.space.install([], replacing: placed.source, placed.source &+ placed.size) }
        let shown = L4Fpage(raw: placed.destination & ~0x3FF | L4Word(placed.log2Size) << 4 | L4Word(fpage.rights.rawValue))
        received += (isGrant ? L4TypedItem.grant(fpage: shown, sendBase: sendBase) : .map(fpage: shown, sendBase: sendBase)).words()
        index += 1

      case .string:
        // One logical string: this item and the compound items chained to it.
        var sourcePieces: [(address: UInt64, length: UInt64)] = []
        while index < items.count, case .string(let item) = items[index] {
          for address in item.substrings { sourcePieces.append((address, item.length)) }
          index += 1
          if !item.continues { break }
        }
        guard acceptor.acceptsStrings, let first = buffers.popFirst() else {
          return fail(.messageOverflow, offset: offset)
        }
        var bufferItems = [first]
        while bufferItems.last!.continues, let next = buffers.popFirst() { bufferItems.append(next) }
        var targetPieces: [(address: UInt64, length: UInt64)] = []
        for buffer in bufferItems {
          for address in buffer.substrings { targetPieces.append((address, buffer.length)) }
        }
        let copy = copyString(
          from: sender, pieces: sourcePieces, to: receiver, pieces: targetPieces, deadline: deadline, offset: &offset)
        // An empty string still arrives, as a zero-length item at its buffer.
        let filledPieces = copy.filled.isEmpty ? [(address: targetPieces[0].address, length: UInt64(0))] : copy.filled
        for (i, filled) in filledPieces.enumerated() {
          let more = i + 1 < filledPieces.count
          received += L4StringItem(address: filled.address, length: filled.length, continues: more).words(moreFollow: false)
        }
        switch copy.stop {
        case .none: break
        case .overflow: return fail(.messageOverflow, offset: offset)
        case .aborted: return fail(.aborted, offset: offset)
        case .faultTimeout(let inSender):
          return .failure(
            sender: L4ErrorCode(inSender ? .transferTimeoutInInvoker : .transferTimeoutInPartner, phase: .send, offset: offset),
            receiver: L4ErrorCode(inSender ? .transferTimeoutInPartner : .transferTimeoutInInvoker, phase: .receive, offset: offset))
        }
      }
      if sender.transferAbort.load(ordering: .acquiring) || receiver.transferAbort.load(ordering: .acquiring) {
        return fail(.aborted, offset: offset)
      }
    }
    guard u + received.count <= 63 else { return fail(.messageOverflow, offset: offset) }
    for (i, word) in received.enumerated() { receiver.mr[start + i] = word }
    var receivedTag = tag
    receivedTag.typedWords = received.count
    return .success(receivedTag: receivedTag)
  }

  /// Where a map/grant item lands: the smaller of fpage and window is placed inside the larger
  /// one at the position the send base gives (L4 X.2 receive-window rule).
  private func place(_ fpage: L4Fpage, sendBase: UInt64, in window: L4Fpage)
    -> (source: UInt64, destination: UInt64, size: UInt64, log2Size: Int)
  {
    let fpageSize = fpage.size
    let windowSize = window.size
    if fpageSize <= windowSize {
      let offset = windowSize == .max ? sendBase : sendBase & (windowSize - 1)
      let destination = window.base &+ (offset & ~(fpageSize - 1))
      return (fpage.base, destination, fpageSize, fpage.log2Size)
    }
    let offset = (sendBase & (fpageSize - 1)) & ~(windowSize - 1)
    return (fpage.base &+ offset, window.base, windowSize, window.log2Size)
  }

  enum CopyStop {
    case none
    case overflow
    case aborted
    case faultTimeout(inSender: Bool)
  }

  /// Gathers `sourcePieces` from the sender's space and scatters them into `targetPieces` of
  /// the receiver's space; advances `offset` by what arrived.
  private func copyString(
    from sender: L4Thread, pieces sourcePieces: [(address: UInt64, length: UInt64)],
    to receiver: L4Thread, pieces targetPieces: [(address: UInt64, length: UInt64)],
    deadline: UInt64?, offset: inout UInt64
  ) -> (filled: [(address: UInt64, length: UInt64)], stop: CopyStop) {
    var filled: [(address: UInt64, length: UInt64)] = []
    var sourceIndex = 0
    var sourceDone: UInt64 = 0
    var targetIndex = 0
    var targetDone: UInt64 = 0
    func noteFilled(_ count: UInt64) {
      let address = targetPieces[targetIndex].address
      if let last = filled.last, last.address == address {
        filled[filled.count - 1].length += count
      } else {
        filled.append((address, count))
      }
    }
    while sourceIndex < sourcePieces.count {
      if sourceDone == sourcePieces[sourceIndex].length {
        sourceIndex += 1
        sourceDone = 0
        continue
      }
      guard targetIndex < targetPieces.count else { return (filled, .overflow) }
      if targetDone == targetPieces[targetIndex].length {
        targetIndex += 1
        targetDone = 0
        continue
      }
      // Aborts are noticed where the copy waits (page faults) and between items, like a kernel's
      // preemption points; a copy that runs without faults completes its item.
      let from = sourcePieces[sourceIndex].address &+ sourceDone
      let to = targetPieces[targetIndex].address &+ targetDone
      guard let source = sender.space.resolve(from, write: false) else {
        if let stop = awaitFault(in: sender.space, at: from, write: false, sender: sender, receiver: receiver, deadline: deadline, inSender: true) {
          return (filled, stop)
        }
        continue
      }
      guard let target = receiver.space.resolve(to, write: true) else {
        if let stop = awaitFault(in: receiver.space, at: to, write: true, sender: sender, receiver: receiver, deadline: deadline, inSender: false) {
          return (filled, stop)
        }
        continue
      }
      let count = min(
        sourcePieces[sourceIndex].length - sourceDone, targetPieces[targetIndex].length - targetDone,
        UInt64(source.available), UInt64(target.available))
      L4MemoryObject.copy(from: source.object, at: source.offset, to: target.object, at: target.offset, count: Int(count))
      noteFilled(count)
      sourceDone += count
      targetDone += count
      offset += count
    }
    return (filled, .none)
  }

  /// A page fault during a string copy: ask the space's fault handler, else wait for someone to
  /// map the page until the transfer deadline (or an abort). `nil` means retry the copy.
  private func awaitFault(
    in space: L4AddressSpace, at address: UInt64, write: Bool, sender: L4Thread, receiver: L4Thread,
    deadline: UInt64?, inSender: Bool
  ) -> CopyStop? {
    if space.handleFault(at: address, write: write), space.resolve(address, write: write) != nil { return nil }
    let generation = space.generation.load(ordering: .acquiring)
    while true {
      if sender.transferAbort.load(ordering: .acquiring) || receiver.transferAbort.load(ordering: .acquiring) {
        return .aborted
      }
      if space.generation.load(ordering: .acquiring) != generation { return nil }
      let now = cl4_monotonic_ns()
      if let deadline, now >= deadline { return .faultTimeout(inSender: inSender) }
      // A pager that never answers: poll in short naps so aborts and new mappings are noticed.
      var nap = timespec(tv_sec: 0, tv_nsec: 50_000)
      if let deadline { nap.tv_nsec = Int(min(50_000, deadline - now)) }
      nanosleep(&nap, nil)
    }
  }
}
