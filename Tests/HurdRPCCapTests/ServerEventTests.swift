import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

extension CapabilityLayerTests {
/// Server-defined events posted by a server through its bucket (docs/capabilities.md §5).
@Suite("Capability notifications: server-defined events")
struct ServerEventTests {
  /// A class whose handlers post events to the holders of the object they are called on.
  struct AnnouncingDemux: CapDemultiplexer {
    static let announce: UInt64 = 1  // (code, word) → capabilities the event was posted for
    static let flood: UInt64 = 2  // (n) → posts n events (code 1, word i % 16); the number posted

    unowned let bucket: CapBucket

    func dispatch(_ request: borrowing Message, reply: inout Message, object: CapObject, context: CapCallContext)
      throws(RPCError)
    {
      switch request.label {
      case Self.announce:
        let code = try request.word(at: 0)
        let word = try request.word(at: 1)
        try reply.append(UInt64(bucket.notifyHolders(of: object, code: code, word: word)))
      case Self.flood:
        var posted = 0
        for index in 0..<(try request.word(at: 0)) {
          posted += bucket.notifyHolders(of: object, code: 1, word: index % 16)
        }
        try reply.append(UInt64(posted))
      default:
        throw RPCError(.badID)
      }
    }
  }

  @Test func aServerEventReachesEveryHolderOfTheObjectUnderItsOwnName() throws {
    let world = CapWorld()
    defer { world.stop() }
    let announcers = CapClass(name: "announcer", demux: AnnouncingDemux(bucket: world.bucket))
    let topic = CapObject()
    let other = CapObject()
    try world.bucket.register(topic, in: announcers)
    try world.bucket.register(other, in: announcers)
    let (alice, bob, carol) = (world.task(), world.task(), world.task())
    _ = try world.bucket.give(try world.counter(), to: UInt64(alice.number))  // Alice's names differ from Bob's
    let aliceName = try world.bucket.give(topic, to: UInt64(alice.number))
    let bobName = try world.bucket.give(topic, to: UInt64(bob.number))
    _ = try world.bucket.give(other, to: UInt64(carol.number))
    let aliceQueue = world.system.space(for: UInt64(alice.number)).notifications
    let aliceWaits = Background { aliceQueue.wait(until: .now + .seconds(60)) }
    // Bob's call makes the server announce on `topic`: its holders hear it, Carol does not.
    #expect(try world.call(bobName, in: bob, AnnouncingDemux.announce, [7, 42], options: .timeout(.seconds(60))) == [2])
    #expect(aliceWaits.finishes(within: 60_000))
    #expect(aliceWaits.wait().entries == [.init(event: .server(about: aliceName, code: 7, word: 42), count: 1)])
    #expect(aliceName != bobName)
    let bobQueue = world.system.space(for: UInt64(bob.number)).notifications
    #expect(bobQueue.poll().entries == [.init(event: .server(about: bobName, code: 7, word: 42), count: 1)])
    let carolQueue = world.system.space(for: UInt64(carol.number)).notifications
    #expect(carolQueue.poll().isEmpty)
    // An event for one client, about no object; a task that is no client of the server gets none.
    #expect(world.bucket.notify(client: UInt64(carol.number), code: 9, word: 1))
    #expect(carolQueue.poll().entries == [.init(event: .server(about: .null, code: 9, word: 1), count: 1)])
    let stranger = world.task()
    #expect(!world.bucket.notify(client: UInt64(stranger.number), code: 9, word: 1))
    #expect(world.system.space(for: UInt64(stranger.number)).notifications.poll().isEmpty)
    // A revoked object has no holders left to notify.
    world.bucket.revoke(topic)
    _ = bobQueue.poll()
    #expect(world.bucket.notifyHolders(of: topic, code: 7, word: 43) == 0)
    #expect(bobQueue.poll().isEmpty)
  }

  @Test func aServerFloodingAClientThatNeverReadsNeitherBlocksNorLosesTheFact() throws {
    let capacity = 8
    let world = CapWorld(notificationCapacity: capacity)
    defer { world.stop() }
    let announcers = CapClass(name: "announcer", demux: AnnouncingDemux(bucket: world.bucket))
    let topic = CapObject()
    try world.bucket.register(topic, in: announcers)
    let (alice, bob) = (world.task(), world.task())
    let aliceName = try world.bucket.give(topic, to: UInt64(alice.number))
    let bobName = try world.bucket.give(topic, to: UInt64(bob.number))
    world.system.space(for: UInt64(bob.number)).deallocate(bobName)  // only Alice holds it now
    // Alice never reads while the server's handler posts 10,000 events to her; the call
    // returning (before its deadline) shows the server never waited for her.
    let flood = 10_000
    #expect(
      try world.call(aliceName, in: alice, AnnouncingDemux.flood, [UInt64(flood)], options: .timeout(.seconds(120)))
        == [UInt64(flood)])
    let batch = world.system.space(for: UInt64(alice.number)).notifications.poll()
    // The first `capacity` distinct events are queued; later equal ones coalesce into them; the
    // rest are counted as missed: nothing happened without Alice learning of it.
    let perWord = flood / 16
    #expect(batch.entries == (0..<UInt64(capacity)).map {
      .init(event: .server(about: aliceName, code: 1, word: $0), count: perWord)
    })
    #expect(batch.missedEvents == flood - capacity * perWord)
    #expect(batch.entries.reduce(0) { $0 + $1.count } + batch.missedEvents == flood)
  }
}
}
