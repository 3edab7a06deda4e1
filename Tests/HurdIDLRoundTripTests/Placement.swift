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
      let server = L4ServerTransport(space: kernel.createSpace())
      let done = DispatchSemaphore(value: 0)
      let dispatcher = RequestDispatcher(interface.makeDemux(objects: nil))
      DispatchQueue(label: "l4-server").async {
        try? server.serve(dispatcher)
        done.signal()
      }
      _ = waitUntil { kernel.thread(server.endpoint)?.ipcActivity == .receiving }
      return Served(
        placement: self, transport: AnyTransport(L4ClientTransport(space: kernel.createSpace(), server: server)), path: nil,
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
        placement: self, transport: transport, path: path, newCaller: { try Self.newSocketCaller(of: transport) },
        stop: stop)
    case .socketOtherProcess:
      let helper = try HelperProcess(
        "serve", path: Self.socketPath(), extra: ["--interface", interface.rawValue, "--workers", "1"],
        executable: "HurdIDLRoundTripHelper")
      let transport = AnyTransport(helper.client)
      return Served(
        placement: self, transport: transport, path: helper.path, newCaller: { try Self.newSocketCaller(of: transport) },
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
  /// The server process, when it runs in another one.
  let helper: HelperProcess?
  private let newCallerTransport: @Sendable () throws -> AnyTransport
  private let stop: @Sendable () -> Void

  init(
    placement: Placement, transport: AnyTransport, path: String?, newCaller: @escaping @Sendable () throws -> AnyTransport,
    stop: @escaping @Sendable () -> Void, helper: HelperProcess? = nil
  ) {
    self.placement = placement
    self.transport = transport
    self.path = path
    self.newCallerTransport = newCaller
    self.stop = stop
    self.helper = helper
  }

  /// What the server's handlers and hooks recorded since the last call of `events`.
  func events() throws(RPCError) -> [String] { try ServiceControl.takeEvents(at: transport) }

  /// Waits (up to 10 s) until the server has recorded `expected`, and returns what it recorded.
  func events(reaching expected: Int) throws(RPCError) -> [String] {
    var seen: [String] = []
    let end = ContinuousClock.now.advanced(by: .seconds(10))
    while seen.count < expected && ContinuousClock.now < end {
      seen += try events()
      if seen.count < expected { usleep(2_000) }
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
  private var value: UInt64 = 0
  func next() -> UInt64 {
    lock.withLock {
      value += 1
      return value
    }
  }
}
