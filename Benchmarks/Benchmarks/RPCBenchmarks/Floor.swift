import HurdRPC
import HurdRPCL4

// MARK: - Floor: a direct call through a protocol existential

protocol NullHandler: Sendable {
  func handle(_ value: UInt64) -> UInt64
}

struct Incrementer: NullHandler {
  @inline(never) func handle(_ value: UInt64) -> UInt64 { value &+ 1 }
}

struct Decrementer: NullHandler {
  @inline(never) func handle(_ value: UInt64) -> UInt64 { value &- 1 }
}

/// Chosen at run time so the optimizer cannot devirtualize the call.
@inline(never) func makeNullHandler() -> any NullHandler {
  CommandLine.arguments.count > 1_000 ? Decrementer() : Incrementer()
}

// MARK: - Raw spin-then-park hand-off (the L4 backend's own primitive, no IPC semantics)

/// A client and a server thread ping-ponging through two `L4Parker`s and one payload word:
/// exactly the wake-up path (and adaptive spin policy: each waits naming its partner's parker)
/// the L4 backend uses, minus registers, ids and IPC rules.
final class RawHandoff: @unchecked Sendable {
  private let toServer = L4Parker()
  private let toClient = L4Parker()
  private var payload: UInt64 = 0  // published by the parkers' sequentially consistent atomics
  private var stopping = false
  private var server: pthread_t?

  init() {
    toServer.prepare()
    let context = Unmanaged.passRetained(self).toOpaque()
    var thread = pthread_t()
    pthread_create(&thread, nil, { raw in
      let handoff = Unmanaged<RawHandoff>.fromOpaque(raw!).takeRetainedValue()
      handoff.serverLoop()
      return nil
    }, context)
    server = thread
  }

  private func serverLoop() {
    while true {
      _ = toServer.park(until: nil, partner: toClient)
      toServer.prepare()
      if stopping { break }
      payload &+= 1
      toClient.unpark()
    }
    toClient.unpark()
  }

  /// One round trip: hand the word to the server thread and wait for it to come back.
  func roundTrip(_ value: UInt64) -> UInt64 {
    payload = value
    toClient.prepare()
    toServer.unpark()
    _ = toClient.park(until: nil, partner: toServer)
    return payload
  }

  func stop() {
    stopping = true
    toClient.prepare()
    toServer.unpark()
    _ = toClient.park(until: nil, partner: toServer)
    if let server { pthread_join(server, nil) }
  }
}

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - HurdRPC runtime alone (LoopbackTransport: dispatcher on the calling thread)

struct NullDemux: Demultiplexer {
  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    try reply.append(try request.word(at: 0) &+ 1)
  }
}

@inline(never) func registerOnlyMessage(_ seed: UInt64) -> Message {
  var message = Message(label: 2021)
  for offset in 0..<8 as Range<UInt64> { try? message.append(seed &+ offset) }
  return message
}
