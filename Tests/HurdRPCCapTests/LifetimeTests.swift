import Dispatch
@testable import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

extension CapabilityLayerTests {
/// Nothing in the cap library keeps a server alive once it is shut down and its task ended:
/// recycled call records point back at their bucket, and the system registers every bucket.
@Suite("Capability lifetime")
struct LifetimeTests {
  @Test func aShutDownServerReleasesItsBucketAndSystem() throws {
    weak var bucket: CapBucket?
    weak var system: CapabilitySystem?
    weak var kernel: L4Kernel?
    do {
      let world = CapWorld(workers: 2)
      (bucket, system, kernel) = (world.bucket, world.system, world.kernel)
      let (client, _, name) = try world.holder()
      // Several calls, so finished call records are kept for reuse inside the bucket.
      for n in 1...3 { #expect(try world.call(name, in: client, CounterDemux.add, [1]) == [UInt64(n)]) }
      _ = try world.callForReply(name, in: client, CounterDemux.makeCounter)
      world.stop()
    }
    // The executor thread that ran the server loop lets go of its dispatcher (and through it the
    // bucket) just after `stop` saw the loop end: wait for that, bounded.
    #expect(waitUntilTrue { bucket == nil && system == nil && kernel == nil })
    #expect(bucket == nil)
    #expect(system == nil)
    #expect(kernel == nil)
  }
}
}
