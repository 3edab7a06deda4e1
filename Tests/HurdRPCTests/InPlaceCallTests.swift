import Dispatch
@_spi(Transport) import HurdRPC
import Testing

/// A third-party transport written before `call(_:reply:options:)` existed: only the returning
/// form, so the in-place call goes through the protocol's default.
struct ReturningOnlyTransport: ClientTransport {
  let base: LoopbackTransport
  let calls = Locked(0)

  func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    calls.withLock { $0 += 1 }
    return try base.call(request, options: options)
  }

  func send(_ message: Message, options: CallOptions) throws(RPCError) {
    try base.send(message, options: options)
  }
}

@Suite("In-place calls (reply written into the caller's message)")
struct InPlaceCallTests {
  /// A reply buffer holding leftovers of an earlier, longer message.
  func usedBuffer() throws -> Message {
    try Message(label: 77, words: [9, 9, 9, 9])
  }

  @Test func rpcClientFillsTheCallersReplyAndLeavesTheRequestAlone() throws {
    let client = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService())))
    var request = addRequest(40, 2)
    var reply = try usedBuffer()
    try client.call(&request, reply: &reply)
    #expect(reply.label == TestService.add + Message.replyLabelOffset && reply.words == [0, 42])
    #expect(request.label == TestService.add && request.words == [40, 2])
    // The same buffers again: nothing of the previous round survives.
    request[0] = 1
    try client.call(&request, reply: &reply)
    #expect(reply.words == [0, 3])
  }

  @Test func theInPlaceReplyIsCheckedLikeAReturnedOne() throws {
    let client = RPCClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService())))
    var failing = try Message(label: TestService.fail, words: [UInt64(UInt32(bitPattern: ReturnCode.EROFS.rawValue))])
    var reply = Message(label: 0)
    let serverCode = caught { () throws(RPCError) in try client.call(&failing, reply: &reply) }
    #expect(serverCode == RPCError(returnCode: .EROFS))
    var unknown = Message(label: 999)
    let badID = caught { () throws(RPCError) in try client.call(&unknown, reply: &reply) }
    #expect(badID == RPCError(returnCode: .migBadID))
  }

  @Test func aTransportWithOnlyTheReturningCallGetsTheDefault() throws {
    let transport = ReturningOnlyTransport(base: LoopbackTransport(dispatcher: RequestDispatcher(TestService())))
    var request = addRequest(5, 6)
    var reply = try usedBuffer()
    try transport.call(&request, reply: &reply, options: .default)
    #expect(reply.words == [0, 11])
    try RPCClient(transport: transport).call(&request, reply: &reply)
    #expect(reply.words == [0, 11])
    #expect(transport.calls.withLock { $0 } == 2)
    #expect(try RPCClient(transport: transport).call(addRequest(1, 2))[1] == 3)
  }

  @Test func clientInterceptorsStillSeeInPlaceCalls() throws {
    let log = TestService.Log()
    let client = RPCClient(
      transport: LoopbackTransport(dispatcher: RequestDispatcher(TestService())),
      interceptors: [RecordingClientInterceptor(name: "A", log: log), DoublingClientInterceptor()])
    var request = addRequest(20, 2)
    var reply = try usedBuffer()
    try client.call(&request, reply: &reply)
    #expect(reply.words == [0, 42])
    #expect(request.words == [20, 2])  // the interceptor rewrote its own copy
    #expect(log.all == ["A call 100", "A reply 200"])
  }

  @Test func respondReadsAnInoutRequestWithoutChangingIt() throws {
    let dispatcher = RequestDispatcher(TestService())
    let context = CallContext(caller: CallerIdentity(domain: 1, badge: 2), requestLabel: 100, expectsReply: true)
    var request = addRequest(7, 8)
    var reply = try usedBuffer()
    #expect(dispatcher.respond(to: &request, reply: &reply, context: context))
    #expect(reply.label == 200 && reply.words == [0, 15])
    #expect(request.words == [7, 8])
    var unknown = Message(label: 9)
    #expect(dispatcher.respond(to: &unknown, reply: &reply, context: context))
    #expect(reply.replyReturnCode == .migBadID && reply.wordCount == 1)
  }
}
