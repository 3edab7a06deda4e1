import Benchmark
import GRPCCore
import GRPCInProcessTransport

// A unary echo of a 16-byte message through grpc-swift-2's in-process transport, with a
// hand-written method descriptor and raw-bytes serializers (no protoc, no protobuf).

let echoMethod = MethodDescriptor(fullyQualifiedService: "bench.Echo", method: "Echo")

struct RawBytesSerializer: MessageSerializer {
  func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes { Bytes(message) }
}

struct RawBytesDeserializer: MessageDeserializer {
  func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
    serializedMessageBytes.withUnsafeBytes { Array($0) }
  }
}

struct EchoService: RegistrableRPCService {
  func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
    router.registerHandler(
      forMethod: echoMethod, deserializer: RawBytesDeserializer(), serializer: RawBytesSerializer()
    ) { request, _ in
      var last: [UInt8] = []
      for try await message in request.messages { last = message }
      return StreamingServerResponse(single: ServerResponse(message: last))
    }
  }
}

/// One client/server pair for the whole run; connections are started in the setup hook.
final class EchoPeer: Sendable {
  let transport = InProcessTransport()
  let server: GRPCServer<InProcessTransport.Server>
  let client: GRPCClient<InProcessTransport.Client>

  init() {
    server = GRPCServer(transport: transport.server, services: [EchoService()])
    client = GRPCClient(transport: transport.client)
  }

  func start() {
    Task { [server] in try await server.serve() }
    Task { [client] in try await client.runConnections() }
  }

  func stop() {
    client.beginGracefulShutdown()
    server.beginGracefulShutdown()
  }

  func echo(_ payload: [UInt8]) async throws -> [UInt8] {
    try await client.unary(
      request: ClientRequest(message: payload), descriptor: echoMethod, serializer: RawBytesSerializer(),
      deserializer: RawBytesDeserializer(), options: .defaults
    ) { response in try response.message }
  }
}

let echoPeer = EchoPeer()
let sixteenBytes = [UInt8](repeating: 0xA5, count: 16)

let benchmarks: @Sendable () -> Void = {
  Benchmark.defaultConfiguration = .init(
    metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .nanoseconds, warmupIterations: 1_000,
    maxDuration: .seconds(5), maxIterations: 20_000)

  Benchmark(
    "grpc-swift-2 in-process unary, 16 B",
    configuration: .init(
      setup: { echoPeer.start() },
      teardown: { echoPeer.stop() })
  ) { benchmark async throws in
    for _ in benchmark.scaledIterations {
      blackHole(try await echoPeer.echo(sixteenBytes))
    }
  }
}
