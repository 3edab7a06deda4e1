import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#endif

/// What the server process serves: a null call and an item consumer.
struct BenchService: Demultiplexer {
  static let null: UInt64 = 1
  /// word 0: 0 = read one byte of each item, 1 = read every 64th byte; → sum of what was read.
  static let items: UInt64 = 2

  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    switch request.label {
    case Self.null:
      try reply.append(try request.word(at: 0) &+ 1)
    case Self.items:
      let stride = try request.word(at: 0) == 0 ? Int.max : 64
      var sum: UInt64 = 0
      for item in request.items {
        switch item {
        case .string(let string): sum &+= UInt64(string.byteCount)
        case .region(let region):
          region.region.withUnsafeBytes { bytes in
            for index in Swift.stride(from: 0, to: bytes.count, by: stride) { sum &+= UInt64(bytes[index]) }
          }
        case .capability: break
        }
      }
      try reply.append(sum)
    default:
      throw RPCError(.badID)
    }
  }
}

/// The second process: this executable run again with `environmentVariable` naming a folder
/// where it serves the transport (`transport.sock`), a raw seqpacket echo (`raw.sock`) and a raw
/// stream sink that answers one byte per MiB read (`stream.sock`).
final class ServerProcess: @unchecked Sendable {
  static let environmentVariable = "SOCKET_BENCH_SERVE"
  let folder: String
  let pid: pid_t
  let rawConnection: Int32
  let streamConnection: Int32
  private var clients: [String: RPCClient<SocketClientTransport>] = [:]

  init() {
    folder = "/tmp/hurdrpc-bench-\(getpid())"
    mkdir(folder, 0o700)
    var child: pid_t = 0
    let executable = "/proc/self/exe"
    var argv: [UnsafeMutablePointer<CChar>?] = [strdup("socket-bench-server"), nil]
    var environment: [UnsafeMutablePointer<CChar>?] = [strdup("\(Self.environmentVariable)=\(folder)"), nil]
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    guard posix_spawn(&child, executable, nil, &attributes, &argv, &environment) == 0 else {
      fatalError("cannot start the server process")
    }
    pid = child
    rawConnection = Self.connect("\(folder)/raw.sock", type: SOCK_SEQPACKET)
    streamConnection = Self.connect("\(folder)/stream.sock", type: SOCK_STREAM)
    _ = Self.connect("\(folder)/transport.sock", type: SOCK_SEQPACKET, probeOnly: true)
  }

  deinit {
    kill(pid, SIGKILL)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
  }

  /// A client with `configuration`, kept for the run (its connection is reused).
  func client(_ configuration: SocketTransportConfiguration = .default) -> RPCClient<SocketClientTransport> {
    let key = "\(configuration.copyThreshold)/\(configuration.maxInlineBytes)"
    if let client = clients[key] { return client }
    let client = RPCClient(transport: SocketClientTransport(path: "\(folder)/transport.sock", configuration: configuration))
    clients[key] = client
    return client
  }

  private static func connect(_ path: String, type: __socket_type, probeOnly: Bool = false) -> Int32 {
    for _ in 0..<2000 {
      let fd = bench_connect(path, Int32(type.rawValue))
      if fd >= 0 {
        if probeOnly { close(fd) }
        return fd
      }
      usleep(5_000)
    }
    fatalError("the server process did not listen at \(path)")
  }

  static func serve(in folder: String) -> Never {
    let configuration = SocketTransportConfiguration(maxInlineBytes: 128 * 1024)
    guard let transport = try? SocketServerTransport(path: "\(folder)/transport.sock", configuration: configuration) else {
      fatalError("cannot serve the transport")
    }
    let raw = bench_listen("\(folder)/raw.sock", Int32(SOCK_SEQPACKET.rawValue))
    let stream = bench_listen("\(folder)/stream.sock", Int32(SOCK_STREAM.rawValue))
    DispatchQueue(label: "raw").async {
      let fd = accept(raw, nil, nil)
      var buffer = [UInt8](repeating: 0, count: 64)
      while recv(fd, &buffer, 64, 0) > 0 { _ = send(fd, &buffer, 64, 0) }
    }
    DispatchQueue(label: "stream").async {
      let fd = accept(stream, nil, nil)
      var buffer = [UInt8](repeating: 0, count: 1 << 20)
      while true {
        var done = 0
        while done < buffer.count {
          let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
          if n <= 0 { exit(0) }
          done += n
        }
        var ack: UInt8 = 1
        _ = write(fd, &ack, 1)
      }
    }
    try? transport.serve(RequestDispatcher(BenchService()))
    exit(0)
  }
}

private func unixAddress(_ path: String) -> sockaddr_un {
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  withUnsafeMutableBytes(of: &address.sun_path) { raw in
    let bytes = Array(path.utf8.prefix(raw.count - 1))
    raw.copyBytes(from: bytes)
    raw[bytes.count] = 0
  }
  return address
}

/// A connected Unix-domain socket of `type`, or -1.
func bench_connect(_ path: String, _ type: Int32) -> Int32 {
  let fd = socket(AF_UNIX, type, 0)
  var address = unixAddress(path)
  let connected = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
  }
  if connected != 0 {
    close(fd)
    return -1
  }
  return fd
}

/// A listening Unix-domain socket of `type` at `path`.
func bench_listen(_ path: String, _ type: Int32) -> Int32 {
  unlink(path)
  let fd = socket(AF_UNIX, type, 0)
  var address = unixAddress(path)
  let bound = withUnsafePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
  }
  guard bound == 0, listen(fd, 8) == 0 else { fatalError("cannot listen at \(path)") }
  return fd
}
