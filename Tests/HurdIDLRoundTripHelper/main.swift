// The server process of the generated round-trip tests over the socket transport:
//   serve --bootstrap PATH --interface NAME [--workers N]
// serves one of the round-trip interfaces (`ServedInterface`: roundtrip, roundtrip-defaults,
// kinds, objects, translations, ports, ports-cap) with its generated demux at PATH, on 1 + N
// threads (default N = 1), and
// prints "ready" once it listens. The test kills it.
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

// First thing: this process dies with the test process that spawned it.
ChildProcess.dieWithParent()

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

do {
  _ = try interface.serveOverSockets(at: path, threads: 1 + workers, space: .process)
} catch {
  fail("cannot serve at \(path): \(error)")
}
var ready = "ready\n"
ready.withUTF8 { bytes in _ = write(1, bytes.baseAddress, bytes.count) }
// The serving threads run until the test kills this process.
while true { pause() }
