// An echo server and its client in one process, over hurdidl's L4 in-process backend. The
// EchoServer protocol, EchoDemux and EchoClient are generated from echo.defs during the build.
import Foundation
import HurdRPC
import HurdRPCL4

/// The server: answers every `echo` with the text it got.
struct Echoer: EchoServer {
  func echo(_ target: Void, text: String, context: CallContext) throws(ReturnCode) -> String {
    print("server: got \"\(text)\"")
    return text
  }
}

let kernel = L4Kernel()
let server = L4ServerTransport(space: kernel.createSpace(), mode: .threaded)
Thread { try? server.serve(RequestDispatcher(EchoDemux(Echoer()))) }.start()

let client = EchoClient(transport: L4ClientTransport(space: kernel.createSpace(), server: server))
do {
  let reply = try client.echo(text: "hello, Hurd")
  print("client: got back \"\(reply)\"")
} catch {
  print("client: echo failed: \(error)")
  exit(1)
}
server.shutdown()
