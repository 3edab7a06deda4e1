import Benchmark
import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#endif

// Client in this process, server in a second process: this executable started again with
// SOCKET_BENCH_SERVE=<folder> (see ServerProcess.swift). Each transport row has the raw socket
// row it is compared with beside it, measured in the same run against the same server process.

let benchmarks: @Sendable () -> Void = {
  if let folder = getenv(ServerProcess.environmentVariable) {
    ServerProcess.serve(in: String(cString: folder))  // never returns
  }
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .microseconds, warmupIterations: 20,
    scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 20_000)

  nonisolated(unsafe) var server: ServerProcess?
  let start = { if server == nil { server = ServerProcess() } }

  Benchmark("socket: raw seqpacket ping-pong 64 B (2 processes)", configuration: .init(setup: start)) { benchmark in
    guard let server else { return }
    let fd = server.rawConnection
    var buffer = [UInt8](repeating: 1, count: 64)
    for _ in benchmark.scaledIterations {
      _ = send(fd, &buffer, 64, 0)
      _ = recv(fd, &buffer, 64, 0)
    }
  }

  Benchmark("socket: null call via HurdRPCSocket (2 processes)", configuration: .init(setup: start)) { benchmark in
    guard let client = server?.client() else { return }
    var request = Message(label: BenchService.null)
    try? request.append(41)
    var sum: UInt64 = 0
    for _ in benchmark.scaledIterations { sum &+= (try? client.call(request)[1]) ?? 0 }
    blackHole(sum)
  }

  // The copy/memfd threshold: the same string sent inline (copyThreshold above its size) and
  // through a sealed memfd (copyThreshold 0).
  for kib in [4, 16, 32, 64] {
    for (way, threshold) in [("inline copy", 128 * 1024), ("sealed memfd", 0)] {
      Benchmark("socket: \(kib) KiB string, \(way)", configuration: .init(setup: start)) { benchmark in
        let configuration = SocketTransportConfiguration(copyThreshold: threshold, maxInlineBytes: 128 * 1024)
        guard let client = server?.client(configuration) else { return }
        var request = Message(label: BenchService.items)
        try? request.append(0)
        try? request.append(.string(StringItem([UInt8](repeating: 7, count: kib * 1024))))
        var sum: UInt64 = 0
        for _ in benchmark.scaledIterations { sum &+= (try? client.call(request)[1]) ?? 0 }
        blackHole(sum)
      }
    }
  }

  // 1 MiB: written through a stream socket (raw), copied through a sealed memfd (a string),
  // mapped (a shared region; the server reads one byte, or every cache line).
  Benchmark("socket: 1 MiB written through a stream socket (raw, server reads it all)", configuration: .init(setup: start)) {
    benchmark in
    guard let server else { return }
    let fd = server.streamConnection
    let payload = [UInt8](repeating: 3, count: 1 << 20)
    var ack: UInt8 = 0
    for _ in benchmark.scaledIterations {
      payload.withUnsafeBytes { bytes in
        var done = 0
        while done < bytes.count { done += max(0, write(fd, bytes.baseAddress! + done, bytes.count - done)) }
      }
      _ = read(fd, &ack, 1)
    }
  }

  Benchmark("socket: 1 MiB string, sealed memfd copy", configuration: .init(setup: start)) { benchmark in
    guard let client = server?.client() else { return }
    var request = Message(label: BenchService.items)
    try? request.append(0)
    try? request.append(.string(StringItem([UInt8](repeating: 7, count: 1 << 20))))
    var sum: UInt64 = 0
    for _ in benchmark.scaledIterations { sum &+= (try? client.call(request)[1]) ?? 0 }
    blackHole(sum)
  }

  for (touch, label) in [(UInt64(0), "server reads 1 byte"), (1, "server reads every cache line")] {
    for size in [64 * 1024, 1 << 20] {
      Benchmark("socket: \(size / 1024) KiB region map (shared memfd), \(label)", configuration: .init(setup: start)) {
        benchmark in
        guard let client = server?.client(), let region = try? SharedMemory.makeRegion(byteCount: size) else { return }
        region.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 1) }
        var request = Message(label: BenchService.items)
        try? request.append(touch)
        try? request.append(.region(.map(region, rights: .read)))
        var sum: UInt64 = 0
        for _ in benchmark.scaledIterations { sum &+= (try? client.call(request)[1]) ?? 0 }
        blackHole(sum)
      }
    }
  }
}
