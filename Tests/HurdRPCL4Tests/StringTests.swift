import HurdRPCL4
import Testing

/// String items (L4 X.2 §1.3): copy into the receiver's buffers, gather/scatter, compound
/// strings, message overflow, transfer timeouts and abort during a transfer.
@Suite("L4 string items")
struct StringTests {
  struct Outcome: Sendable {
    var sender: L4ErrorCode?
    var receiver: L4ErrorCode?
    var receivedItems: [L4TypedItem] = []
  }

  /// Runs one send from `client` (space a) to `server` (space b). `prepareReceiver` sets the
  /// receiver's BRs; `load` fills the sender's MRs (and control registers).
  func exchange(
    _ kernel: L4Kernel, from a: L4AddressSpace, to b: L4AddressSpace,
    prepareReceiver: @escaping @Sendable (L4ThreadContext) -> Void,
    load: @escaping @Sendable (L4ThreadContext) -> Void,
    whileRunning: (L4Thread, L4Thread) -> Void = { _, _ in }
  ) -> Outcome {
    let receiverError = Slot<L4ErrorCode>()
    let items = Slot<[L4TypedItem]>()
    let senderError = Slot<L4ErrorCode>()
    let server = kernel.spawn(in: b, name: "receiver") { ctx in
      prepareReceiver(ctx)
      do throws(L4ErrorCode) {
        _ = try ctx.wait()
        items.set(ctx.mr.typedItems ?? [])
      } catch {
        receiverError.set(error)
      }
    }
    #expect(waitUntil(server, is: .receiving))
    let client = kernel.spawn(in: a, name: "sender") { ctx in
      load(ctx)
      if let e = ipcError({ () throws(L4ErrorCode) in try ctx.send(to: server.id) }) { senderError.set(e) }
    }
    whileRunning(client, server)
    client.join()
    server.join()
    return Outcome(sender: senderError.value, receiver: receiverError.value, receivedItems: items.value ?? [])
  }

  @Test func stringItemIsCopiedIntoTheReceiveBuffer() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)
    let buffer = try b.allocate(size: pageSize)
    let text = Array("hello, string item".utf8)
    try a.write(text, at: source)
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in ctx.br.accept(stringBuffers: [L4StringItem(address: buffer, length: pageSize)]) },
      load: { ctx in
        ctx.mr.load(label: 1, untyped: [5], items: [.string(L4StringItem(address: source, length: UInt64(text.count)))])
      })
    #expect(result.sender == nil && result.receiver == nil)
    #expect(try b.read(at: buffer, count: text.count) == text)
    #expect(result.receivedItems == [.string(L4StringItem(address: buffer, length: UInt64(text.count)))])
  }

  @Test func stringGatherAndScatter() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)
    let buffer = try b.allocate(size: pageSize)
    try a.write(Array("AAAA".utf8), at: source)
    try a.write(Array("BBBB".utf8), at: source + 100)
    try a.write(Array("CCCC".utf8), at: source + 200)
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in
        // One buffer of two 6-byte pieces.
        ctx.br.accept(stringBuffers: [L4StringItem(length: 6, substrings: [buffer, buffer + 50])])
      },
      load: { ctx in
        // One string item gathering three 4-byte pieces.
        ctx.mr.load(label: 1, items: [.string(L4StringItem(length: 4, substrings: [source, source + 100, source + 200]))])
      })
    #expect(result.sender == nil && result.receiver == nil)
    #expect(try b.read(at: buffer, count: 6) == Array("AAAABB".utf8))
    #expect(try b.read(at: buffer + 50, count: 6) == Array("BBCCCC".utf8))
    // The receiver learns where each piece landed (a compound string).
    #expect(result.receivedItems == [
      .string(L4StringItem(address: buffer, length: 6, continues: true)),
      .string(L4StringItem(address: buffer + 50, length: 6)),
    ])
  }

  @Test func compoundStringsFormOneLogicalString() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)
    let buffer = try b.allocate(size: pageSize)
    try a.write(Array("abc".utf8), at: source)
    try a.write(Array("defgh".utf8), at: source + 64)
    try a.write(Array("XY".utf8), at: source + 128)
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in
        ctx.br.accept(stringBuffers: [
          L4StringItem(address: buffer, length: 16), L4StringItem(address: buffer + 512, length: 16),
        ])
      },
      load: { ctx in
        ctx.mr.load(
          label: 1,
          items: [
            // "abc" + "defgh" (different lengths) chained with the compound flag…
            .string(L4StringItem(address: source, length: 3, continues: true)),
            .string(L4StringItem(address: source + 64, length: 5)),
            // …and a second, separate string, which goes to the second buffer.
            .string(L4StringItem(address: source + 128, length: 2)),
          ])
      })
    #expect(result.sender == nil && result.receiver == nil)
    #expect(try b.read(at: buffer, count: 8) == Array("abcdefgh".utf8))
    #expect(try b.read(at: buffer + 512, count: 2) == Array("XY".utf8))
    #expect(result.receivedItems == [
      .string(L4StringItem(address: buffer, length: 8)), .string(L4StringItem(address: buffer + 512, length: 2)),
    ])
  }

  @Test func messageOverflowReportsTheOffsetThatArrived() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)
    let buffer = try b.allocate(size: pageSize)
    let data = (0..<100).map { UInt8($0) }
    try a.write(data, at: source)
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in ctx.br.accept(stringBuffers: [L4StringItem(address: buffer, length: 64)]) },
      load: { ctx in ctx.mr.load(label: 1, items: [.string(L4StringItem(address: source, length: 100))]) })
    #expect(result.sender == L4ErrorCode(.messageOverflow, phase: .send, offset: 64))
    #expect(result.receiver == L4ErrorCode(.messageOverflow, phase: .receive, offset: 64))
    #expect(try b.read(at: buffer, count: 64) == Array(data[0..<64]))
    #expect(try b.read(at: buffer + 64, count: 1) == [0])  // nothing past the buffer
  }

  @Test func stringsAreRefusedWithoutStringBuffers() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in ctx.br.acceptor = .untypedOnly },
      load: { ctx in ctx.mr.load(label: 1, items: [.string(L4StringItem(address: source, length: 10))]) })
    #expect(result.sender == L4ErrorCode(.messageOverflow, phase: .send, offset: 0))
    #expect(result.receiver == L4ErrorCode(.messageOverflow, phase: .receive, offset: 0))
  }

  @Test func transferTimeoutInSenderSpace() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)  // the next page is unmapped
    let buffer = try b.allocate(size: pageSize)
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in ctx.br.accept(stringBuffers: [L4StringItem(address: buffer, length: pageSize)]) },
      load: { ctx in
        ctx.transferTimeouts = L4TransferTimeouts(send: twoMilliseconds)
        ctx.mr.load(label: 1, items: [.string(L4StringItem(address: source + pageSize - 96, length: 200))])
      })
    // The fault was in the sender's (invoker's) space: 5 for the sender, 6 for its partner.
    #expect(result.sender == L4ErrorCode(.transferTimeoutInInvoker, phase: .send, offset: 96))
    #expect(result.receiver == L4ErrorCode(.transferTimeoutInPartner, phase: .receive, offset: 96))
  }

  @Test func transferTimeoutInReceiverSpace() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in
        ctx.transferTimeouts = L4TransferTimeouts(receive: twoMilliseconds)
        ctx.br.accept(stringBuffers: [L4StringItem(address: 0x7000_0000, length: pageSize)])  // unmapped
      },
      load: { ctx in ctx.mr.load(label: 1, items: [.string(L4StringItem(address: source, length: 10))]) })
    #expect(result.sender == L4ErrorCode(.transferTimeoutInPartner, phase: .send, offset: 0))
    #expect(result.receiver == L4ErrorCode(.transferTimeoutInInvoker, phase: .receive, offset: 0))
  }

  @Test func pageFaultHandlerResolvesAFaultDuringTheCopy() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)
    try a.write(Array("paged in".utf8), at: source)
    let faults = Log<UInt64>()
    b.pageFaultHandler = { space, address, write in
      faults.append(address)
      let page = address & ~(L4AddressSpace.pageSize - 1)
      return (try? space.allocate(at: page, size: L4AddressSpace.pageSize)) != nil
    }
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in
        ctx.transferTimeouts = L4TransferTimeouts(receive: .zero)  // a stall would fail at once
        ctx.br.accept(stringBuffers: [L4StringItem(address: 0x7000_0000, length: pageSize)])
      },
      load: { ctx in ctx.mr.load(label: 1, items: [.string(L4StringItem(address: source, length: 8))]) })
    #expect(result.sender == nil && result.receiver == nil)
    #expect(faults.values == [0x7000_0000])
    #expect(try b.read(at: 0x7000_0000, count: 8) == Array("paged in".utf8))
  }

  @Test func abortDuringTransferIsAborted() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)
    let buffer = try b.allocate(size: pageSize)
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in ctx.br.accept(stringBuffers: [L4StringItem(address: buffer, length: pageSize)]) },
      load: { ctx in
        // No transfer timeout: the copy stalls on the unmapped page until aborted.
        ctx.mr.load(label: 1, items: [.string(L4StringItem(address: source + pageSize - 96, length: 200))])
      },
      whileRunning: { sender, receiver in
        #expect(waitUntil(receiver, is: .transferring))
        #expect(receiver.abortIPC())
      })
    #expect(result.sender == L4ErrorCode(.aborted, phase: .send, offset: 96))
    #expect(result.receiver == L4ErrorCode(.aborted, phase: .receive, offset: 96))
  }

  @Test func aStalledTransferResumesWhenThePageIsMapped() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)
    let buffer = try b.allocate(size: pageSize)
    let result = exchange(
      kernel, from: a, to: b,
      prepareReceiver: { ctx in ctx.br.accept(stringBuffers: [L4StringItem(address: buffer, length: pageSize)]) },
      load: { ctx in ctx.mr.load(label: 1, items: [.string(L4StringItem(address: source + pageSize - 4, length: 8))]) },
      whileRunning: { _, receiver in
        #expect(waitUntil(receiver, is: .transferring))
        #expect((try? a.allocate(at: source + pageSize, size: pageSize)) != nil)  // "the pager answers"
      })
    #expect(result.sender == nil && result.receiver == nil)
    #expect(result.receivedItems == [.string(L4StringItem(address: buffer, length: 8))])
  }
}
