import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCL4
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Runs `body` and returns the RPC error it threw, or nil (`#expect(throws:)` with typed throws
/// crashes the 6.3.1 compiler).
func rpcError(_ body: () throws(RPCError) -> Void) -> RPCError? {
  do throws(RPCError) {
    try body()
    return nil
  } catch {
    return error
  }
}

/// Polls `condition` for up to `seconds`.
func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
  let end = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
  while ContinuousClock.now < end {
    if condition() { return true }
    usleep(2_000)
  }
  return condition()
}

/// A fresh socket path for one test.
func socketPath(_ name: String) -> String {
  let serial = SocketPathCounter.next()
  return "/tmp/hurdrpc-\(getpid())-\(serial)-\(name).sock"
}

enum SocketPathCounter {
  private static let counter = SharedLog<Int>()
  static func next() -> Int {
    counter.append(0)
    return counter.values.count
  }
}

/// Starts a detached OS thread.
enum Thread {
  static func detach(_ body: @escaping @Sendable () -> Void) {
    DispatchQueue(label: "detached").async(execute: body)
  }

  /// Runs `body` on `count` OS threads at once and waits for all.
  static func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for n in 0..<count {
      group.enter()
      DispatchQueue(label: "client\(n)").async {
        body(n)
        group.leave()
      }
    }
    group.wait()
  }
}

/// A socket server serving in this process on its own threads, stopped by `finish`.
final class LocalServer: Sendable {
  let transport: SocketServerTransport
  let service: SocketEchoService
  let path: String?
  private let done = DispatchSemaphore(value: 0)
  private let threads: Int
  private let started = SharedLog<Int>()

  init(
    path: String? = socketPath("local"), threads: Int = 1, configuration: SocketTransportConfiguration = .default,
    start: Bool = true, service: (@Sendable (SocketServerTransport) -> SocketEchoService)? = nil
  ) throws {
    self.path = path
    if let path {
      transport = try SocketServerTransport(path: path, configuration: configuration)
    } else {
      transport = try SocketServerTransport(configuration: configuration)
    }
    let transport = transport
    self.service = service?(transport) ?? SocketEchoService { (badge) throws(RPCError) in
      (configuration.capabilities ?? .process).insertReceiveRight(for: transport, badge: badge)
    }
    self.threads = threads
    if start { self.start() }
  }

  func start() { start(RequestDispatcher(service)) }

  func start(_ dispatcher: RequestDispatcher) {
    for _ in 0..<threads {
      started.append(1)
      let transport = transport
      let done = done
      Thread.detach {
        try? transport.serve(dispatcher)
        done.signal()
      }
    }
  }

  var client: SocketClientTransport { SocketClientTransport(path: path!) }

  func finish() {
    transport.shutdown()
    for _ in started.values { done.wait() }
  }
}

/// A helper process (`HurdRPCSocketTestHelper`) this test spawned; killed by `kill` or `finish`.
final class HelperProcess: Sendable {
  let pid: pid_t
  let path: String
  private let output: Int32

  /// Spawns the helper in `mode` at `path` and waits until it says "ready".
  init(_ mode: String, path: String, extra: [String] = []) throws {
    self.path = path
    let executable = Self.helperExecutable()
    var pipe: [Int32] = [-1, -1]
    guard Glibc.pipe(&pipe) == 0 else { throw HelperError.spawn("pipe") }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
    posix_spawn_file_actions_addclose(&actions, pipe[0])
    defer { posix_spawn_file_actions_destroy(&actions) }
    let argv = [executable, mode, SocketBootstrap.option, path] + extra
    var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for arg in cArgs { free(arg) } }
    // The spawning thread may block signals (Dispatch's threads do), and a child inherits the
    // mask: give it an empty one so SIGTERM ends it.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
    var child: pid_t = 0
    let spawned = posix_spawn(&child, executable, &actions, &attributes, &cArgs, environ)
    close(pipe[1])
    guard spawned == 0 else {
      close(pipe[0])
      throw HelperError.spawn("posix_spawn \(executable): \(spawned)")
    }
    pid = child
    output = pipe[0]
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while read(output, &byte, 1) == 1, byte != 10 { line.append(byte) }
    guard String(decoding: line, as: UTF8.self) == "ready" else {
      kill(SIGKILL)
      throw HelperError.spawn("helper did not become ready: \(String(decoding: line, as: UTF8.self))")
    }
  }

  enum HelperError: Error { case spawn(String) }

  /// The next line the helper prints, or nil if none comes within `milliseconds`.
  func line(within milliseconds: Int32) -> String? {
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while true {
      var ready = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
      guard poll(&ready, 1, milliseconds) > 0, read(output, &byte, 1) == 1 else { return nil }
      if byte == 10 { return String(decoding: line, as: UTF8.self) }
      line.append(byte)
    }
  }

  /// The helper binary beside this test binary (same build folder).
  static func helperExecutable() -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let exe = String(decoding: buffer[0..<max(0, count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var folder = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    // `swift test` runs the bundle binary inside `<name>.xctest/...` on some layouts.
    while folder.contains(".xctest") { folder = folder.split(separator: "/").dropLast().joined(separator: "/").prepending("/") }
    return folder + "/HurdRPCSocketTestHelper"
  }

  var client: SocketClientTransport { SocketClientTransport(path: path) }

  /// Sends `signal` and reaps the process.
  @discardableResult
  func kill(_ signal: Int32 = SIGKILL) -> Int32 {
    _ = Glibc.kill(pid, signal)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    close(output)
    unlink(path)
    return status
  }

  func finish() { kill(SIGTERM) }
}

extension String {
  fileprivate func prepending(_ prefix: String) -> String { hasPrefix(prefix) ? self : prefix + self }
}

/// A transport chosen at run time (tests parameterized over transports).
struct AnyTransport: ClientTransport {
  let base: any ClientTransport
  init(_ base: any ClientTransport) { self.base = base }
  func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message { try base.call(request, options: options) }
  func send(_ message: Message, options: CallOptions) throws(RPCError) { try base.send(message, options: options) }
}
