import Dispatch
@_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCL4
import HurdRPCSocket
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Where the server of a generated round trip runs: the L4 in-process backend, a socket server
/// in this process, or a socket server in another process (`HurdIDLRoundTripHelper`). The client
/// code is the same generated code over each.
enum Placement: String, CaseIterable, Sendable, CustomTestStringConvertible {
  case l4
  case socketInProcess = "socket-in-process"
  case socketOtherProcess = "socket-other-process"

  var testDescription: String { rawValue }

  static let sockets: [Placement] = [.socketInProcess, .socketOtherProcess]

  /// Starts a server of `interface` here.
  func serve(_ interface: ServedInterface) throws -> Served {
    switch self {
    case .l4:
      let kernel = L4Kernel()
      // A worker beside the receiving thread, as the socket servers have two threads: the
      // control routines answer while a handler waits.
      let server = L4ServerTransport(space: kernel.createSpace(), workers: 1)
      let done = DispatchSemaphore(value: 0)
      let dispatcher = RequestDispatcher(interface.makeDemux(objects: nil))
      DispatchQueue(label: "l4-server").async {
        try? server.serve(dispatcher)
        done.signal()
      }
      _ = waitUntil { kernel.thread(server.endpoint)?.ipcActivity == .receiving }
      return Served(
        placement: self, transport: AnyTransport(L4ClientTransport(space: kernel.createSpace(), server: server)), path: nil,
        control: AnyTransport(L4ClientTransport(space: kernel.createSpace(), server: server)),
        newCaller: { AnyTransport(L4ClientTransport(space: kernel.createSpace(), server: server)) },
        stop: {
          server.shutdown()
          done.wait()
        })
    case .socketInProcess:
      let path = Self.socketPath()
      // Two threads: a handler may call an object of its own server (ports.defs). The
      // capability layer's server gets a space of its own (the test's is the client's).
      let stop = try interface.serveOverSockets(at: path, threads: 2, space: SocketCapabilitySpace())
      let transport = AnyTransport(SocketClientTransport(path: path))
      return Served(
        placement: self, transport: transport, path: path, control: AnyTransport(SocketClientTransport(path: path)),
        newCaller: { try Self.newSocketCaller(of: transport) },
        stop: stop)
    case .socketOtherProcess:
      let helper = try HelperProcess(
        "serve", path: Self.socketPath(), extra: ["--interface", interface.rawValue, "--workers", "1"],
        executable: "HurdIDLRoundTripHelper")
      let transport = AnyTransport(helper.client)
      return Served(
        placement: self, transport: transport, path: helper.path, control: AnyTransport(helper.client),
        newCaller: { try Self.newSocketCaller(of: transport) },
        stop: { helper.finish() }, helper: helper)
    }
  }

  /// A server that never answers: L4, or a socket path nobody serves (the kernel queues the
  /// connection, nothing reads it).
  func silent() throws -> (transport: AnyTransport, stop: @Sendable () -> Void) {
    switch self {
    case .l4:
      let kernel = L4Kernel()
      let server = L4ServerTransport(space: kernel.createSpace())
      return (AnyTransport(L4ClientTransport(space: kernel.createSpace(), server: server)), { server.shutdown() })
    case .socketInProcess, .socketOtherProcess:
      let path = Self.socketPath()
      let server = try SocketServerTransport(path: path)
      return (AnyTransport(SocketClientTransport(path: path)), { server.shutdown() })
    }
  }

  /// A port of the server with a new badge: the server sees its calls from another caller.
  private static func newSocketCaller(of transport: AnyTransport) throws -> AnyTransport {
    let name = try ServiceControl.makeObject(badge: badges.next(), at: transport)
    defer { SocketCapabilitySpace.process.deallocate(name) }
    return AnyTransport(try SocketCapabilitySpace.process.client(for: name))
  }

  private static let badges = Counter()

  static func socketPath() -> String { "/tmp/hurdidl-roundtrip-\(getpid())-\(badges.next()).sock" }
}

/// A running server of one interface, and a transport that reaches it.
final class Served: Sendable {
  let placement: Placement
  let transport: AnyTransport
  /// The socket path it serves at (sockets only).
  let path: String?
  /// A caller of its own for the control routines, so reading the server's events never shares
  /// a client (an L4 thread) with the calls under test.
  let control: AnyTransport
  /// The server process, when it runs in another one.
  let helper: HelperProcess?
  /// How many of the server's events the test has seen.
  private let eventsRead = Counter()
  private let newCallerTransport: @Sendable () throws -> AnyTransport
  private let stop: @Sendable () -> Void

  init(
    placement: Placement, transport: AnyTransport, path: String?, control: AnyTransport, newCaller: @escaping @Sendable () throws -> AnyTransport,
    stop: @escaping @Sendable () -> Void, helper: HelperProcess? = nil
  ) {
    self.placement = placement
    self.transport = transport
    self.path = path
    self.control = control
    self.newCallerTransport = newCaller
    self.stop = stop
    self.helper = helper
  }

  /// What the server's handlers and hooks recorded since the last call of `events`.
  func events() throws(RPCError) -> [String] { try events(options: .default) }

  private func events(options: CallOptions) throws(RPCError) -> [String] {
    let first = eventsRead.value
    let new = try ServiceControl.events(from: first, at: control, options: options)
    eventsRead.advance(by: new.count)
    return new
  }

  /// Waits (up to `seconds`) until the server has recorded `expected` more events, and returns
  /// what it recorded.
  func events(reaching expected: Int, seconds: Int64 = 10) throws(RPCError) -> [String] {
    try events(seconds: seconds) { $0.count >= expected }
  }

  /// Waits (up to `seconds`) until the server has recorded `last`, and returns what it recorded
  /// up to then.
  func events(until last: String, seconds: Int64 = 10) throws(RPCError) -> [String] {
    try events(seconds: seconds) { $0.contains(last) }
  }

  /// Asks until `done` holds for what came. A server busy with the handler under test may not
  /// answer at once (an L4 server whose threads are taken): each ask times out after a second
  /// and is repeated.
  private func events(seconds: Int64, until done: ([String]) -> Bool) throws(RPCError) -> [String] {
    var seen: [String] = []
    let end = ContinuousClock.now.advanced(by: .seconds(seconds))
    while !done(seen) && ContinuousClock.now < end {
      do throws(RPCError) {
        seen += try events(options: .timeout(.seconds(1)))
      } catch {
        guard error.code == .timeout else { throw error }
      }
      if !done(seen) { usleep(2_000) }
    }
    return seen
  }

  /// A transport whose calls the server sees as another caller's (L4: another address space;
  /// sockets: a port with another badge).
  func newCaller() throws -> AnyTransport { try newCallerTransport() }

  func finish() { stop() }
}

/// A counter shared by the tests.
final class Counter: @unchecked Sendable {
  private let lock = PThreadMutex()
  // Guarded by `lock`.
  private var count: UInt64 = 0

  var value: Int { lock.withLock { Int(count) } }

  func advance(by amount: Int) { lock.withLock { count += UInt64(amount) } }

  func next() -> UInt64 {
    lock.withLock {
      count += 1
      return count
    }
  }
}
