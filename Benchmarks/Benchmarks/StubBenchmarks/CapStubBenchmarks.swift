import Benchmark
import HurdCap
import HurdRPC
import HurdRPCL4

// Generated stubs served through HurdCap (docs/performance.md, "Generated stubs"): the demux as
// a capability class, so each call passes the bucket (capability check, call record) and reaches
// the handlers with its object as their target; `twice`'s handler gets a `ServerReplyPort` that
// could defer the reply (a bucket's calls can be answered later) and answers at once.

/// The generated server whose targets are the bucket's objects.
struct CapStubService: StubbenchServerDefaults {
  typealias Target = CapObject

  func nullCall(_ target: CapObject, context: CallContext) throws(ReturnCode) {}

  func twice(_ target: CapObject, replyPort: ServerReplyPort<Int32>, value: Int32, context: CallContext)
    throws(ReturnCode) -> Int32
  {
    value &* 2
  }
}

/// A bucket serving one object of `CapStubService` over L4 (thread ↔ thread: the capability layer
/// needs the threaded transport), and a client holding a capability to it.
final class CapStubRig: BenchmarkRig {
  let kernel = L4Kernel()
  let system = CapabilitySystem()
  let client: StubbenchClient<CapabilityTransport<L4ClientTransport>>
  private let stopServing: @Sendable () -> Void

  init() {
    let serverSpace = kernel.createSpace()
    let server = L4ServerTransport(space: serverSpace, workers: 0, capabilities: system)
    let bucket = CapBucket(system: system, serverTask: UInt64(serverSpace.number), address: server.endpoint.raw)
    let object = CapObject()
    try! bucket.register(object, in: CapClass(name: "stubbench", targeted: StubbenchDemux(CapStubService())))
    let clientSpace = kernel.createSpace()
    let name = try! bucket.give(object, to: UInt64(clientSpace.number))
    client = StubbenchClient(
      transport: try! system.client(for: name, in: UInt64(clientSpace.number)) { [system] address in
        L4ClientTransport(space: clientSpace, server: L4ThreadID(raw: address), capabilities: system)
      })
    stopServing = serveInBackground(server, RequestDispatcher(bucket), kernel: kernel)
  }

  func stop() { stopServing() }
}

func registerCapStubBenchmarks() {
  rigBenchmark("stubs: generated null routine on a capability (HurdCap bucket, L4)", make: { CapStubRig() }) {
    benchmark, rig in
    for _ in benchmark.scaledIterations {
      do throws(RPCError) {
        try rig.client.nullCall()
      } catch {
        fatalError("generated null call on a capability: \(error)")
      }
    }
  }

  rigBenchmark(
    "stubs: generated sreplyport routine answered at once, on a capability (HurdCap bucket, L4)", make: { CapStubRig() }
  ) { benchmark, rig in
    var sum: Int32 = 0
    for index in benchmark.scaledIterations {
      do throws(RPCError) {
        sum &+= try rig.client.twice(value: Int32(truncatingIfNeeded: index))
      } catch {
        fatalError("generated sreplyport call: \(error)")
      }
    }
    blackHole(sum)
  }
}
