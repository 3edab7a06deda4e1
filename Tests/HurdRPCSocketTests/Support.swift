import Dispatch
import Synchronization
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

/// A fresh socket path for one test.
func socketPath(_ name: String) -> String {
  let serial = SocketPathCounter.next()
  return "/tmp/hurdrpc-\(getpid())-\(serial)-\(name).sock"
}

/// Serial numbers for socket paths. One atomic step per path: appending to a list and then
/// reading its length let two parallel tests get the same number (and the same path).
enum SocketPathCounter {
  private static let counter = Atomic<Int>(0)
  static func next() -> Int {
    counter.add(1, ordering: .relaxed).newValue
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
    self.service =
      service?(transport)
      ?? SocketEchoService(
        objects: { (badge) throws(RPCError) in
          (configuration.capabilities ?? .process).insertReceiveRight(for: transport, badge: badge)
        },
        shutDown: { transport.shutdown() })
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

