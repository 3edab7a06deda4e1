import HurdRPCL4
import Testing

/// Propagation (§1.7) and redirection (§1.9): the tools for transparent interposition.
@Suite("L4 propagation and redirection")
struct InterpositionTests {
  struct Seen: Sendable, Equatable {
    var from: L4ThreadID
    var propagated: Bool
    var redirected: Bool
    var actualSender: L4ThreadID
    var intendedReceiver: L4ThreadID
  }

  static func seen(_ r: L4IPCResult, _ ctx: L4ThreadContext) -> Seen {
    Seen(
      from: r.from, propagated: r.tag.isPropagated, redirected: r.tag.isRedirected,
      actualSender: ctx.actualSender, intendedReceiver: ctx.intendedReceiver)
  }

  @Test func propagationReplyGoesStraightToTheClient() {
    let kernel = L4Kernel()
    let clientSpace = kernel.createSpace()
    let serverSpace = kernel.createSpace()
    let workerSaw = Slot<Seen>()
    let worker = kernel.spawn(in: serverSpace, name: "worker") { ctx in
      guard let r = try? ctx.wait() else { return }
      workerSaw.set(InterpositionTests.seen(r, ctx))
      ctx.mr.load(label: 200, untyped: [ctx.mr[1] * 2])
      try? ctx.reply(to: r.from)  // straight to the client, zero timeout
    }
    let managerSaw = Slot<L4ThreadID>()
    let manager = kernel.spawn(in: serverSpace, name: "manager") { ctx in
      guard let r = try? ctx.wait() else { return }
      managerSaw.set(r.from)
      // Hand the request on: same words, propagated, virtual sender = the client.
      ctx.virtualSender = r.from
      ctx.mr.load(label: r.tag.label, untyped: [ctx.mr[1]], propagated: true)
      try? ctx.send(to: worker.id)
    }
    #expect(waitUntil(worker, is: .receiving))
    #expect(waitUntil(manager, is: .receiving))
    let reply = Slot<[L4Word]>()
    let client = kernel.spawn(in: clientSpace, name: "client") { ctx in
      ctx.mr.load(label: 100, untyped: [21])
      if let r = try? ctx.call(manager.id) { reply.set([r.from.raw, r.tag.label, ctx.mr[1]]) }
    }
    client.join()
    manager.join()
    worker.join()
    #expect(managerSaw.value == client.id)
    #expect(workerSaw.value == Seen(from: client.id, propagated: true, redirected: false, actualSender: manager.id, intendedReceiver: .nilThread))
    // The client called the manager but its closed wait was rewired to the worker.
    #expect(reply.value == [worker.id.raw, 200, 42])
  }

  @Test func propagationFromAnUnrelatedSpaceIsIgnored() {
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let c = kernel.createSpace()
    let victim = spawnSleeper(kernel, in: a)
    let saw = Slot<Seen>()
    let receiver = kernel.spawn(in: b) { ctx in
      if let r = try? ctx.wait() { saw.set(InterpositionTests.seen(r, ctx)) }
    }
    #expect(waitUntil(receiver, is: .receiving))
    let forger = kernel.spawn(in: c) { ctx in
      ctx.virtualSender = victim.id  // not our space, not the receiver's: p is dropped
      ctx.mr.load(label: 1, propagated: true)
      try? ctx.send(to: receiver.id)
    }
    forger.join()
    receiver.join()
    stop(victim)
    #expect(saw.value == Seen(from: forger.id, propagated: false, redirected: false, actualSender: .nilThread, intendedReceiver: .nilThread))
  }

  @Test func redirectorSeesTheRedirectedFlagAndIntendedReceiver() {
    let kernel = L4Kernel()
    let clientSpace = kernel.createSpace()
    let serverSpace = kernel.createSpace()
    let monitorSpace = kernel.createSpace()
    let server = spawnSleeper(kernel, in: serverSpace)
    let saw = Slot<Seen>()
    let redirector = kernel.spawn(in: monitorSpace, name: "redirector") { ctx in
      if let r = try? ctx.wait() { saw.set(InterpositionTests.seen(r, ctx)) }
    }
    kernel.setRedirector(redirector, for: clientSpace)
    #expect(waitUntil(redirector, is: .receiving))
    let client = kernel.spawn(in: clientSpace) { ctx in
      ctx.mr.load(label: 5)
      try? ctx.send(to: server.id)
    }
    client.join()
    redirector.join()
    stop(server)
    #expect(saw.value == Seen(from: client.id, propagated: false, redirected: true, actualSender: .nilThread, intendedReceiver: server.id))
  }

  @Test func redirectorForwardsAndTheReplyReturnsDirectly() {
    let kernel = L4Kernel()
    let clientSpace = kernel.createSpace()
    let serverSpace = kernel.createSpace()
    let monitorSpace = kernel.createSpace()
    let serverSaw = Slot<Seen>()
    let server = kernel.spawn(in: serverSpace, name: "server") { ctx in
      guard let r = try? ctx.wait() else { return }
      serverSaw.set(InterpositionTests.seen(r, ctx))
      ctx.mr.load(label: 300, untyped: [ctx.mr[1] + 1])
      try? ctx.reply(to: r.from)
    }
    let forwarded = Slot<Bool>()
    let redirector = kernel.spawn(in: monitorSpace, name: "redirector") { ctx in
      guard let r = try? ctx.wait(), r.tag.isRedirected else { return }
      // Reference monitor: allow it, forward as if from the client.
      ctx.virtualSender = r.from
      ctx.mr.load(label: r.tag.label, untyped: [ctx.mr[1]], propagated: true)
      forwarded.set((try? ctx.send(to: ctx.intendedReceiver)) != nil)
    }
    kernel.setRedirector(redirector, for: clientSpace)
    #expect(waitUntil(server, is: .receiving))
    #expect(waitUntil(redirector, is: .receiving))
    let reply = Slot<[L4Word]>()
    let client = kernel.spawn(in: clientSpace) { ctx in
      ctx.mr.load(label: 3, untyped: [9])
      if let r = try? ctx.call(server.id) { reply.set([r.from.raw, r.tag.label, ctx.mr[1]]) }
    }
    client.join()
    redirector.join()
    server.join()
    #expect(forwarded.value == true)
    #expect(serverSaw.value == Seen(from: client.id, propagated: true, redirected: false, actualSender: redirector.id, intendedReceiver: .nilThread))
    #expect(reply.value == [server.id.raw, 300, 10])
  }

  @Test func ipcInsideTheSpaceOrIntoTheRedirectorsSpaceIsNotRedirected() {
    let kernel = L4Kernel()
    let clientSpace = kernel.createSpace()
    let monitorSpace = kernel.createSpace()
    let redirector = spawnSleeper(kernel, in: monitorSpace)
    kernel.setRedirector(redirector, for: clientSpace)
    let neighbourSaw = Slot<Seen>()
    let neighbour = kernel.spawn(in: clientSpace) { ctx in
      if let r = try? ctx.wait() { neighbourSaw.set(InterpositionTests.seen(r, ctx)) }
    }
    let monitorPeerSaw = Slot<Seen>()
    let monitorPeer = kernel.spawn(in: monitorSpace) { ctx in
      if let r = try? ctx.wait() { monitorPeerSaw.set(InterpositionTests.seen(r, ctx)) }
    }
    #expect(waitUntil(neighbour, is: .receiving))
    #expect(waitUntil(monitorPeer, is: .receiving))
    let client = kernel.spawn(in: clientSpace) { ctx in
      ctx.mr.load(label: 1)
      try? ctx.send(to: neighbour.id)
      ctx.mr.load(label: 2)
      try? ctx.send(to: monitorPeer.id)
    }
    client.join()
    neighbour.join()
    monitorPeer.join()
    stop(redirector)
    #expect(neighbourSaw.value?.redirected == false && neighbourSaw.value?.from == client.id)
    #expect(monitorPeerSaw.value?.redirected == false && monitorPeerSaw.value?.from == client.id)
  }

  @Test func mutualSendsUnderRedirectionTimeOutCleanly() {
    // Two spaces send to each other, both redirected to monitors that never receive: both
    // sends time out instead of hanging.
    let kernel = L4Kernel()
    let a = kernel.createSpace()
    let b = kernel.createSpace()
    let errors = Log<L4ErrorCode>()
    let c = kernel.createSpace()
    let redirectorA = spawnSleeper(kernel, in: c)
    let redirectorB = spawnSleeper(kernel, in: c)
    kernel.setRedirector(redirectorA, for: a)
    kernel.setRedirector(redirectorB, for: b)
    let threadB = spawnSleeper(kernel, in: b)
    let threadA = spawnSleeper(kernel, in: a)
    let senders = [(a, threadB), (b, threadA)].map { space, target in
      kernel.spawn(in: space) { ctx in
        ctx.mr.load(label: 1)
        if let e = ipcError({ () throws(L4ErrorCode) in try ctx.send(to: target.id, timeout: twoMilliseconds) }) {
          errors.append(e)
        }
      }
    }
    for s in senders { s.join() }
    for t in [redirectorA, redirectorB, threadA, threadB] { stop(t) }
    #expect(errors.values == [L4ErrorCode(.timeout, phase: .send), L4ErrorCode(.timeout, phase: .send)])
  }
}
