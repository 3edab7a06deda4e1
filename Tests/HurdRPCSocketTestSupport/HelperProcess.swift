@_spi(Transport) import HurdRPC
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#endif

/// A helper process a test spawned (an executable target built beside the test binary, serving
/// at a socket path); killed by `kill` or `finish`, and by the kernel if this process dies
/// (`ChildProcess`).
public final class HelperProcess: Sendable {
  public let pid: pid_t
  public let path: String
  /// Whether the socket file at `path` is the helper's own (a server's), removed when it ends;
  /// false for a client of someone else's server.
  private let ownsPath: Bool
  private let output: Int32

  /// Spawns `executable` in `mode` at `path` and waits until it says "ready".
  public init(
    _ mode: String, path: String, extra: [String] = [], executable: String = "HurdRPCSocketTestHelper", ownsPath: Bool = true
  ) throws {
    self.path = path
    self.ownsPath = ownsPath
    let executable = Self.executable(named: executable)
    var pipe: [Int32] = [-1, -1]
    guard Glibc.pipe(&pipe) == 0 else { throw HelperError.spawn("pipe") }
    // Not inherited by other children spawned meanwhile (the child's standard output is a dup).
    for fd in pipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    let child: pid_t
    do {
      // Bound to this process: a crashed or killed test run leaves no helper behind.
      child = try ChildProcess.spawn(
        executable, arguments: [mode, SocketBootstrap.option, path] + extra, redirect: [(child: 1, parent: pipe[1])],
        closing: [pipe[0]])
    } catch {
      close(pipe[0])
      close(pipe[1])
      throw HelperError.spawn("\(error)")
    }
    close(pipe[1])
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

  public enum HelperError: Error { case spawn(String) }

  /// The next line the helper prints, or nil if none comes within `milliseconds`.
  public func line(within milliseconds: Int32) -> String? {
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while true {
      var ready = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
      guard poll(&ready, 1, milliseconds) > 0, read(output, &byte, 1) == 1 else { return nil }
      if byte == 10 { return String(decoding: line, as: UTF8.self) }
      line.append(byte)
    }
  }

  /// The executable `name` beside this test binary (same build folder).
  static func executable(named name: String) -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let exe = String(decoding: buffer[0..<max(0, count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var folder = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    // `swift test` runs the bundle binary inside `<name>.xctest/...` on some layouts.
    while folder.contains(".xctest") { folder = folder.split(separator: "/").dropLast().joined(separator: "/").prepending("/") }
    return folder + "/" + name
  }

  public var client: SocketClientTransport { SocketClientTransport(path: path) }

  /// Sends `signal` and reaps the process.
  @discardableResult
  public func kill(_ signal: Int32 = SIGKILL) -> Int32 {
    _ = Glibc.kill(pid, signal)
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    close(output)
    if ownsPath { unlink(path) }
    return status
  }

  public func finish() { kill(SIGTERM) }
}

extension String {
  fileprivate func prepending(_ prefix: String) -> String { hasPrefix(prefix) ? self : prefix + self }
}

/// A transport chosen at run time (tests parameterized over transports).
public struct AnyTransport: ClientTransport {
  public let base: any ClientTransport
  public init(_ base: any ClientTransport) { self.base = base }
  public func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message { try base.call(request, options: options) }
  public func send(_ message: Message, options: CallOptions) throws(RPCError) { try base.send(message, options: options) }
  // Forwarded, so a transport's own async forms are the ones used.
  public func call(_ request: inout Message, reply: inout Message, options: CallOptions) throws(RPCError) {
    try base.call(&request, reply: &reply, options: options)
  }
  public func callAsync(_ request: Message, options: CallOptions) async throws(RPCError) -> Message {
    try await base.callAsync(request, options: options)
  }
  public func sendAsync(_ message: Message, options: CallOptions) async throws(RPCError) {
    try await base.sendAsync(message, options: options)
  }
}

/// Polls `condition` for up to `seconds`.
public func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
  let end = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
  while ContinuousClock.now < end {
    if condition() { return true }
    usleep(2_000)
  }
  return condition()
}
