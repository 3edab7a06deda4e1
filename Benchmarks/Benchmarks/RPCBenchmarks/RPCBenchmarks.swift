import Benchmark
import HurdRPC
import HurdRPCL4

// Benchmark bodies are nonisolated closures in a non-main file: nothing here runs with
// main-actor isolation checks.

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .nanoseconds, warmupIterations: 100,
    scalingFactor: .kilo, maxDuration: .seconds(3), maxIterations: 100_000)

  // Floor.
  let handler = makeNullHandler()
  Benchmark("floor: existential call") { benchmark in
    var value: UInt64 = 0
    for _ in benchmark.scaledIterations { value = handler.handle(value) }
    blackHole(value)
  }

  // Raw thread hand-off.
  nonisolated(unsafe) var handoff: RawHandoff?
  Benchmark(
    "raw spin-then-park hand-off (2 threads)",
    configuration: .init(
      setup: { handoff = RawHandoff() },
      teardown: {
        handoff?.stop()
        handoff = nil
      })
  ) { benchmark in
    guard let handoff else { return }
    var value: UInt64 = 0
    for _ in benchmark.scaledIterations { value = handoff.roundTrip(value) }
    blackHole(value)
  }

  // The same, with both threads pinned to one CPU and to two (the client runs in batches on a
  // pinned thread of its own; compare with the pinned L4 rows).
  for placement in Placement.allCases {
    nonisolated(unsafe) var pinned: (handoff: RawHandoff, client: BatchThread)?
    Benchmark(
      "raw spin-then-park hand-off, \(placement.label)",
      configuration: .init(
        setup: {
          let handoff = RawHandoff(serverCPU: placement.serverCPU)
          let client = BatchThread(cpu: placement.clientCPU) { count in
            var value: UInt64 = 0
            for _ in 0..<count { value = handoff.roundTrip(value) }
            blackHole(value)
          }
          pinned = (handoff, client)
        },
        teardown: {
          pinned?.client.stop()
          pinned?.handoff.stop()
          pinned = nil
        })
    ) { benchmark in
      pinned?.client.run(benchmark.scaledIterations.count)
    }
  }

  // Message construction: register-only messages must not allocate.
  Benchmark("Message: build 8-word register-only message") { benchmark in
    var sum: UInt64 = 0
    for index in benchmark.scaledIterations { sum &+= registerOnlyMessage(UInt64(index))[7] }
    blackHole(sum)
  }

  // Runtime overhead without any transport cost.
  let loopback = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(NullDemux())))
  Benchmark("HurdRPC RPCClient null call, LoopbackTransport") { benchmark in
    var request = Message(label: 7)
    try? request.append(1)
    var value: UInt64 = 0
    for _ in benchmark.scaledIterations {
      if let reply = try? loopback.call(request) { value &+= reply[1] }
    }
    blackHole(value)
  }

  // The async form: hop to a BlockingExecutor thread and back (continuation), per call.
  Benchmark(
    "HurdRPC async call, LoopbackTransport (BlockingExecutor hop)",
    configuration: .init(scalingFactor: .one, maxIterations: 20_000)
  ) { benchmark async in
    var request = Message(label: 7)
    try? request.append(1)
    var value: UInt64 = 0
    for _ in benchmark.scaledIterations {
      if let reply = try? await loopback.call(request) { value &+= reply[1] }
    }
    blackHole(value)
  }

  registerL4Benchmarks()
  registerTransportBenchmarks()
  registerCapabilityBenchmarks()
}
