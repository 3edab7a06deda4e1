import Benchmark
import Dispatch
import Foundation
import HurdRPC
import HurdRPCL4

// Generated stubs (Generated/stubbench.hurdidl.swift, from stubbench.defs by the hurdidl CLI)
// against the raw backend call they sit on, and their marshalling against swift-protobuf's
// (docs/performance.md, "Generated stubs"). Every call runs over the L4 transport in
// direct-dispatch mode, where a register-only call costs a few hundred ns, so the stubs' own
// cost is visible; benchmark bodies are nonisolated closures outside `main.swift`.

/// The generated server: the null routine does nothing, `small` sums its scalars, `twice`
/// doubles its value (answering at once).
struct StubService: StubbenchServer {
  func nullCall(_ target: Void, context: CallContext) throws(ReturnCode) {}

  func small(
    _ target: Void, a: Int32, b: Int32, c: Int64, data: InlineArray<16, UInt8>, context: CallContext
  ) throws(ReturnCode) -> Int64 {
    Int64(a) &+ Int64(b) &+ c &+ Int64(data[15])
  }

  func twice(_ target: Void, replyPort: ServerReplyPort<Int32>, value: Int32, context: CallContext)
    throws(ReturnCode) -> Int32
  {
    value &* 2
  }
}

/// The same two calls written against the runtime directly (the "raw backend call"): the same
/// words travel, a hand-written demux answers.
struct RawDemux: Demultiplexer {
  static let null: UInt64 = 9000
  static let small: UInt64 = 9001

  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    switch request.label {
    case Self.null:
      guard request.wordCount == 0 else { throw RPCError(.badArguments) }
    case Self.small:
      guard request.wordCount == 4 else { throw RPCError(.badArguments) }
      let a = Int64(Int32(truncatingIfNeeded: request[0]))
      let b = Int64(Int32(truncatingIfNeeded: request[0] >> 32))
      let sum = a &+ b &+ Int64(bitPattern: request[1]) &+ Int64(request[3] >> 56)
      try reply.append(UInt64(bitPattern: sum))
    default: throw RPCError(.badID)
    }
  }
}

/// Serves `dispatcher` on `server` in the background, once `server` receives; the returned
/// closure shuts it down and waits for the serving thread.
func serveInBackground(_ server: L4ServerTransport, _ dispatcher: RequestDispatcher, kernel: L4Kernel)
  -> @Sendable () -> Void
{
  let done = DispatchSemaphore(value: 0)
  BlockingExecutor.shared.execute {
    try? server.serve(dispatcher)
    done.signal()
  }
  while kernel.thread(server.endpoint)?.ipcActivity != .receiving { usleep(50) }
  return {
    server.shutdown()
    done.wait()
  }
}

/// What a benchmark sets up before it runs and tears down after it.
protocol BenchmarkRig: AnyObject, Sendable {
  func stop()
}

/// A served `L4ServerTransport` (direct dispatch) and a client transport to it.
final class StubRig: BenchmarkRig {
  let kernel = L4Kernel()
  let server: L4ServerTransport
  let transport: L4ClientTransport
  private let stopServing: @Sendable () -> Void

  init(_ demux: some Demultiplexer) {
    server = L4ServerTransport(space: kernel.createSpace(), mode: .direct)
    transport = L4ClientTransport(space: kernel.createSpace(), server: server)
    stopServing = serveInBackground(server, RequestDispatcher(demux), kernel: kernel)
  }

  func stop() { stopServing() }
}

/// A benchmark with a rig `make` sets up before and torn down after it.
func rigBenchmark<Rig: BenchmarkRig>(
  _ name: String, make: @escaping @Sendable () -> Rig, body: @escaping @Sendable (Benchmark, Rig) -> Void
) {
  nonisolated(unsafe) var rig: Rig?
  Benchmark(
    name,
    configuration: .init(
      setup: { rig = make() },
      teardown: {
        rig?.stop()
        rig = nil
      })
  ) { benchmark in
    guard let rig else { return }
    body(benchmark, rig)
  }
}

/// A benchmark with a `StubRig` serving `demux`.
func rigBenchmark(
  _ name: String, _ demux: some Demultiplexer & Sendable, body: @escaping @Sendable (Benchmark, StubRig) -> Void
) {
  rigBenchmark(name, make: { StubRig(demux) }, body: body)
}

let smallData = InlineArray<16, UInt8> { UInt8($0) }

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .nanoseconds, warmupIterations: 100,
    scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 100_000)

  // MARK: Null routine

  rigBenchmark("stubs: raw backend null call (RPCClient, L4 direct)", RawDemux()) { benchmark, rig in
    let client = RPCClient(transport: rig.transport)
    let request = Message(label: RawDemux.null)
    var count = 0
    for _ in benchmark.scaledIterations {
      do throws(RPCError) {
        count &+= try client.call(request).wordCount
      } catch {
        fatalError("raw null call: \(error)")
      }
    }
    blackHole(count)
  }

  rigBenchmark("stubs: generated null routine (L4 direct)", StubbenchDemux(StubService())) { benchmark, rig in
    let client = StubbenchClient(transport: rig.transport)
    for _ in benchmark.scaledIterations {
      do throws(RPCError) {
        try client.nullCall()
      } catch {
        fatalError("generated null call: \(error)")
      }
    }
  }

  // MARK: 3 scalars + 16-byte array (marshal + call + unmarshal)

  rigBenchmark("stubs: raw backend call, 3 scalars + 16 B (RPCClient, L4 direct)", RawDemux()) { benchmark, rig in
    let client = RPCClient(transport: rig.transport)
    var sum: Int64 = 0
    for index in benchmark.scaledIterations {
      do throws(RPCError) {
        var request = Message(label: RawDemux.small)
        try request.append(UInt64(UInt32(truncatingIfNeeded: index)) | 7 << 32)
        try request.append(UInt64(index) << 20)
        try request.append(0x0706_0504_0302_0100)
        try request.append(0x0F0E_0D0C_0B0A_0908)
        sum &+= Int64(bitPattern: try client.call(request)[1])
      } catch {
        fatalError("raw small call: \(error)")
      }
    }
    blackHole(sum)
  }

  rigBenchmark("stubs: generated small routine, 3 scalars + 16 B (L4 direct)", StubbenchDemux(StubService())) {
    benchmark, rig in
    let client = StubbenchClient(transport: rig.transport)
    var sum: Int64 = 0
    for index in benchmark.scaledIterations {
      do throws(RPCError) {
        sum &+= try client.small(a: Int32(truncatingIfNeeded: index), b: 7, c: Int64(index) << 20, data: smallData)
      } catch {
        fatalError("generated small call: \(error)")
      }
    }
    blackHole(sum)
  }

  // MARK: Through the capability layer (CapStubBenchmarks.swift)

  registerCapStubBenchmarks()

  // MARK: Marshalling alone: the small request encoded and decoded

  Benchmark("marshal+unmarshal: generated small request (L4 words)") { benchmark in
    var sum: Int64 = 0
    for index in benchmark.scaledIterations {
      do throws(RPCError) {
        let message = try Stubbench.Wire.encodeSmallRequest(
          a: Int32(truncatingIfNeeded: index), b: 7, c: Int64(index) << 20, data: smallData)
        let (a, b, c, data) = try Stubbench.Wire.decodeSmallRequest(message)
        sum &+= Int64(a) &+ Int64(b) &+ c &+ Int64(data[15])
      } catch {
        fatalError("generated marshalling: \(error)")
      }
    }
    blackHole(sum)
  }

  Benchmark("marshal+unmarshal: swift-protobuf small message (binary)") { benchmark in
    var message = SmallProto()
    message.data = Data(smallData.indices.map { smallData[$0] })
    var sum: Int64 = 0
    for index in benchmark.scaledIterations {
      do {
        message.a = Int32(truncatingIfNeeded: index)
        message.b = 7
        message.c = Int64(index) << 20
        let bytes: [UInt8] = try message.serializedBytes()
        let decoded = try SmallProto(serializedBytes: bytes)
        sum &+= Int64(decoded.a) &+ Int64(decoded.b) &+ decoded.c &+ Int64(decoded.data[15])
      } catch {
        fatalError("swift-protobuf: \(error)")
      }
    }
    blackHole(sum)
  }
}
