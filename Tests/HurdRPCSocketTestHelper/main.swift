// The other process of the socket transport's tests: a server or a client the tests spawn, talk
// to, and kill. Modes:
//   serve --bootstrap PATH [--workers N]   serve SocketEchoService at PATH (N extra threads); once the
//                                          server is shut down (its `shutDownServer` routine), print
//                                          "serve again: CODE" (how a new `serve` fails) and wait
//   listen --bootstrap PATH                listen at PATH but never serve (nobody reads requests)
//   call --bootstrap PATH --label N        call routine N of the server at PATH once, print "called"
//                                          (or "call failed: CODE") and wait
//   call-and-wait --bootstrap PATH [--region BYTES]
//                                          call waitForCancel (carrying a mapped region of BYTES)
//                                          and block (the test kills us)
//   cap-serve --bootstrap PATH             serve a CapBucket of `Counter`s (bootstrap: value 1)
//   cap-hold --bootstrap PATH              take a child capability (value 7) from the cap server at
//                                          PATH, call it once, hold it (the test kills us), and
//                                          print "dead-name COUNT" for each dead-name notification
//   cap-wait --bootstrap PATH              call waitForCancel on the cap server's bootstrap object
//                                          and print how it ended
//   spawn-helper --bootstrap PATH          spawn a helper serving at PATH, print "helper PID" and
//                                          wait (the test kills us: the helper must die with us)
// Prints "ready" once it is listening / about to call, so the test knows when to act.
import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCSocket
import HurdRPCSocketTestSupport
@_spi(Transport) import HurdCap
import HurdCapSocket

#if canImport(Glibc)
  import Glibc
#endif

func fail(_ text: String) -> Never {
  write(2, "HurdRPCSocketTestHelper: \(text)\n")
  exit(2)
}

func say(_ text: String) { write(1, text + "\n") }

/// Unbuffered, so the test reading our pipe sees the line at once.
func write(_ fd: Int32, _ text: String) {
  var text = text
  text.withUTF8 { bytes in _ = Glibc.write(fd, bytes.baseAddress, bytes.count) }
}

// First thing: this process dies with the test process (or intermediate helper) that spawned it.
ChildProcess.dieWithParent()

let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first, let path = SocketBootstrap.path(arguments: arguments) else {
  fail("usage: serve|call-and-wait --bootstrap PATH [--workers N]")
}
let workers = arguments.firstIndex(of: "--workers").flatMap { Int(arguments[$0 + 1]) } ?? 0

switch mode {
case "serve":
  let server: SocketServerTransport
  do throws(RPCError) {
    server = try SocketServerTransport(path: path)
  } catch {
    fail("cannot serve at \(path): \(error)")
  }
  let service = SocketEchoService(
    objects: { (badge) throws(RPCError) in SocketCapabilitySpace.process.insertReceiveRight(for: server, badge: badge) },
    shutDown: { server.shutdown() })
  let dispatcher = RequestDispatcher(service)
  for _ in 0..<workers {
    Thread.detach { try? server.serve(dispatcher) }
  }
  say("ready")
  do throws(RPCError) {
    try server.serve(dispatcher)
  } catch {
    fail("serve: \(error)")
  }
  // Shut down: the process lives on (its clients see the transport's shutdown, not a death).
  do throws(RPCError) {
    try server.serve(dispatcher)
    say("serve again: returned")
  } catch {
    say("serve again: \(error.code)")
  }
  while true { pause() }
case "listen":
  do throws(RPCError) {
    let server = try SocketServerTransport(path: path)
    say("ready")
    withExtendedLifetime(server) {
      while true { pause() }
    }
  } catch {
    fail("cannot listen at \(path): \(error)")
  }
case "call":
  guard let label = arguments.firstIndex(of: "--label").flatMap({ UInt64(arguments[$0 + 1]) }) else {
    fail("call needs --label N")
  }
  say("ready")
  do throws(RPCError) {
    _ = try RPCClient(transport: SocketClientTransport(path: path)).call(Message(label: label), options: .timeout(.seconds(30)))
    say("called")
  } catch {
    say("call failed: \(error.code)")
  }
  while true { pause() }
case "call-and-wait":
  let client = RPCClient(transport: SocketClientTransport(path: path))
  let regionBytes = arguments.firstIndex(of: "--region").flatMap { Int(arguments[$0 + 1]) }
  say("ready")
  do throws(RPCError) {
    var request = Message(label: SocketEchoService.waitForCancel)
    if let regionBytes { try request.append(.region(.map(MemoryRegion(byteCount: regionBytes)))) }
    _ = try client.call(request)
  } catch {
    fail("call: \(error)")
  }
case "cap-serve":
  do {
    let task = try SocketCapTask()
    let server = try SocketCapServer(task: task, path: path)
    let (_, counters) = CapCounterService.make(server: server)
    let root = Counter(1)
    try server.bucket.register(root, in: counters)
    try server.setBootstrap(root)
    server.start(threads: 3)
    say("ready")
    while true { pause() }
  } catch {
    fail("cap-serve: \(error)")
  }
case "cap-hold":
  do {
    let task = try SocketCapTask()
    let root = RPCClient(transport: task.client(path: path))
    var request = Message(label: CapCounterService.makeChild)
    try request.append(7)
    let child = try root.call(request).capabilities[0].name
    let holder = RPCClient(transport: try task.client(for: child))  // keeps its connection open
    _ = try holder.call(Message(label: CapCounterService.value))
    say("ready")
    // Report each dead-name notification (the test kills our capability's server).
    withExtendedLifetime(holder) {
      while true {
        for entry in task.notifications.wait().entries {
          if case .deadName = entry.event { say("dead-name \(entry.count)") }
        }
      }
    }
  } catch {
    fail("cap-hold: \(error)")
  }
case "cap-wait":
  let task: SocketCapTask
  do {
    task = try SocketCapTask()
  } catch {
    fail("cap-wait: \(error)")
  }
  say("ready")
  do throws(RPCError) {
    _ = try RPCClient(transport: task.client(path: path)).call(Message(label: CapCounterService.waitForCancel))
    say("ended: success")
  } catch {
    say("ended: \(error.code)")
  }
case "spawn-helper":
  do {
    let helper = try HelperProcess("serve", path: path)
    say("ready")
    say("helper \(helper.pid)")
    withExtendedLifetime(helper) {
      while true { pause() }
    }
  } catch {
    fail("spawn-helper: \(error)")
  }
default:
  fail("unknown mode \(mode)")
}

enum Thread {
  static func detach(_ body: @escaping @Sendable () -> Void) {
    DispatchQueue(label: "worker").async(execute: body)
  }
}
