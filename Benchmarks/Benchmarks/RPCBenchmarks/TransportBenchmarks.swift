import Benchmark
import Dispatch
import HurdRPC
import HurdRPCL4

// The path generated code takes: RPCClient → L4ClientTransport (the benchmark's OS thread is
// adopted as an L4 thread) → L4ServerTransport receive loop → RequestDispatcher → demux.

struct BenchDemux: Demultiplexer {
  static let null: UInt64 = 1
  static let items: UInt64 = 2

  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    switch request.label {
    case Self.null: try reply.append(try request.word(at: 0) &+ 1)
    case Self.items: try reply.append(UInt64(request.items.count))
    default: throw RPCError(.badID)
    }
  }
}

/// A served `L4ServerTransport` and a client of it.
final class L4TransportRig: @unchecked Sendable {
  let kernel = L4Kernel()
  let server: L4ServerTransport
  let client: RPCClient<L4ClientTransport>
  private let done = DispatchSemaphore(value: 0)

  init(mode: L4DispatchMode, configuration: L4TransportConfiguration = .default) {
    server = L4ServerTransport(space: kernel.createSpace(), mode: mode, configuration: configuration)
    client = RPCClient(
      transport: L4ClientTransport(space: kernel.createSpace(), server: server, configuration: configuration))
    let dispatcher = RequestDispatcher(BenchDemux())
    BlockingExecutor.shared.execute { [server, done] in
      try? server.serve(dispatcher)
      done.signal()
    }
    while kernel.thread(server.endpoint)?.ipcActivity != .receiving { usleep(50) }
  }

  func stop() {
    server.shutdown()
    done.wait()
  }
}

#if canImport(Glibc)
  import Glibc
#endif

/// A benchmark calling through a served `L4TransportRig` set up before and torn down after it.
func l4TransportBenchmark(
  _ name: String, mode: L4DispatchMode, configuration: L4TransportConfiguration = .default,
  body: @escaping @Sendable (Benchmark, RPCClient<L4ClientTransport>) -> Void
) {
  nonisolated(unsafe) var rig: L4TransportRig?
  Benchmark(
    name,
    configuration: .init(
      scalingFactor: .kilo,
      setup: { rig = L4TransportRig(mode: mode, configuration: configuration) },
      teardown: {
        rig?.stop()
        rig = nil
      })
  ) { benchmark in
    guard let client = rig?.client else { return }
    body(benchmark, client)
  }
}

func registerTransportBenchmarks() {
  for (name, mode) in [("HurdRPC over L4: null call, thread <-> thread", L4DispatchMode.threaded),
                       ("HurdRPC over L4: null call, direct dispatch", .direct)] {
    l4TransportBenchmark(name, mode: mode) { benchmark, client in
      var request = Message(label: BenchDemux.null)
      try? request.append(41)
      var sum: UInt64 = 0
      for _ in benchmark.scaledIterations {
        do throws(RPCError) {
          sum &+= try client.call(request)[1]
        } catch {
          fatalError("\(name): \(error)")
        }
      }
      blackHole(sum)
    }
  }

  // The same through the in-place call generated stubs use (`call(&request, reply: &reply)`):
  // the 512-byte message is not copied at the call boundaries (docs/performance.md, "Message
  // copies pass").
  for (name, mode) in [("HurdRPC over L4: null call in place, thread <-> thread", L4DispatchMode.threaded),
                       ("HurdRPC over L4: null call in place, direct dispatch", .direct)] {
    l4TransportBenchmark(name, mode: mode) { benchmark, client in
      var request = Message(label: BenchDemux.null)
      try? request.append(41)
      var reply = Message(label: 0)
      var sum: UInt64 = 0
      for _ in benchmark.scaledIterations {
        do throws(RPCError) {
          try client.call(&request, reply: &reply)
          sum &+= reply[1]
        } catch {
          fatalError("\(name): \(error)")
        }
      }
      blackHole(sum)
    }
  }

  /// One call carrying `item()` (built once; regions are reused, strings are copied per call).
  func itemCall(_ name: String, configuration: L4TransportConfiguration = .default, item: @escaping @Sendable () -> TypedItem) {
    l4TransportBenchmark(name, mode: .threaded, configuration: configuration) { benchmark, client in
      var request = Message(label: BenchDemux.items)
      try? request.append(item())
      var sum: UInt64 = 0
      for _ in benchmark.scaledIterations {
        do throws(RPCError) {
          sum &+= try client.call(request)[1]
        } catch {
          fatalError("\(name): \(error)")
        }
      }
      blackHole(sum)
    }
  }

  let fourKiB = [UInt8](repeating: 0x5A, count: 4096)
  let oneMiB = [UInt8](repeating: 0x5A, count: 1 << 20)
  let bigStrings = L4TransportConfiguration(stringBufferSize: 1 << 20, stringBufferCount: 1)
  itemCall("HurdRPC over L4: call + 4 KiB string item") { .string(StringItem(fourKiB)) }
  itemCall("HurdRPC over L4: call + 1 MiB string item (copy)", configuration: bigStrings) {
    .string(StringItem(oneMiB))
  }
  let smallRegion = MemoryRegion(copying: fourKiB)
  let bigRegion = MemoryRegion(copying: oneMiB)
  itemCall("HurdRPC over L4: call + map 4 KiB region") { .region(.map(smallRegion)) }
  itemCall("HurdRPC over L4: call + map 1 MiB region") { .region(.map(bigRegion)) }
  itemCall("HurdRPC over L4: call + grant 4 KiB region") { .region(.grant(smallRegion)) }
  itemCall("HurdRPC over L4: call + grant 1 MiB region") { .region(.grant(bigRegion)) }
}
