import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

extension CapabilityLayerTests {
/// The three-party copy with each participant killed at each step (docs/capabilities.md §2,
/// failure table): no leaked reference or container, and no capability reaching the wrong task.
/// C (Alice) copies her capability to D (a third server) in a request; S serves the object.
@Suite("Capability copy protocol under failures")
struct CopyProtocolFailureTests {
  enum Victim: String, CaseIterable, Sendable { case sender = "C", receiver = "D", server = "S", senderAndReceiver = "C+D" }

  /// Every step the system reports (`TransferStep.allCases`), so a new step gets its cases.
  static let cases: [(Victim, CapabilitySystem.TransferStep)] = Victim.allCases.flatMap { victim in
    CapabilitySystem.TransferStep.allCases.map { (victim, $0) }
  }

  @Test(arguments: cases)
  func aParticipantDyingAtAStepLeaksNothing(victim: Victim, step: CapabilitySystem.TransferStep) throws {
    let world = CapWorld()
    defer { world.stop() }
    let third = world.anotherServer()
    let alice = world.task()
    let c = UInt64(alice.number)
    let d = third.serverTask
    let s = world.serverTask
    let counter = try world.counter("shared")
    let aliceName = try world.bucket.give(counter, to: c)
    let dummy = try third.bucket.give(try third.counter("d"), to: c)
    let fired = Locked(false)
    world.system.transferObserver = { [system = world.system] seen, _, _ in
      guard seen == step, fired.withLock({ done in defer { done = true }; return !done }) else { return }
      switch victim {
      case .sender: system.taskDied(c)
      case .receiver: system.taskDied(d)
      case .server: system.taskDied(s)
      case .senderAndReceiver:
        system.taskDied(c)
        system.taskDied(d)
      }
    }
    let error = caught { () throws(RPCError) in
      try third.call(dummy, in: alice, CounterDemux.keep, items: [.capability(CapabilityItem(aliceName, disposition: .copySend))])
    }
    world.system.transferObserver = nil
    #expect(fired.withLock { $0 })
    let dDied = victim == .receiver || victim == .senderAndReceiver
    let cDied = victim == .sender || victim == .senderAndReceiver
    // `.finished` comes after the reply arrived: the call succeeded and D's handler kept its
    // capability before anyone died.
    let completed = step == .finished
    if completed {
      #expect(error == nil)
      #expect(third.log.kept.withLock { $0.count } == 1)
    } else if dDied {
      #expect(error?.code == .returnCode(.capDied))  // D's server is gone: no handler ran
      #expect(third.log.kept.withLock { $0 }.isEmpty)
    } else if cDied {
      #expect(error?.code == .returnCode(.capInvalid))  // a dead task's namespace is gone: no handler ran
      #expect(third.log.kept.withLock { $0 }.isEmpty)
    } else {
      #expect(error == nil)
    }
    let kept = third.log.kept.withLock { $0.first?.name }
    // Whatever D got is D's own capability to the right object, or a dead name.
    if let kept, case .send? = world.system.space(for: d).right(of: kept) {
      let (server, id) = try world.system.space(for: d).target(of: kept)
      #expect(server == world.bucket.address)
      #expect(world.bucket.object(for: id, client: d) === counter)
      #expect(world.bucket.object(for: id, client: c) !== counter || id == (try? world.system.space(for: c).target(of: aliceName))?.id)
    }
    // References: one per live holder that has a live name; none once S died. Before the call
    // completed, C's death also takes D's capability (the dead task's request is refused).
    let dHolds = !dDied && (completed || !cDied) && (kept?.isValid ?? false) && victim != .server
    let expected = victim == .server ? 0 : (cDied ? 0 : 1) + (dHolds ? 1 : 0)
    #expect(counter.referenceCount == expected)
    #expect(world.bucket.openContainers == 0)
    if victim == .server {
      #expect(world.system.space(for: c).right(of: aliceName) == .dead)
    }
  }
}
}

extension CapabilitySystem.TransferStep: CustomTestStringConvertible {
  public var testDescription: String { "\(self)" }
}

extension CapabilityLayerTests {
@Suite("Capability copy protocol: malicious participants")
struct MaliciousTransferTests {
  @Test func aContainerIsAcceptedOnlyByItsTargetFromItsCreatorAndOnlyOnce() throws {
    let system = CapabilitySystem()
    let bucket = CapBucket(system: system, serverTask: 1, address: 100)
    let objects = CapClass(name: "plain", demux: PlainCapDemultiplexer(NoRoutines()))
    let object = CapObject()
    try bucket.register(object, in: objects)
    let (c, d, e): (TaskID, TaskID, TaskID) = (2, 3, 4)
    let cID = try bucket.inject(object, into: c)
    let container = try bucket.createContainer(from: cID, creator: c, target: d, sendOnce: false)
    // E steals the container id; C lies about who made it; a forged container id.
    for (key, creator, acceptor) in [(container, c, e), (container, e, d), (container &+ 1, c, d)] {
      var code: RPCError.Code? = nil
      do { _ = try bucket.acceptContainer(key, creator: creator, acceptor: acceptor) } catch { code = error.code }
      #expect(code == .returnCode(.capInvalid))
    }
    let (dID, _) = try bucket.acceptContainer(container, creator: c, acceptor: d)
    #expect(bucket.object(for: dID, client: d) === object)
    #expect(bucket.object(for: dID, client: e) == nil)
    var again: RPCError.Code? = nil
    do { _ = try bucket.acceptContainer(container, creator: c, acceptor: d) } catch { again = error.code }
    #expect(again == .returnCode(.capInvalid))
    #expect(object.referenceCount == 2)
    #expect(bucket.openContainers == 0)
  }

  @Test func containersAreChargedToTheirCreatorAndBounded() throws {
    let system = CapabilitySystem()
    let bucket = CapBucket(system: system, serverTask: 1, address: 100, limits: CapLimits(containersPerClient: 2))
    let object = CapObject()
    try bucket.register(object, in: CapClass(name: "plain", demux: PlainCapDemultiplexer(NoRoutines())))
    let id = try bucket.inject(object, into: 2)
    _ = try bucket.createContainer(from: id, creator: 2, target: 3, sendOnce: false)
    _ = try bucket.createContainer(from: id, creator: 2, target: 3, sendOnce: false)
    var code: RPCError.Code? = nil
    do { _ = try bucket.createContainer(from: id, creator: 2, target: 3, sendOnce: false) } catch { code = error.code }
    #expect(code == .returnCode(.EAGAIN))
    // Another client is not affected.
    let other = try bucket.inject(object, into: 5)
    _ = try bucket.createContainer(from: other, creator: 5, target: 3, sendOnce: false)
    system.taskDied(2)
    #expect(bucket.openContainers == 1)
  }
}
}

/// A demux with no routines (for bucket-level tests).
struct NoRoutines: Demultiplexer {
  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    throw RPCError(.badID)
  }
}
