import Benchmark
import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#endif

// Client in this process, server in a second process: this executable started again with
// SOCKET_BENCH_SERVE=<folder> (see ServerProcess.swift). Each transport row has the raw socket
// row it is compared with beside it, measured in the same run against the same server process.
// Payloads, regions and requests are built in `setup`, never in the measured loop.

nonisolated(unsafe) var server: ServerProcess?

/// A benchmark of calls of one prepared request over a client with `configuration`.
func callBenchmark(
  _ name: String, configuration: SocketTransportConfiguration = .default, request makeRequest: @escaping () -> Message
) {
  nonisolated(unsafe) var prepared: (client: RPCClient<SocketClientTransport>, request: Message)?
  Benchmark(
    name,
    configuration: .init(
      setup: {
        if server == nil { server = ServerProcess() }
        prepared = (server!.client(configuration), makeRequest())
      },
      teardown: { prepared = nil })
  ) { benchmark in
    guard let (client, request) = prepared else { return }
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

/// An `items` request (word 0: 0 = the server reads one byte, 1 = every cache line) with `item`.
func itemsRequest(touch: UInt64 = 0, _ item: TypedItem) -> Message {
  var request = Message(label: BenchService.items)
  try? request.append(touch)
  try? request.append(item)
  return request
}

let benchmarks: @Sendable () -> Void = {
  if let folder = getenv(ServerProcess.environmentVariable) {
    ServerProcess.serve(in: String(cString: folder))  // never returns
  }
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .nanoseconds, warmupIterations: 20,
    scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 20_000)

  Benchmark(
    "socket: raw seqpacket ping-pong 64 B (2 processes)",
    configuration: .init(setup: { if server == nil { server = ServerProcess() } })
  ) { benchmark in
    guard let fd = server?.rawConnection else { return }
    var buffer = [UInt8](repeating: 1, count: 64)
    for _ in benchmark.scaledIterations {
      _ = send(fd, &buffer, 64, 0)
      _ = recv(fd, &buffer, 64, 0)
    }
  }

  callBenchmark("socket: null call via HurdRPCSocket (2 processes)") {
    var request = Message(label: BenchService.null)
    try? request.append(41)
    return request
  }

  // The copy/memfd threshold: the same string sent inline (copyThreshold above its size) and
  // through a sealed memfd (copyThreshold 0).
  for kib in [4, 8, 16, 32, 64] {
    for (way, threshold) in [("inline copy", 128 * 1024), ("sealed memfd", 0)] {
      callBenchmark(
        "socket: \(kib) KiB string, \(way)",
        configuration: SocketTransportConfiguration(copyThreshold: threshold, maxInlineBytes: 128 * 1024)
      ) { itemsRequest(.string(StringItem([UInt8](repeating: 7, count: kib * 1024)))) }
    }
  }

  // 1 MiB: written through a stream socket (raw), copied through a sealed memfd (a string),
  // mapped (a shared region; the server reads one byte, or every cache line).
  nonisolated(unsafe) var payload: [UInt8] = []
  Benchmark(
    "socket: 1 MiB written through a stream socket (raw, server reads it all)",
    configuration: .init(
      setup: {
        if server == nil { server = ServerProcess() }
        payload = [UInt8](repeating: 3, count: 1 << 20)
      })
  ) { benchmark in
    guard let fd = server?.streamConnection else { return }
    var ack: UInt8 = 0
    for _ in benchmark.scaledIterations {
      payload.withUnsafeBytes { bytes in
        var done = 0
        while done < bytes.count { done += max(0, write(fd, bytes.baseAddress! + done, bytes.count - done)) }
      }
      _ = read(fd, &ack, 1)
    }
  }

  callBenchmark("socket: 1 MiB string, sealed memfd copy") {
    itemsRequest(.string(StringItem([UInt8](repeating: 7, count: 1 << 20))))
  }

  // 1 MiB through a region the server has never seen: a new memfd every call, so the server
  // pays fstat + seal check + mmap + page faults + munmap each time (the rows below reuse one
  // region, which the connection keeps mapped). The client's memfd_create/mmap is measured too.
  Benchmark(
    "socket: 1 MiB region map, a new shared memfd every call, server reads every cache line",
    configuration: .init(setup: { if server == nil { server = ServerProcess() } })
  ) { benchmark in
    guard let client = server?.client() else { return }
    var sum: UInt64 = 0
    for _ in benchmark.scaledIterations {
      do throws(RPCError) {
        let region = try SharedMemory.makeRegion(byteCount: 1 << 20)
        sum &+= try client.call(itemsRequest(touch: 1, .region(.map(region))))[1]
      } catch {
        fatalError("first-time map: \(error)")
      }
    }
    blackHole(sum)
  }

  for (touch, label) in [(UInt64(0), "server reads 1 byte"), (1, "server reads every cache line")] {
    for size in [64 * 1024, 1 << 20] {
      callBenchmark("socket: \(size / 1024) KiB region map (shared memfd), \(label)") {
        let region = try! SharedMemory.makeRegion(byteCount: size)
        region.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 1) }
        return itemsRequest(touch: touch, .region(.map(region)))
      }
    }
  }
}
