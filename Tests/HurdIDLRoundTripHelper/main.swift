// The server process of the generated round-trip tests over the socket transport:
//   serve --bootstrap PATH --interface NAME [--workers N]
// serves one of the round-trip interfaces (`ServedInterface`: roundtrip, roundtrip-defaults,
// kinds, objects, translations, ports) with its generated demux at PATH, on 1 + N threads, and
// prints "ready" once it listens. The test kills it.
import Dispatch
@_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCSocket

#if canImport(Glibc)
  import Glibc
#endif

func fail(_ text: String) -> Never {
  var line = "HurdIDLRoundTripHelper: \(text)\n"
  line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
  exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
func value(of option: String) -> String? {
  arguments.firstIndex(of: option).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}
guard arguments.first == "serve", let interface = value(of: "--interface").flatMap(ServedInterface.init(rawValue:)),
  let path = SocketBootstrap.path(arguments: arguments)
else {
  let names = ServedInterface.allCases.map(\.rawValue).joined(separator: "|")
  fail("usage: serve --bootstrap PATH --interface \(names) [--workers N]")
}
let workers = value(of: "--workers").flatMap { Int($0) } ?? 1

let server: SocketServerTransport
do throws(RPCError) {
  server = try SocketServerTransport(path: path)
} catch {
  fail("cannot serve at \(path): \(error)")
}
let dispatcher = RequestDispatcher(interface.makeDemux(objects: SocketObjectHost(server: server)))
for _ in 0..<workers {
  DispatchQueue(label: "worker").async { try? server.serve(dispatcher) }
}
var ready = "ready\n"
ready.withUTF8 { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
do throws(RPCError) {
  try server.serve(dispatcher)
} catch {
  fail("serve: \(error)")
}
