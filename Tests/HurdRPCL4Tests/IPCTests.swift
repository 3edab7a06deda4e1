import Dispatch
#if canImport(Glibc)
  import Glibc
#endif
import HurdRPCL4
import Testing

/// The IPC rules of L4 X.2 §1.4–1.6: timeouts, error codes, waits, call, abort.
@Suite("L4 IPC conformance")
struct IPCTests {
  @Test func untypedWordsAreCopiedVerbatim() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let got = Slot<[L4Word]>()
    let sender = Slot<L4ThreadID>()
    let receiver = kernel.spawn(in: space) { ctx in
      guard let r = try? ctx.wait() else { return }
      sender.set(r.from)
      got.set([r.tag.label, UInt64(r.tag.untypedWords)] + ctx.mr.untypedWords)
    }
    let client = kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 42, untyped: (1...63).map { L4Word($0) * 3 })
      #expect(ipcError { () throws(L4ErrorCode) in try ctx.send(to: receiver.id) } == nil)
    }
    client.join()
    receiver.join()
    #expect(got.value == [42, 63] + (1...63).map { L4Word($0) * 3 })
    #expect(sender.value == client.id)
  }

  @Test func sendTimeoutFailsInSendPhase() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let busy = spawnSleeper(kernel, in: space)
    let error = Slot<L4ErrorCode>()
    let errorTCR = Slot<L4ErrorCode>()
    let tagError = Slot<Bool>()
    kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      if let e = ipcError({ () throws(L4ErrorCode) in try ctx.send(to: busy.id, timeout: twoMilliseconds) }) {
        error.set(e)
        errorTCR.set(ctx.errorCode)
        tagError.set(ctx.mr.tag.isError)
      }
    }.join()
    stop(busy)
    #expect(error.value == L4ErrorCode(.timeout, phase: .send))
    #expect(errorTCR.value == error.value)
    #expect(tagError.value == true)
  }

  @Test func receiveTimeoutFailsInReceivePhase() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let quiet = spawnSleeper(kernel, in: space)
    let closed = Slot<L4ErrorCode>()
    let open = Slot<L4ErrorCode>()
    kernel.spawn(in: space) { ctx in
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.receive(from: quiet.id, timeout: twoMilliseconds) }) {
        closed.set(e)
      }
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.wait(timeout: twoMilliseconds) }) { open.set(e) }
    }.join()
    stop(quiet)
    #expect(closed.value == L4ErrorCode(.timeout, phase: .receive))
    #expect(open.value == L4ErrorCode(.timeout, phase: .receive))
  }

  @Test func callTimesOutInReceivePhaseWhenNoReplyComes() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let received = Slot<L4ThreadID>()
    let server = kernel.spawn(in: space) { ctx in
      guard let r = try? ctx.wait() else { return }
      received.set(r.from)
      _ = try? ctx.receive(from: ctx.id)  // never replies; aborted once the client is done
    }
    let error = Slot<L4ErrorCode>()
    let client = kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      let timeouts = L4Timeouts(send: .never, receive: twoMilliseconds)
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(server.id, timeouts: timeouts) }) { error.set(e) }
    }
    client.join()
    server.abortIPC()
    server.join()
    #expect(received.value == client.id)  // the send phase succeeded…
    #expect(error.value == L4ErrorCode(.timeout, phase: .receive))  // …the receive phase timed out
  }

  @Test func zeroTimeoutNeverBlocks() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let busy = spawnSleeper(kernel, in: space)
    let results = Log<L4ErrorCode?>()
    let ready = Slot<Bool>()
    let receiver = kernel.spawn(in: space) { ctx in _ = try? ctx.wait() }
    #expect(waitUntil(receiver, is: .receiving))
    kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      // Partner not receiving: fails at once in the send phase.
      results.append(ipcError { () throws(L4ErrorCode) in try ctx.send(to: busy.id, timeout: .zero) })
      // Nothing queued: fails at once in the receive phase.
      results.append(ipcError { () throws(L4ErrorCode) in _ = try ctx.wait(timeout: .zero) })
      // Partner already waiting: a zero-timeout send (a Reply) succeeds.
      results.append(ipcError { () throws(L4ErrorCode) in try ctx.reply(to: receiver.id) })
      ready.set(true)
    }.join()
    receiver.join()
    stop(busy)
    #expect(results.values == [L4ErrorCode(.timeout, phase: .send), L4ErrorCode(.timeout, phase: .receive), nil])
    #expect(ready.value == true)
  }

  @Test func neverTimeoutWaitsForThePartner() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let gate = spawnSleeper(kernel, in: space)  // stands in for "the receiver is late"
    let got = Slot<L4Word>()
    let receiver = kernel.spawn(in: space) { ctx in
      _ = try? ctx.receive(from: ctx.id)  // busy until aborted
      if let r = try? ctx.wait(), r.tag.untypedWords == 1 { got.set(ctx.mr[1]) }
    }
    #expect(waitUntil(receiver, is: .receiving))
    let sender = kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1, untyped: [77])
      #expect(ipcError { () throws(L4ErrorCode) in try ctx.send(to: receiver.id, timeout: .never) } == nil)
    }
    #expect(waitUntil(sender, is: .sending))  // blocked in the send phase, not failed
    receiver.abortIPC()  // the receiver now enters its open wait and takes the message
    sender.join()
    receiver.join()
    stop(gate)
    #expect(got.value == 77)
  }

  @Test func staleVersionIsNonExistingPartner() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let gone = kernel.spawn(in: space) { _ in }
    gone.join()
    #expect(waitUntil { !gone.isAlive })
    // The number is reused with a new version; the old ID stays invalid.
    let successor = spawnSleeper(kernel, in: space)
    #expect(successor.id.number == gone.id.number && successor.id.version != gone.id.version)
    #expect(kernel.thread(gone.id) == nil)
    let forged = L4ThreadID(number: successor.id.number, version: successor.id.version &+ 64)
    let errors = Log<L4ErrorCode?>()
    kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      errors.append(ipcError { () throws(L4ErrorCode) in try ctx.send(to: gone.id, timeout: .never) })
      errors.append(ipcError { () throws(L4ErrorCode) in try ctx.send(to: forged, timeout: .never) })
      errors.append(ipcError { () throws(L4ErrorCode) in _ = try ctx.receive(from: gone.id) })
      errors.append(ipcError { () throws(L4ErrorCode) in _ = try ctx.call(L4ThreadID(number: 9999, version: 1)) })
    }.join()
    stop(successor)
    #expect(errors.values == [
      L4ErrorCode(.nonExistingPartner, phase: .send), L4ErrorCode(.nonExistingPartner, phase: .send),
      L4ErrorCode(.nonExistingPartner, phase: .receive), L4ErrorCode(.nonExistingPartner, phase: .send),
    ])
  }

  @Test func partnerDeathFailsItsWaiters() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let mortal = spawnSleeper(kernel, in: space)
    let error = Slot<L4ErrorCode>()
    let waiter = kernel.spawn(in: space) { ctx in
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.receive(from: mortal.id) }) { error.set(e) }
    }
    #expect(waitUntil(waiter, is: .receiving))
    stop(mortal)  // its body returns: the thread is deleted
    waiter.join()
    #expect(error.value == L4ErrorCode(.nonExistingPartner, phase: .receive))
  }

  @Test func abortBeforeTransferIsCancelled() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let busy = spawnSleeper(kernel, in: space)
    let receiveError = Slot<L4ErrorCode>()
    let sendError = Slot<L4ErrorCode>()
    let receiver = kernel.spawn(in: space) { ctx in
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.wait() }) { receiveError.set(e) }
    }
    let sender = kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.call(busy.id) }) { sendError.set(e) }
    }
    #expect(waitUntil(receiver, is: .receiving))
    #expect(waitUntil(sender, is: .sending))
    #expect(receiver.abortIPC())
    #expect(sender.abortIPC())
    receiver.join()
    sender.join()
    #expect(!receiver.abortIPC())  // nothing pending any more
    stop(busy)
    #expect(receiveError.value == L4ErrorCode(.cancelled, phase: .receive))
    #expect(sendError.value == L4ErrorCode(.cancelled, phase: .send))
  }

  @Test func abortOnlyTheRequestedPhase() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let error = Slot<L4ErrorCode>()
    let receiver = kernel.spawn(in: space) { ctx in
      if let e = ipcError({ () throws(L4ErrorCode) in _ = try ctx.wait() }) { error.set(e) }
    }
    #expect(waitUntil(receiver, is: .receiving))
    #expect(!receiver.abortIPC(send: true, receive: false))  // a receive is not a send
    #expect(receiver.ipcActivity == .receiving)
    #expect(receiver.abortIPC(send: false, receive: true))
    receiver.join()
    #expect(error.value == L4ErrorCode(.cancelled, phase: .receive))
  }

  @Test func callIsAtomicSoAnImmediateReplyIsNeverLost() {
    // The server replies with a zero timeout right after receiving. If the client were not
    // already in its receive phase when the request arrived, the reply would fail.
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let rounds = 2_000
    let replyFailures = Slot<Int>()
    let server = kernel.spawn(in: space) { ctx in
      var failures = 0
      for _ in 0..<rounds {
        guard let r = try? ctx.wait() else { break }
        ctx.mr.load(label: r.tag.label + 100, untyped: [ctx.mr[1] + 1])
        if (try? ctx.reply(to: r.from)) == nil { failures += 1 }
      }
      replyFailures.set(failures)
    }
    let wrong = Slot<Int>()
    kernel.spawn(in: space) { ctx in
      var mismatches = 0
      for i in 0..<rounds {
        ctx.mr.load(label: 7, untyped: [L4Word(i)])
        guard let r = try? ctx.call(server.id), r.from == server.id, r.tag.label == 107, ctx.mr[1] == L4Word(i + 1)
        else {
          mismatches += 1
          continue
        }
      }
      wrong.set(mismatches)
    }.join()
    server.join()
    #expect(replyFailures.value == 0)
    #expect(wrong.value == 0)
  }

  @Test func closedWaitTakesOnlyItsPartnerAndOpenWaitTakesAny() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    // A queues first, B second; a closed wait for B takes B, then an open wait takes A.
    let got = Log<L4ThreadID>()
    let b = Slot<L4ThreadID>()
    let target = kernel.spawn(in: space) { ctx in
      _ = try? ctx.receive(from: ctx.id)
      guard let partner = b.value else { return }
      if let r = try? ctx.receive(from: partner) { got.append(r.from) }
      if let r = try? ctx.wait() { got.append(r.from) }
    }
    #expect(waitUntil(target, is: .receiving))
    let senderA = kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 1)
      try? ctx.send(to: target.id)
    }
    #expect(waitUntil(senderA, is: .sending))
    let senderB = kernel.spawn(in: space) { ctx in
      ctx.mr.load(label: 2)
      try? ctx.send(to: target.id)
    }
    b.set(senderB.id)
    #expect(waitUntil(senderB, is: .sending))
    target.abortIPC()
    senderA.join()
    senderB.join()
    target.join()
    #expect(got.values == [senderB.id, senderA.id])
  }

  @Test func openWaitOfferedSendersInArrivalOrder() {
    let kernel = L4Kernel()
    let space = kernel.createSpace()
    let got = Log<L4Word>()
    let target = kernel.spawn(in: space) { ctx in
      _ = try? ctx.receive(from: ctx.id)
      for _ in 0..<3 { if (try? ctx.wait()) != nil { got.append(ctx.mr.tag.label) } }
    }
    #expect(waitUntil(target, is: .receiving))
    var senders: [L4Thread] = []
    for label in [10, 20, 30] as [L4Word] {
      let s = kernel.spawn(in: space) { ctx in
        ctx.mr.load(label: label)
        try? ctx.send(to: target.id)
      }
      #expect(waitUntil(s, is: .sending))
      senders.append(s)
    }
    target.abortIPC()
    for s in senders { s.join() }
    target.join()
    #expect(got.values == [10, 20, 30])
  }

  @Test func anyLocalThreadReceivesOnlyFromOwnSpaceWithLocalIDs() {
    let kernel = L4Kernel()
    let home = kernel.createSpace()
    let away = kernel.createSpace()
    let got = Log<L4ThreadID>()
    let target = kernel.spawn(in: home) { ctx in
      _ = try? ctx.receive(from: ctx.id)
      if let r = try? ctx.waitLocal() { got.append(r.from) }
      if let r = try? ctx.wait() { got.append(r.from) }
    }
    #expect(waitUntil(target, is: .receiving))
    let remote = kernel.spawn(in: away) { ctx in
      ctx.mr.load(label: 1)
      try? ctx.send(to: target.id)
    }
    #expect(waitUntil(remote, is: .sending))
    let local = kernel.spawn(in: home) { ctx in
      ctx.mr.load(label: 2)
      try? ctx.send(to: target.localID)  // local IDs address threads of the own space
    }
    #expect(waitUntil(local, is: .sending))
    target.abortIPC()
    remote.join()
    local.join()
    target.join()
    #expect(got.values == [local.localID, remote.id])
  }

  @Test func localIDsDoNotResolveAcrossSpaces() {
    let kernel = L4Kernel()
    let home = kernel.createSpace()
    let away = kernel.createSpace()
    let sleeper = spawnSleeper(kernel, in: home)
    let error = Slot<L4ErrorCode>()
    kernel.spawn(in: away) { ctx in
      ctx.mr.load(label: 1)
      // Index 1 names the sleeper in `home`, but `away` has no thread with that index besides us.
      if let e = ipcError({ () throws(L4ErrorCode) in try ctx.send(to: .local(index: 7), timeout: .zero) }) {
        error.set(e)
      }
    }.join()
    stop(sleeper)
    #expect(error.value == L4ErrorCode(.nonExistingPartner, phase: .send))
  }
}

@Suite struct KernelLifetimeTests {
  /// Threads refer to their kernel `unowned`: a spawned thread must keep the kernel alive until
  /// its body returns, or its final bookkeeping would touch a freed kernel.
  @Test func aSpawnedThreadKeepsItsKernelAliveUntilItEnds() {
    let proceed = DispatchSemaphore(value: 0)
    weak var weakKernel: L4Kernel?
    let spawned: L4Thread
    do {
      let kernel = L4Kernel()
      weakKernel = kernel
      spawned = kernel.spawn(in: kernel.createSpace()) { _ in proceed.wait() }
    }
    #expect(weakKernel != nil, "the running thread holds the kernel")
    proceed.signal()
    var waited = 0
    while weakKernel != nil, waited < 5_000 {
      usleep(1_000)
      waited += 1
    }
    #expect(weakKernel == nil, "the kernel is freed once its last thread has ended")
    spawned.join()  // joining needs only the OS thread, not the kernel
  }
}
