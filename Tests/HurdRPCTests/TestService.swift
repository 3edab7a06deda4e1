import Dispatch
@_spi(Transport) import HurdRPC

/// A hand-written demultiplexer in the shape generated code will have (ids 100…104).
struct TestService: Demultiplexer {
  static let add: UInt64 = 100  // (a, b) → a + b, echoes the caller's badge check
  static let fail: UInt64 = 101  // (rc) → throws that return code
  static let note: UInt64 = 102  // one-way: records word 0
  static let waitForCancel: UInt64 = 103  // blocks until the caller cancels, then replies
  static let noReply: UInt64 = 104  // answers MIG_NO_REPLY

  let log: Log
  /// Signalled when `waitForCancel` has started, so a test can cancel at the right moment.
  let started: DispatchSemaphore

  init(log: Log = Log(), started: DispatchSemaphore = DispatchSemaphore(value: 0)) {
    self.log = log
    self.started = started
  }

  final class Log: Sendable {
    private let entries = Locked<[String]>([])
    func record(_ entry: String) { entries.withLock { $0.append(entry) } }
    var all: [String] { entries.withLock { $0 } }
  }

  func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    switch request.label {
    case Self.add:
      try reply.append(try request.word(at: 0) &+ request.word(at: 1))
    case Self.fail:
      throw RPCError(.returnCode(ReturnCode(Int32(truncatingIfNeeded: try request.word(at: 0)))))
    case Self.note:
      log.record("note \(try request.word(at: 0)) expectsReply=\(context.expectsReply)")
      throw RPCError(.returnCode(.migNoReply))
    case Self.waitForCancel:
      let cancelled = DispatchSemaphore(value: 0)
      context.onCancel { cancelled.signal() }
      started.signal()
      cancelled.wait()
      log.record("handler saw cancellation: \(context.isCancelled)")
    case Self.noReply:
      reply.setReplyReturnCode(.migNoReply)
    default:
      throw RPCError(.badID, "no routine \(request.label)")
    }
  }
}

/// Records what passes through, to check ordering and rewriting.
struct RecordingServerInterceptor: ServerInterceptor {
  let name: String
  let log: TestService.Log
  func intercept(
    _ request: borrowing Message, reply: inout Message, context: CallContext,
    next: (borrowing Message, inout Message, CallContext) throws(RPCError) -> Void
  ) throws(RPCError) {
    log.record("\(name) in \(request.label)")
    defer { log.record("\(name) out \(reply.label)") }
    try next(request, &reply, context)
  }
}

struct DenyingServerInterceptor: ServerInterceptor {
  func intercept(
    _ request: borrowing Message, reply: inout Message, context: CallContext,
    next: (borrowing Message, inout Message, CallContext) throws(RPCError) -> Void
  ) throws(RPCError) {
    throw RPCError(.returnCode(.EACCES), "denied by policy")
  }
}

struct RecordingClientInterceptor: ClientInterceptor {
  let name: String
  let log: TestService.Log
  func intercept(_ call: ClientCall, next: (ClientCall) throws(RPCError) -> Message?) throws(RPCError) -> Message? {
    log.record("\(name) \(call.isOneWay ? "send" : "call") \(call.request.label)")
    do {
      let reply = try next(call)
      log.record("\(name) reply \(reply?.label ?? 0)")
      return reply
    } catch {
      log.record("\(name) error \(error.code)")
      throw error
    }
  }
}

/// Rewrites every `add` request's first word (shows interceptors may change the request).
struct DoublingClientInterceptor: ClientInterceptor {
  func intercept(_ call: ClientCall, next: (ClientCall) throws(RPCError) -> Message?) throws(RPCError) -> Message? {
    var call = call
    if call.request.label == TestService.add { call.request[0] *= 2 }
    return try next(call)
  }
}

func addRequest(_ a: UInt64, _ b: UInt64) -> Message {
  var request = Message(label: TestService.add)
  try? request.append(a)
  try? request.append(b)
  return request
}

// Swift 6.3.1 crashes (LifetimeDependenceDiagnostics) converting `throws(RPCError)` closures to
// untyped `throws`, as `#expect(throws:)` needs; these helpers keep the error typed instead.

/// The error `body` throws, or nil when it succeeds.
func caught<T>(_ body: () throws(RPCError) -> T) -> RPCError? {
  do {
    _ = try body()
    return nil
  } catch {
    return error
  }
}

/// The error `body` throws, or nil when it succeeds.
func caughtAsync<T>(_ body: () async throws(RPCError) -> T) async -> RPCError? {
  do {
    _ = try await body()
    return nil
  } catch {
    return error
  }
}
