import HurdRPCL4
import Testing

/// Map and grant items (L4 X.2 §1.3): effects on both spaces and the receive window.
@Suite("L4 map and grant")
struct MemoryTests {
  struct Outcome: Sendable {
    var sender: L4ErrorCode?
    var receiver: L4ErrorCode?
    var receivedItems: [L4TypedItem] = []
  }

  func transfer(
    _ kernel: L4Kernel, from a: L4AddressSpace, to b: L4AddressSpace, window: L4Fpage, item: L4TypedItem
  ) -> Outcome {
    let receiverError = Slot<L4ErrorCode>()
    let senderError = Slot<L4ErrorCode>()
    let items = Slot<[L4TypedItem]>()
    let server = kernel.spawn(in: b) { ctx in
      ctx.br.accept(receiveWindow: window)
      do throws(L4ErrorCode) {
        _ = try ctx.wait()
        items.set(ctx.mr.typedItems ?? [])
      } catch {
        receiverError.set(error)
      }
    }
    #expect(waitUntil(server, is: .receiving))
    kernel.spawn(in: a) { ctx in
      ctx.mr.load(label: 1, items: [item])
      if let e = ipcError({ () throws(L4ErrorCode) in try ctx.send(to: server.id) }) { senderError.set(e) }
    }.join()
    server.join()
    return Outcome(sender: senderError.value, receiver: receiverError.value, receivedItems: items.value ?? [])
  }

  @Test func mapSharesMemoryAndTheSenderKeepsIt() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let base = try a.allocate(size: 2 * pageSize)
    try a.write(Array("shared".utf8), at: base)
    let fpage = L4Fpage(base: base, log2Size: 13)!
    let window = L4Fpage(base: 0x4000_0000, log2Size: 13)!
    let result = transfer(kernel, from: a, to: b, window: window, item: .map(fpage: fpage, sendBase: 0))
    #expect(result.sender == nil && result.receiver == nil)
    #expect(result.receivedItems == [.map(fpage: L4Fpage(base: window.base, log2Size: 13)!, sendBase: 0)])
    // Both spaces see the same memory.
    #expect(a.mapping(at: base)?.memory == b.mapping(at: window.base)?.memory)
    #expect(try b.read(at: window.base, count: 6) == Array("shared".utf8))
    try b.write(Array("B wrote".utf8), at: window.base + pageSize)
    #expect(try a.read(at: base + pageSize, count: 7) == Array("B wrote".utf8))
  }

  @Test func grantMovesMemoryAndUnmapsItFromTheSender() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let base = try a.allocate(size: pageSize)
    try a.write(Array("moved".utf8), at: base)
    let memory = a.mapping(at: base)?.memory
    let fpage = L4Fpage(base: base, log2Size: 12)!
    let window = L4Fpage(base: 0x4000_0000, log2Size: 12)!
    let result = transfer(kernel, from: a, to: b, window: window, item: .grant(fpage: fpage, sendBase: 0))
    #expect(result.sender == nil && result.receiver == nil)
    #expect(a.mapping(at: base) == nil)
    #expect(b.mapping(at: window.base)?.memory == memory)
    #expect(try b.read(at: window.base, count: 5) == Array("moved".utf8))
    #expect(throws: L4MemoryError.unmapped(address: base)) { try a.read(at: base, count: 1) }
  }

  @Test func nilReceiveWindowRefusesMappings() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let base = try a.allocate(size: pageSize)
    let fpage = L4Fpage(base: base, log2Size: 12)!
    let result = transfer(kernel, from: a, to: b, window: .nilpage, item: .grant(fpage: fpage, sendBase: 0))
    #expect(result.sender == L4ErrorCode(.messageOverflow, phase: .send, offset: 0))
    #expect(result.receiver == L4ErrorCode(.messageOverflow, phase: .receive, offset: 0))
    #expect(a.mapping(at: base) != nil)  // the refused grant took nothing away
  }

  @Test func smallFpageLandsInsideTheWindowAtTheSendBase() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let base = try a.allocate(size: pageSize)
    try a.write([0xAB], at: base)
    let window = L4Fpage(base: 0x4000_0000, log2Size: 16)!
    let item = L4TypedItem.map(fpage: L4Fpage(base: base, log2Size: 12)!, sendBase: 0x3000)
    let result = transfer(kernel, from: a, to: b, window: window, item: item)
    #expect(result.sender == nil)
    #expect(b.mapping(at: window.base) == nil)
    #expect(try b.read(at: window.base + 0x3000, count: 1) == [0xAB])
    #expect(result.receivedItems == [.map(fpage: L4Fpage(base: window.base + 0x3000, log2Size: 12)!, sendBase: 0x3000)])
  }

  @Test func largeFpageIsCutToTheWindowAtTheSendBase() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let base = try a.allocate(size: 0x10000)
    try a.write([0xCD], at: base + 0x4000)
    let window = L4Fpage(base: 0x4000_0000, log2Size: 14)!
    let item = L4TypedItem.grant(fpage: L4Fpage(base: base, log2Size: 16)!, sendBase: 0x5000)
    let result = transfer(kernel, from: a, to: b, window: window, item: item)
    #expect(result.sender == nil)
    #expect(try b.read(at: window.base, count: 1) == [0xCD])  // the 16 KiB part at 0x4000
    #expect(a.mapping(at: base + 0x4000) == nil)  // only that part was granted away
    #expect(a.mapping(at: base) != nil && a.mapping(at: base + 0x8000) != nil)
  }

  @Test func mappedRightsAreAtMostTheFpageRights() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let base = try a.allocate(size: pageSize)
    let window = L4Fpage(base: 0x4000_0000, log2Size: 12)!
    let item = L4TypedItem.map(fpage: L4Fpage(base: base, log2Size: 12, rights: [.read])!, sendBase: 0)
    _ = transfer(kernel, from: a, to: b, window: window, item: item)
    #expect(b.mapping(at: window.base)?.rights == [.read])
    #expect(throws: L4MemoryError.protection(address: window.base)) { try b.write([1], at: window.base) }
    #expect(a.mapping(at: base)?.rights == .all)
  }

  @Test func mappingAHoleLeavesAHole() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let base = try a.allocate(size: 2 * pageSize)
    a.unmap(L4Fpage(base: base + pageSize, log2Size: 12)!)
    try b.allocate(at: 0x4000_0000, size: 2 * pageSize)  // overmapped by the transfer
    let window = L4Fpage(base: 0x4000_0000, log2Size: 13)!
    _ = transfer(kernel, from: a, to: b, window: window, item: .map(fpage: L4Fpage(base: base, log2Size: 13)!, sendBase: 0))
    #expect(b.mapping(at: window.base)?.memory == a.mapping(at: base)?.memory)
    #expect(b.mapping(at: window.base + pageSize) == nil)
  }
}
