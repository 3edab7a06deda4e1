import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// A plain (non-bucket) L4 server's handler gets a server-side cancellation token, never the
/// client's own handle (issue 5: only the caller's own task may cancel its call).
@Suite("L4 server-side cancellation token")
struct ServerSideCancellationTests {
  /// A handler that tries to misuse the cancellation it is given: cancels it, and leaves a
  /// handler registered on it.
  struct MeddlingService: Demultiplexer {
    static let meddle: UInt64 = 1
    let tokens = Log<ObjectIdentifier>()
    let handlerRuns = Log<String>()

    func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
      guard request.label == Self.meddle, let token = context.cancellation else { throw RPCError(.badID) }
      tokens.append(ObjectIdentifier(token))
      let runs = handlerRuns
      token.onCancel { runs.append("server code ran on cancel") }
      token.cancel()
      try reply.append(context.isCancelled ? 1 : 0)
    }
  }

  @Test(arguments: [L4DispatchMode.threaded, .direct])
  func aPlainHandlerCannotCancelOrHookTheClientsHandle(mode: L4DispatchMode) throws {
    let kernel = L4Kernel()
    let service = MeddlingService()
    let space = kernel.createSpace()
    let transport = L4ServerTransport(space: space, mode: mode)
    let done = DispatchSemaphore(value: 0)
    Thread.detach {
      try? transport.serve(RequestDispatcher(service))
      done.signal()
    }
    #expect(waitUntil { kernel.thread(transport.endpoint)?.ipcActivity == .receiving })
    let client = L4ClientTransport(space: kernel.createSpace(), server: transport)
    let handle = CallCancellation()
    var options = CallOptions.timeout(.seconds(60))
    options.cancellation = handle
    let reply = try client.call(Message(label: MeddlingService.meddle), options: options)
    #expect(try reply.word(at: 1) == 1)  // the call succeeded; the handler's own token is cancelled
    #expect(!handle.isCancelled)
    #expect(handle.isUnused)  // no server handler left on the client's handle
    #expect(service.tokens.values.count == 1)
    #expect(!service.tokens.values.contains(ObjectIdentifier(handle)))
    #expect(service.handlerRuns.values.count == 1)
    // The client's later cancel runs no server code.
    handle.cancel()
    #expect(service.handlerRuns.values.count == 1)
    transport.shutdown()
    done.wait()
  }
}
