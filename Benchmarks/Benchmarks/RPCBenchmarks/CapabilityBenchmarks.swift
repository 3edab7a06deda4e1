import Benchmark
import Dispatch
import HurdCap
@_spi(Transport) import HurdRPC
import HurdRPCL4

#if canImport(Glibc)
  import Glibc
#endif

// The capability layer's cost on the L4 transport: the same null call as "HurdRPC over L4: null
// call, thread <-> thread", but on a capability (cap id in word 0, bucket checks, call record),
// and a forged id rejected by the bucket (no handler, should allocate nothing on the server).

struct NullCapDemux: CapDemultiplexer {
  func dispatch(_ request: borrowing Message, reply: inout Message, object: CapObject, context: CapCallContext)
    throws(RPCError)
  {
    if case .string(let string)? = request.items.first {
      try reply.append(UInt64(string.byteCount))
    } else {
      try reply.append(try request.word(at: 0) &+ 1)
    }
  }
}

final class CapabilityRig: @unchecked Sendable {
  let kernel = L4Kernel()
  let system = CapabilitySystem()
  let server: L4ServerTransport
  let bucket: CapBucket
  let client: RPCClient<CapabilityTransport<L4ClientTransport>>
  let forged: RPCClient<L4ClientTransport>
  /// The same transports, but a plain demux (no capability): isolates the bucket's cost.
  let plainServer: L4ServerTransport
  let plain: RPCClient<L4ClientTransport>
  /// A bucket behind a manager with one worker: register-only calls are propagated to it,
  /// string-carrying ones handed over decoded.
  let pooledServer: L4ServerTransport
  let pooled: RPCClient<CapabilityTransport<L4ClientTransport>>
  private let done = DispatchSemaphore(value: 0)

  init() {
    let serverSpace = kernel.createSpace()
    server = L4ServerTransport(space: serverSpace, workers: 0, capabilities: system)
    bucket = CapBucket(system: system, serverTask: UInt64(serverSpace.number), address: server.endpoint.raw)
    let object = CapObject()
    try! bucket.register(object, in: CapClass(name: "null", demux: NullCapDemux()))
    let clientSpace = kernel.createSpace()
    let name = try! bucket.give(object, to: UInt64(clientSpace.number))
    client = RPCClient(
      transport: try! system.client(for: name, in: UInt64(clientSpace.number)) { [system] address in
        L4ClientTransport(space: clientSpace, server: L4ThreadID(raw: address), capabilities: system)
      })
    forged = RPCClient(transport: L4ClientTransport(space: clientSpace, server: server, capabilities: system))
    plainServer = L4ServerTransport(space: kernel.createSpace(), workers: 0, capabilities: system)
    plain = RPCClient(transport: L4ClientTransport(space: clientSpace, server: plainServer, capabilities: system))
    let pooledSpace = kernel.createSpace()
    pooledServer = L4ServerTransport(space: pooledSpace, workers: 1, capabilities: system)
    let pooledBucket = CapBucket(system: system, serverTask: UInt64(pooledSpace.number), address: pooledServer.endpoint.raw)
    let pooledObject = CapObject()
    try! pooledBucket.register(pooledObject, in: CapClass(name: "null", demux: NullCapDemux()))
    let pooledName = try! pooledBucket.give(pooledObject, to: UInt64(clientSpace.number))
    pooled = RPCClient(
      transport: try! system.client(for: pooledName, in: UInt64(clientSpace.number)) { [system] address in
        L4ClientTransport(space: clientSpace, server: L4ThreadID(raw: address), capabilities: system)
      })
    for (transport, dispatcher) in [
      (server, RequestDispatcher(bucket)), (plainServer, RequestDispatcher(BenchDemux())),
      (pooledServer, RequestDispatcher(pooledBucket)),
    ] {
      BlockingExecutor.shared.execute { [done] in
        try? transport.serve(dispatcher)
        done.signal()
      }
      while kernel.thread(transport.endpoint)?.ipcActivity != .receiving { usleep(50) }
    }
  }

  func stop() {
    server.shutdown()
    plainServer.shutdown()
    pooledServer.shutdown()
    done.wait()
    done.wait()
    done.wait()
  }
}

func registerCapabilityBenchmarks() {
  nonisolated(unsafe) var rig: CapabilityRig?
  let configuration = Benchmark.Configuration(
    scalingFactor: .kilo,
    setup: { rig = CapabilityRig() },
    teardown: {
      rig?.stop()
      rig = nil
    })
  Benchmark("HurdCap over L4: null call on a capability, thread <-> thread", configuration: configuration) {
    nullCalls($0, rig?.client, label: 1)
  }
  Benchmark("HurdCap over L4: null call, capability transports, plain demux", configuration: configuration) {
    nullCalls($0, rig?.plain, label: BenchDemux.null)
  }
  Benchmark("HurdCap over L4: null call on a capability, manager + 1 worker", configuration: configuration) {
    nullCalls($0, rig?.pooled, label: 1)
  }
  Benchmark("HurdCap over L4: 64-byte string on a capability, handed to the worker", configuration: configuration) {
    var request = Message(label: 2)
    try? request.append(.string(StringItem([UInt8](repeating: 1, count: 64))))
    calls($0, rig?.pooled, request)
  }
  Benchmark("HurdCap over L4: forged capability id rejected", configuration: configuration) { benchmark in
    guard let forged = rig?.forged else { return }
    var request = Message(label: 1)
    try? request.append(0xDEAD_BEEF)  // no such id: answered capInvalid, no handler
    var failures = 0
    for _ in benchmark.scaledIterations {
      do throws(RPCError) {
        _ = try forged.call(request)
      } catch {
        failures += 1
      }
    }
    blackHole(failures)
  }
}

/// `label` with one word, answered with the word + 1, as many times as the benchmark asks.
private func nullCalls<Transport: ClientTransport>(_ benchmark: Benchmark, _ client: RPCClient<Transport>?, label: UInt64) {
  var request = Message(label: label)
  try? request.append(41)
  calls(benchmark, client, request)
}

/// `request`, as many times as the benchmark asks (each reply's first word after the RetCode summed).
private func calls<Transport: ClientTransport>(_ benchmark: Benchmark, _ client: RPCClient<Transport>?, _ request: Message) {
  guard let client else { return }
  var sum: UInt64 = 0
  for _ in benchmark.scaledIterations {
    do throws(RPCError) {
      sum &+= try client.call(request)[1]
    } catch {
      fatalError("\(benchmark.name): \(error)")
    }
  }
  blackHole(sum)
}
