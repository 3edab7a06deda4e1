import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// A small deterministic generator (SplitMix64) so the stress test is reproducible per seed.
struct SeededGenerator: RandomNumberGenerator, Sendable {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

extension CapabilityLayerTests {
/// Many clients creating, copying, revoking, calling and dropping capabilities at once. At the
/// end every object has no reference left, nothing is in flight, and every notification was
/// delivered exactly once (docs/capabilities.md).
@Suite("Capability stress")
struct StressTests {
  @Test(arguments: [1 as UInt64, 2, 3])
  func manyClientsCopyRevokeAndCallConcurrently(seed: UInt64) throws {
    let world = CapWorld(workers: 3, notificationCapacity: 4096)
    defer { world.stop() }
    let relays = [world.anotherServer(), world.anotherServer()]
    let clients = (0..<4).map { _ in world.task() }
    let initial = try (0..<6).map { try world.counter("c\($0)") }
    var setup = SeededGenerator(state: seed)
    var held: [[CapabilityName]] = []
    var relayNames: [[CapabilityName]] = []
    var given = Set<ObjectIdentifier>()
    for client in clients {
      held.append(
        try (0..<2).map { _ in
          let counter = initial.randomElement(using: &setup)!
          given.insert(ObjectIdentifier(counter))
          return try world.bucket.give(counter, to: UInt64(client.number))
        })
      relayNames.append(try relays.map { try $0.bucket.give(try $0.counter("r"), to: UInt64(client.number)) })
    }
    let revoked = Locked<[CapObject]>([])
    let unexpected = Locked<[String]>([])
    // Every call has a deadline: a lost reply fails the test (naming the operation) instead of
    // hanging the run.
    var bounded = CallOptions.default
    bounded.timeout = .seconds(60)
    let options = bounded
    let workers = clients.indices.map { index in
      // Each worker returns the names it still held that had died (dead names), for the
      // exactly-once check below.
      Background { [held = held[index], relayNames = relayNames[index]] () -> [CapabilityName] in
        var random = SeededGenerator(state: seed &* 1000 &+ UInt64(index))
        var mine = held
        let client = clients[index]
        let task = UInt64(client.number)
        for _ in 0..<60 {
          guard let name = mine.randomElement(using: &random) else { break }
          let roll = Int.random(in: 0..<100, using: &random)
          switch roll {
          case 0..<40:
            let error = caught { () throws(RPCError) in try world.call(name, in: client, CounterDemux.add, [1], options: options) }
            if let error, error.code != .returnCode(.capDied) { unexpected.withLock { $0.append("add: \(error)") } }
          case 40..<65:
            let relay = Int.random(in: 0..<relays.count, using: &random)
            let error = caught { () throws(RPCError) in
              try relays[relay].call(
                relayNames[relay], in: client, CounterDemux.keep,
                items: [.capability(CapabilityItem(name, disposition: .copySend))], options: options)
            }
            if let error { unexpected.withLock { $0.append("copy: \(error)") } }
          case 65..<85:
            world.system.space(for: task).deallocate(name)
            mine.remove(at: mine.firstIndex(of: name)!)
          case 85..<95:
            let reply = caught { () throws(RPCError) in
              let reply = try world.callForReply(name, in: client, CounterDemux.makeCounter, options: options)
              if case .capability(let made)? = reply.items.first { mine.append(made.name) }
            }
            if let reply, reply.code != .returnCode(.capDied) { unexpected.withLock { $0.append("make: \(reply)") } }
          default:
            if case .send(_, let id)? = world.system.space(for: task).right(of: name),
              let object = world.bucket.object(for: id, client: task)
            {
              world.bucket.revoke(object)
              revoked.withLock { $0.append(object) }
            }
          }
        }
        let space = world.system.space(for: task)
        let dead = mine.filter { space.right(of: $0) == .dead }
        for name in mine { space.deallocate(name) }
        for name in relayNames { space.deallocate(name) }
        return dead
      }
    }
    for (index, worker) in workers.enumerated() where !worker.finishes(within: 120_000) {
      Issue.record("client \(index) did not finish its operations within 2 minutes")
      return
    }
    var deadHeld: [TaskID: [CapabilityName]] = [:]
    for (client, worker) in zip(clients, workers) { deadHeld[UInt64(client.number)] = worker.wait() }
    for relay in relays {
      let space = world.system.space(for: relay.serverTask)
      let kept = relay.log.kept.withLock { $0 }.map(\.name).filter(\.isValid)
      deadHeld[relay.serverTask] = kept.filter { space.right(of: $0) == .dead }
      for name in kept { space.deallocate(name) }
    }
    #expect(unexpected.withLock { $0 }.isEmpty)
    for object in initial + world.log.made.withLock({ $0 }) { #expect(object.referenceCount == 0) }
    // Objects that ever had a reference: those given at the start and every one made.
    let objects: [CapObject] = initial.filter { given.contains(ObjectIdentifier($0)) } + world.log.made.withLock { $0 }
    #expect(world.bucket.openContainers == 0)
    #expect(world.bucket.callsInFlight == 0)
    // Exactly one no-senders per object that was not revoked; none for revoked ones.
    let revokedSet = Set(revoked.withLock { $0 }.map(ObjectIdentifier.init))
    let batch = world.system.space(for: world.serverTask).notifications.poll()
    #expect(batch.missedEvents == 0)
    var noSenders: [ObjectIdentifier: Int] = [:]
    for entry in batch.entries {
      if case .noSenders(let object) = entry.event { noSenders[ObjectIdentifier(object), default: 0] += entry.count }
    }
    for object in objects {
      let expected = revokedSet.contains(ObjectIdentifier(object)) ? 0 : 1
      #expect(noSenders[ObjectIdentifier(object), default: 0] == expected)
    }
    // Dead names: at most one per (task, name) (names are never reused), and exactly one for
    // every name a task still held when its object was revoked (none lost).
    for task in clients.map({ UInt64($0.number) }) + relays.map(\.serverTask) {
      let deadNames = world.system.space(for: task).notifications.poll()
      #expect(deadNames.missedEvents == 0)
      #expect(deadNames.entries.allSatisfy { $0.count == 1 })
      var notified: [CapabilityName: Int] = [:]
      var deadNameEntries = 0
      for entry in deadNames.entries {
        guard case .deadName(let name) = entry.event else { continue }  // a relay also gets no-senders
        notified[name, default: 0] += entry.count
        deadNameEntries += 1
      }
      #expect(notified.count == deadNameEntries)
      for name in deadHeld[task] ?? [] {
        #expect(notified[name] == 1, "task \(task) holds dead name \(name) without exactly one dead-name notification")
      }
    }
    // The run must have exercised revocation.
    #expect(!revokedSet.isEmpty)
  }
}
}
