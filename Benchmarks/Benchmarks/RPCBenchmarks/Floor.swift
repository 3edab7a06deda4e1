import CPinning
import Dispatch
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
  private let serverCPU: Int32

  /// `serverCPU`: the CPU the server thread is pinned to (negative: not pinned).
  init(serverCPU: Int32 = -1) {
    self.serverCPU = serverCPU
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
    if serverCPU >= 0 { _ = bench_pin_current_thread(serverCPU) }
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

// MARK: - Placement: both threads on one CPU, or on two

/// Where a pinned hand-off benchmark puts its client and server threads. Unpinned rows show
/// whatever the scheduler chose (it changes during a run on a loaded machine); pinned rows
/// compare the raw hand-off and the IPC in the same regime.
enum Placement: CaseIterable {
  case sameCPU, splitCPUs

  var clientCPU: Int32 { 0 }
  var serverCPU: Int32 { self == .sameCPU ? 0 : 1 }
  var label: String { self == .sameCPU ? "same CPU" : "split CPUs" }
}

/// A thread pinned to one CPU that runs `body(n)` for each batch it is handed (one semaphore
/// round trip per batch of 1,000 operations, a few ns per operation).
final class BatchThread: @unchecked Sendable {
  private let go = DispatchSemaphore(value: 0)
  private let done = DispatchSemaphore(value: 0)
  // Written before `go.signal()`, read by the thread after `go.wait()`.
  private var batch = 0
  private var stopping = false
  private var handle: pthread_t?
  private let cpu: Int32
  private let body: (Int) -> Void

  init(cpu: Int32, body: @escaping (Int) -> Void) {
    self.cpu = cpu
    self.body = body
    var thread = pthread_t()
    pthread_create(&thread, nil, { raw in
      let batchThread = Unmanaged<BatchThread>.fromOpaque(raw!).takeRetainedValue()
      batchThread.loop()
      return nil
    }, Unmanaged.passRetained(self).toOpaque())
    handle = thread
  }

  private func loop() {
    _ = bench_pin_current_thread(cpu)
    while true {
      go.wait()
      if stopping { break }
      body(batch)
      done.signal()
    }
  }

  func run(_ count: Int) {
    batch = count
    go.signal()
    done.wait()
  }

  func stop() {
    stopping = true
    go.signal()
    if let handle { pthread_join(handle, nil) }
  }
}
