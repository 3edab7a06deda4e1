import Dispatch
import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// ThreadControl deleting threads, and the deletion of an address space with its last thread
/// (docs/l4-backend.md §1 "Deletion", checklist §2).
@Suite("L4 thread and space deletion")
struct DeletionTests {
  /// The victim blocks receiving from itself; once deleted it tries one more send.
  func spawnVictim(_ kernel: L4Kernel, in space: L4AddressSpace, own: Slot<L4ErrorCode>, later: Slot<L4ErrorCode>, target: L4ThreadID)
    -> L4Thread
  {
    let victim = kernel.spawn(in: space, name: "victim") { ctx in
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.receive(from: ctx.id) }) { own.set(e) }
      ctx.mr.load(label: 1)
      if let e = ipcError({ () throws(L4ErrorCode) in try ctx.send(to: target, timeout: .zero) }) { later.set(e) }
    }
    #expect(waitUntil(victim, is: .receiving))
    return victim
  }

  @Test func deletingAThreadFailsItsPartnersAndItsOwnIPC() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let bystander = spawnSleeper(kernel, in: space)
    let own = Slot<L4ErrorCode>()
    let later = Slot<L4ErrorCode>()
    let victim = spawnVictim(kernel, in: space, own: own, later: later, target: bystander.id)
    let senderError = Slot<L4ErrorCode>()
    let waiterError = Slot<L4ErrorCode>()
    let sender = kernel.spawn(in: kernel.createSpace()) { ctx in
      ctx.mr.load(label: 2)
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(victim.id) }) { senderError.set(e) }
    }
    let waiter = kernel.spawn(in: kernel.createSpace()) { ctx in
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.receive(from: victim.id) }) { waiterError.set(e) }
    }
    #expect(waitUntil(sender, is: .sending))
    #expect(waitUntil(waiter, is: .receiving))
    kernel.deleteThread(victim)
    sender.join()
    waiter.join()
    victim.join()
    #expect(senderError.value == L4ErrorCode(.nonExistingPartner, phase: .send))
    #expect(waiterError.value == L4ErrorCode(.nonExistingPartner, phase: .receive))
    // Its own pending IPC is unwound as by an abort; afterwards it has no ID to send with.
    #expect(own.value == L4ErrorCode(.cancelled, phase: .receive))
    #expect(later.value == L4ErrorCode(.nonExistingPartner, phase: .send))
    #expect(kernel.thread(victim.id) == nil)
    #expect(!space.isDeleted)  // the bystander still lives in it
    stop(bystander)
  }

  @Test func aStaleIDOfADeletedThreadIsANonExistingPartner() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let victim = spawnSleeper(kernel, in: space)
    kernel.deleteThread(victim)
    victim.join()
    let error = Slot<L4ErrorCode>()
    kernel.spawn(in: kernel.createSpace()) { ctx in
      ctx.mr.load(label: 1)
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(victim.id) }) { error.set(e) }
    }.join()
    #expect(error.value == L4ErrorCode(.nonExistingPartner, phase: .send))
  }

  /// A caller remembers the thread it called last (the hand-off borrows it instead of a table
  /// lookup): deleting that server while the caller waits for its reply still fails the call,
  /// its stale ID stays a non-existing partner afterwards, and a new thread in its slot (new
  /// version) is reached by its own ID only.
  @Test func aCallersRememberedServerFollowsDeletionAndSlotReuse() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let bystander = spawnSleeper(kernel, in: space)  // keeps the space when `first` goes
    let entered = Slot<Bool>()
    let release = Slot<Bool>()
    let first = kernel.spawn(in: space, name: "first") { ctx in
      ctx.serve(.threaded) { request in
        if request.tag.label == 2 {
          entered.set(true)
          waitUntil { release.value == true }  // deleted meanwhile: it never replies
          return .noReply
        }
        request.registers.load(label: 11)
        return .reply
      }
    }
    #expect(waitUntil(first, is: .receiving))
    let proceed = Slot<L4ThreadID>()
    let results = Log<String>()
    let client = kernel.spawn(in: kernel.createSpace()) { ctx in
      func call(_ id: L4ThreadID, label: UInt64) -> String {
        ctx.mr.load(label: label)
        do throws(L4ErrorCode) {
          return "label \(try ctx.call(id).tag.label)"
        } catch {
          return "\(error)"
        }
      }
      results.append(call(first.id, label: 1))  // remembered from here on
      results.append(call(first.id, label: 2))  // blocked until the server is deleted
      waitUntil { proceed.value != nil }
      results.append(call(first.id, label: 1))  // the stale ID
      results.append(call(proceed.value!, label: 1))  // the new thread
    }
    #expect(waitUntil { entered.value == true })
    kernel.deleteThread(first)
    let second = kernel.spawn(in: space, name: "second") { ctx in
      ctx.serve(.threaded) { request in
        request.registers.load(label: 22)
        return .reply
      }
    }
    #expect(waitUntil(second, is: .receiving))
    #expect(second.id.number == first.id.number && second.id != first.id)  // the slot, reused
    proceed.set(second.id)
    client.join()
    #expect(
      results.values == [
        "label 11",
        "\(L4ErrorCode(.nonExistingPartner, phase: .receive))",
        "\(L4ErrorCode(.nonExistingPartner, phase: .send))",
        "label 22",
      ])
    second.stopServing()
    second.join()
    release.set(true)
    first.join()
    stop(bystander)
  }

  @Test func deletingAThreadDuringATransferAbortsItForThePartner() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let source = try a.allocate(size: pageSize)  // the next page is unmapped: the copy stalls there
    let buffer = try b.allocate(size: pageSize)
    // A pager that never maps anything tells when the copy has reached the unmapped page: only
    // then has it moved its first 96 bytes. Deleting the sender earlier would also delete its
    // space (its last thread) and take the source page before anything was copied.
    let stalled = DispatchSemaphore(value: 0)
    a.pageFaultHandler = { _, _, _ in
      stalled.signal()
      return false
    }
    let receiverError = Slot<L4ErrorCode>()
    let receiver = kernel.spawn(in: b) { ctx in
      ctx.br.accept(stringBuffers: [L4StringItem(address: buffer, length: pageSize)])
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.wait() }) { receiverError.set(e) }
    }
    #expect(waitUntil(receiver, is: .receiving))
    let sender = kernel.spawn(in: a) { ctx in
      ctx.mr.load(label: 1, items: [.string(L4StringItem(address: source + pageSize - 96, length: 200))])
      _ = try? ctx.send(to: receiver.id)
    }
    #expect(stalled.wait(timeout: .now() + 10) == .success)
    kernel.deleteThread(sender)
    receiver.join()
    sender.join()
    #expect(receiverError.value == L4ErrorCode(.aborted, phase: .receive, offset: 96))
  }

  @Test func deletingTheLastThreadDeletesTheSpaceItsMappingsAndTellsObservers() throws {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let other = kernel.createSpace()
    let base = try space.allocate(size: pageSize)
    let told = Log<Int>()
    let observer = Slot<Int>()
    // The observer runs outside the kernel lock: it may use the kernel.
    kernel.observeSpaceDeletion(by: observer) { deleted in
      told.append(deleted.number)
      _ = kernel.thread(.nilThread)
    }
    kernel.observeSpaceDeletion(by: observer) { _ in Issue.record("a second handler for the same observer") }
    let first = spawnSleeper(kernel, in: space)
    let second = spawnSleeper(kernel, in: space)
    kernel.deleteThread(first)
    first.join()
    #expect(!space.isDeleted)
    #expect(space.mapping(at: base) != nil)
    #expect(told.values.isEmpty)
    kernel.deleteThread(second)
    second.join()
    #expect(space.isDeleted)
    #expect(space.mapping(at: base) == nil)
    #expect(told.values == [space.number])
    #expect(!other.isDeleted)
    // A deleted space gets no threads: one made in it is born deleted.
    let error = Slot<L4ErrorCode>()
    kernel.spawn(in: space) { ctx in
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.wait(timeout: .zero) }) { error.set(e) }
    }.join()
    #expect(error.value == L4ErrorCode(.nonExistingPartner, phase: .receive))
    kernel.deleteSpace(space)  // already deleted: nothing more happens
    #expect(told.values == [space.number])
  }

  /// The model has no mapping database: a deleted space's own entries go, memory it mapped
  /// elsewhere stays there (X.2 would unmap those derived mappings recursively).
  @Test func deletingASpaceRemovesItsMappingsButNotThoseItMappedElsewhere() throws {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let base = try a.allocate(size: pageSize)
    try a.write(Array("kept".utf8), at: base)
    let window = L4Fpage(base: 0x4000_0000, log2Size: 12)!
    let receiver = kernel.spawn(in: b) { ctx in
      ctx.br.accept(receiveWindow: window)
      _ = try? ctx.wait()
    }
    #expect(waitUntil(receiver, is: .receiving))
    kernel.spawn(in: a) { ctx in
      ctx.mr.load(label: 1, items: [.map(fpage: L4Fpage(base: base, log2Size: 12)!, sendBase: 0)])
      _ = try? ctx.send(to: receiver.id)
    }.join()
    receiver.join()
    kernel.deleteSpace(a)
    #expect(a.isDeleted)
    #expect(a.mapping(at: base) == nil)
    #expect(try b.read(at: window.base, count: 4) == Array("kept".utf8))
  }
}
