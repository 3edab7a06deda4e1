import HurdRPC
import Testing

@Suite("Message and typed items")
struct MessageTests {
  @Test func tagLayoutMatchesL4() {
    var tag = MessageTag(label: 0x1234, untypedCount: 5, typedCount: 4)
    #expect(tag.rawValue == (0x1234 << 16) | (4 << 6) | 5)
    tag.flags = [.propagated, .error]
    #expect(tag.rawValue & 0xF000 == 0x9000)
    #expect(tag.label == 0x1234 && tag.untypedCount == 5 && tag.typedCount == 4)
    tag.label = MessageTag.maxLabel + 1  // truncated to 48 bits
    #expect(tag.label == 0)
    #expect(tag.flags == [.propagated, .error])
  }

  @Test func wordsFillUpTo63ThenFail() throws {
    var message = Message(label: 7)
    for value in 0..<63 { try message.append(UInt64(value) * 3) }
    #expect(message.wordCount == 63 && message.freeWords == 0)
    #expect(message[62] == 186)
    let error1 = caught { () throws(RPCError) in try message.append(1) }
    #expect(error1 != nil)
    do {
      try message.append(1)
    } catch {
      #expect(error.code == .badArguments)
    }
    #expect(message.tag.untypedCount == 63)
  }

  @Test func typedItemsCountTowardTheRegisters() throws {
    var message = try Message(label: 1, words: [1, 2, 3])
    try message.append(.string(StringItem([1, 2, 3])))
    try message.append(.string(StringItem(pieces: [[1], [2, 3], [4]])))
    try message.append(.region(.map(MemoryRegion(byteCount: 10))))
    try message.append(.capability(CapabilityItem(CapabilityName(rawValue: 9), disposition: .makeSend)))
    #expect(message.tag.typedCount == 2 + 6 + 2 + 2)
    #expect(message.freeWords == 63 - 3 - 12)
    #expect(message.strings.count == 2 && message.regions.count == 1 && message.capabilities.count == 1)
    var full = Message(label: 2)
    for _ in 0..<62 { try full.append(0) }
    let error2 = caught { () throws(RPCError) in try full.append(.region(.grant(MemoryRegion(byteCount: 1)))) }
    #expect(error2 != nil)
    #expect(full.items.isEmpty && full.tag.typedCount == 0)
  }

  @Test func wordAtRejectsShortMessages() throws {
    let message = try Message(label: 3, words: [10, 20])
    #expect(try message.word(at: 1) == 20)
    let error3 = caught { () throws(RPCError) in
      try message.word(at: 2)
    }
    #expect(error3 == RPCError(.badArguments, "message 3 has 2 words; word 2 is missing"))
    let error4 = caught { () throws(RPCError) in try message.word(at: -1) }
    #expect(error4 != nil)
  }

  @Test func rebuildFromRegistersChecksTheTag() throws {
    let registers: [UInt64] = [5, 6, 7, 8]
    let good = try registers.withUnsafeBufferPointer { (words) throws(RPCError) -> Message in
      try Message(tag: MessageTag(label: 9, untypedCount: 3, typedCount: 2), words: words,
        items: [.string(StringItem([1]))])
    }
    #expect(good.words == [5, 6, 7] && good.label == 9 && good.strings.first?.bytes == [1])
    let error5 = caught { () throws(RPCError) in
      try registers.withUnsafeBufferPointer { (words) throws(RPCError) -> Message in
        try Message(tag: MessageTag(label: 9, untypedCount: 5), words: words)
      }
    }
    #expect(error5 != nil)
    let error6 = caught { () throws(RPCError) in
      try registers.withUnsafeBufferPointer { (words) throws(RPCError) -> Message in
        try Message(tag: MessageTag(label: 9, untypedCount: 1, typedCount: 4), words: words,
          items: [.string(StringItem([1]))])
      }
    }
    #expect(error6 != nil)
  }

  @Test func withUnsafeWordsSeesOnlyUntypedWords() throws {
    let message = try Message(label: 1, words: [4, 5, 6])
    let sum = message.withUnsafeWords { $0.reduce(0, +) }
    let count = message.withUnsafeWords { $0.count }
    #expect(sum == 15 && count == 3)
  }

  @Test func resetClearsEverything() throws {
    var message = try Message(label: 1, words: [1, 2])
    try message.append(.string(StringItem([1])))
    message.reset(label: 42)
    #expect(message.label == 42 && message.wordCount == 0 && message.items.isEmpty && message.tag.typedCount == 0)
  }

  @Test func compoundStringsConcatenate() {
    let compound = StringItem(pieces: [[1, 2], [], [3]])
    #expect(compound.isCompound && compound.pieceCount == 3 && compound.byteCount == 3)
    #expect(compound.bytes == [1, 2, 3])
    #expect(compound == StringItem([1, 2, 3]))
    #expect(TypedItem.string(compound).wordCount == 6)
    #expect(StringItem(pieces: []).bytes.isEmpty)
    #expect(StringItem([1], cacheHint: 7).cacheHint == 3)
  }

  @Test func regionsShareMemoryWithoutCopying() throws {
    let region = MemoryRegion(copying: [1, 2, 3, 4, 5])
    #expect(region.count == 5 && region.buffer.byteCount == PageBuffer.pageSize)
    let alias = region
    alias.withUnsafeMutableBytes { $0[0] = 99 }
    #expect(region.bytes.first == 99 && region.sharesMemory(with: alias))
    let slice = try #require(region.slice(offset: 1, count: 3))
    #expect(slice.bytes == [2, 3, 4] && slice.sharesMemory(with: region))
    #expect(region.slice(offset: 3, count: 3) == nil)
    #expect(region.slice(offset: -1, count: 1) == nil)
    #expect(!MemoryRegion(copying: [1]).sharesMemory(with: region))
    let big = MemoryRegion(byteCount: 1 << 20)
    #expect(Int(bitPattern: big.buffer.baseAddress) % PageBuffer.pageSize == 0)
    #expect(big.buffer.byteCount == 1 << 20)
  }

  @Test func capabilityDispositionsAreMachs() {
    #expect(CapabilityDisposition.allCases.map(\.machTypeName) == [16, 17, 18, 19, 20, 21])
    for disposition in CapabilityDisposition.allCases {
      #expect(CapabilityDisposition(machTypeName: disposition.machTypeName) == disposition)
    }
    #expect(CapabilityDisposition(machTypeName: 22) == nil)
    #expect(CapabilityDisposition.makeSendOnce.action == .make && CapabilityDisposition.makeSendOnce.right == .sendOnce)
  }

  @Test func replyConvention() throws {
    let ok = Message.reply(to: 2021)
    #expect(ok.label == 2121 && ok.replyReturnCode == .success)
    try ok.checkReply(toRequest: 2021)
    let error7 = caught { () throws(RPCError) in
      try ok.checkReply(toRequest: 2020)
    }
    #expect(error7 == RPCError(.replyMismatch, "reply id 2121 for request 2020"))
    let failed = Message.reply(to: 2021, returnCode: .EACCES)
    let error8 = caught { () throws(RPCError) in try failed.checkReply(toRequest: 2021) }
    #expect(error8 == RPCError(returnCode: .EACCES))
    let error9 = caught { () throws(RPCError) in
      try Message(label: 2121).checkReply(toRequest: 2021)
    }
    #expect(error9 == RPCError(.typeError, "reply 2121 has no RetCode word"))
    let negative = Message.reply(to: 1, returnCode: .migBadID)
    #expect(negative[0] == 0xFFFF_FED1 && negative.replyReturnCode == .migBadID)
  }
}

@Suite("Message reuse")
struct MessageReuseTests {
  @Test func loadRefillsInPlaceAndRejectsBadTags() throws {
    var message = try Message(label: 1, words: [9, 9, 9, 9])
    try message.append(.string(StringItem([1])))
    let registers: [UInt64] = [7, 8]
    try registers.withUnsafeBufferPointer { (words) throws(RPCError) in
      try message.load(tag: MessageTag(label: 5, untypedCount: 2), words: words)
    }
    #expect(message.label == 5 && message.words == [7, 8] && message.items.isEmpty)
    let error = registers.withUnsafeBufferPointer { words in
      caught { () throws(RPCError) in try message.load(tag: MessageTag(label: 6, untypedCount: 3), words: words) }
    }
    #expect(error?.code == .badArguments)
    #expect(message.label == 5 && message.words == [7, 8])  // unchanged after a failed load
  }
}
