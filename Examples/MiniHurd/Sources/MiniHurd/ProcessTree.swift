// The server processes of the one-process-per-server mode: spawned from this executable with a
// role, told what to do over a control channel, reaped at the end, and killed on every other
// way out so that none outlives the example.
import Foundation
import HurdRPCSocket
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Makes standard output (where `print` writes) line-buffered: lines from several processes
/// share it, and each must leave at once, in the order the story prints them (to a pipe it would
/// otherwise be block-buffered). Swift 6 refuses to read the C global `stdout` (shared mutable
/// state), so its value is found by name; this runs before any other thread prints.
func lineBufferStandardOutput() {
  let rtldDefault = UnsafeMutableRawPointer(bitPattern: 0)
  guard let symbol = dlsym(rtldDefault, "stdout") else { return }
  setvbuf(symbol.assumingMemoryBound(to: UnsafeMutablePointer<FILE>.self).pointee, nil, _IOLBF, 0)
}

/// A failure of the example itself (spawning, a server process that misbehaved).
struct MiniHurdError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// One end of a control channel: a stream socket carrying lines. It is the narrator's, not the
/// protocol's: the story uses it to tell a server process what to do next (what `main` does by
/// calling the bucket in the one-process mode) and to wait until a server has printed its line,
/// so that lines from different processes come in a fixed order.
struct ControlChannel: Sendable {
  let fd: Int32

  func send(_ line: String) throws(MiniHurdError) {
    let bytes = Array((line + "\n").utf8)
    var sent = 0
    while sent < bytes.count {
      let count = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { throw MiniHurdError("control channel: send failed (errno \(errno))") }
      sent += count
    }
  }

  /// The next line, or nil at the end of the stream (the other side closed it or died).
  func receive() -> String? {
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while true {
      let count = read(fd, &byte, 1)
      if count < 0 && errno == EINTR { continue }
      guard count == 1 else { return nil }
      if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
      line.append(byte)
    }
  }
}

/// A server process this one spawned: this executable run as `serve ROLE --bootstrap PATH`, its
/// standard input the child's end of its control channel.
final class ServerProcess: Sendable {
  let role: String
  let pid: pid_t
  private let control: ControlChannel

  /// Spawns the server `role` and waits until it has registered its first capability.
  init(_ role: String, bootstrap: String) throws(MiniHurdError) {
    self.role = role
    var ends: [Int32] = [-1, -1]
    guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
      throw MiniHurdError("socketpair failed (errno \(errno))")
    }
    defer { close(ends[1]) }
    let executable = ServerProcess.executable()
    var child: pid_t = 0
    // `ChildProcess`: the server dies with this process even if it is killed -9 (no atexit runs).
    let spawned = ProcessTree.registering { () -> (pid_t?, Int32) in
      do throws(ChildProcess.SpawnError) {
        child = try ChildProcess.spawn(
          executable, arguments: [ServerProcess.serveCommand, role, SocketBootstrap.option, bootstrap],
          redirect: [(child: 0, parent: ends[1])])
        return (child, 0)
      } catch {
        return (nil, error.code)
      }
    }
    guard spawned == 0 else {
      close(ends[0])
      throw MiniHurdError("cannot spawn \(executable) for \(role): error \(spawned)")
    }
    pid = child
    control = ControlChannel(fd: ends[0])
    do throws(MiniHurdError) {
      try expect("ready")
    } catch {
      close(ends[0])  // the child, registered, is killed on the way out
      throw error
    }
  }

  /// The command line word that makes this executable a server process.
  static let serveCommand = "serve"

  /// This executable (the server processes run the same binary).
  private static func executable() -> String {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    return count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
      : CommandLine.arguments[0]
  }

  /// Has the server do `command` and waits until it is done (and has printed what it prints).
  func tell(_ command: String) throws(MiniHurdError) {
    try control.send(command)
    try expect("done")
  }

  private func expect(_ answer: String) throws(MiniHurdError) {
    guard let line = control.receive() else {
      throw MiniHurdError("the \(role) server process ended unexpectedly")
    }
    guard line == answer else { throw MiniHurdError("the \(role) server process answered: \(line)") }
  }

  /// Ends the process the way it should end: its control channel closes, it exits with status 0.
  /// One that does not within `patience` is killed and reported.
  func finish(patience: Duration = .seconds(5)) throws(MiniHurdError) {
    close(control.fd)
    let end = ContinuousClock.now + patience
    var status: Int32 = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
      guard ContinuousClock.now < end else {
        ProcessTree.kill(pid)
        throw MiniHurdError("the \(role) server process did not exit; killed")
      }
      Thread.sleep(forTimeInterval: 0.005)
    }
    ProcessTree.forget(pid)
    // WIFEXITED / WEXITSTATUS are macros Swift does not import.
    guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
      throw MiniHurdError("the \(role) server process ended with wait status \(status)")
    }
  }
}

/// Every server process this process spawned and has not reaped yet.
enum ProcessTree {
  private static let children = Mutex<Set<pid_t>>([])

  /// Runs `spawn` with the registry locked, so that a child is never running unregistered.
  static func registering(_ spawn: () -> (pid_t?, Int32)) -> Int32 {
    children.withLock { children in
      let (pid, result) = spawn()
      if let pid { children.insert(pid) }
      return result
    }
  }

  static func forget(_ pid: pid_t) { _ = children.withLock { $0.remove(pid) } }

  /// Kills and reaps `pid`.
  static func kill(_ pid: pid_t) {
    _ = Glibc.kill(pid, SIGKILL)
    var status: Int32 = 0
    _ = waitpid(pid, &status, 0)
    forget(pid)
  }

  /// Kills and reaps every child still registered: the way out on every failure. Installed with
  /// `atexit` too, so that `exit` anywhere leaves no server running. (If this process is killed,
  /// the kernel kills its servers: `ChildProcess.dieWithParent` in `runServerProcess`.)
  static func killAll() {
    for pid in children.withLock({ Array($0) }) { kill(pid) }
  }

  /// Makes `exit` (from any path) kill the children first.
  static func killAllAtExit() {
    atexit { ProcessTree.killAll() }
  }
}
