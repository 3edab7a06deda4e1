import HurdRPC
import Testing

@Suite("RPCError, ReturnCode and timeouts")
struct ErrorTests {
  static let ipcCodes: [(RPCError.Code, UInt64)] = [
    (.timeout, 1), (.nonExistingPartner, 2), (.cancelled, 3), (.messageOverflow, 4),
    (.transferTimeoutInInvoker, 5), (.transferTimeoutInPartner, 6), (.aborted, 7),
  ]

  @Test func l4ErrorWordRoundTrips() throws {
    for (code, kind) in Self.ipcCodes {
      for phase in [IPCPhase.send, .receive] {
        let offset = kind >= 4 ? 4096 : nil
        let error = RPCError(code, phase: phase, offset: offset)
        let word = try #require(error.l4ErrorCode)
        #expect(word & 1 == (phase == .receive ? 1 : 0))
        #expect((word >> 1) & 7 == kind)
        let decoded = try #require(RPCError(l4ErrorCode: word))
        #expect(decoded.code == code && decoded.phase == phase && decoded.offset == offset)
      }
    }
    #expect(RPCError(l4ErrorCode: 0) == nil && RPCError(l4ErrorCode: 1) == nil)
    // Overflow in the receive phase after 100 bytes: kind 4, phase bit, offset from bit 4.
    #expect(RPCError(l4ErrorCode: (100 << 4) | (4 << 1) | 1)?.offset == 100)
    #expect(RPCError(.badID).l4ErrorCode == nil && !RPCError.Code.badID.isIPCError)
  }

  @Test func protocolCodesTravelAsMIGValues() {
    let pairs: [(RPCError.Code, ReturnCode)] = [
      (.badID, .migBadID), (.badArguments, .migBadArguments), (.typeError, .migTypeError),
      (.replyMismatch, .migReplyMismatch), (.arrayTooLarge, .migArrayTooLarge), (.serverDied, .migServerDied),
    ]
    for (code, wire) in pairs {
      #expect(RPCError(code).wireReturnCode == wire)
      #expect(RPCError(returnCode: wire).code == code)
    }
    #expect(ReturnCode.migBadID.rawValue == -303 && ReturnCode.migServerDied.rawValue == -308)
  }

  @Test func serverReturnCodesRoundTrip() {
    for returnCode in [ReturnCode.kernInvalidArgument, .EPERM, .ENOENT, .ENOSYS, ReturnCode(12345)] {
      let error = RPCError(.returnCode(returnCode))
      #expect(error.wireReturnCode == returnCode)
      #expect(RPCError(returnCode: error.wireReturnCode).code.returnCode == returnCode)
    }
    #expect(ReturnCode.EPERM.rawValue == 0x4000_0001 && ReturnCode.EPERM.hurdErrno == 1)
    #expect(ReturnCode.kernFailure.hurdErrno == nil)
  }

  @Test func handlerIPCFailuresTravelAsMachReturns() {
    #expect(RPCError(.timeout, phase: .send).wireReturnCode == .machSendTimedOut)
    #expect(RPCError(.timeout, phase: .receive).wireReturnCode == .machRcvTimedOut)
    #expect(RPCError(.nonExistingPartner).wireReturnCode == .machSendInvalidDest)
    // At the client they are the server's return code, not a failure of the client's own call.
    #expect(RPCError(returnCode: .machSendTimedOut).code == .returnCode(.machSendTimedOut))
  }

  @Test func sameCodeWrappingFlattens() {
    let inner = RPCError(.timeout, "receive ran out", phase: .receive)
    let outer = RPCError(.timeout, "lookup", cause: inner)
    #expect(outer.phase == .receive && outer.message == "lookup: receive ran out" && outer.cause == nil)
    let different = RPCError(.serverDied, "lookup", cause: inner)
    #expect(different.code == .serverDied && (different.cause as? RPCError) == inner)
    #expect(different == RPCError(.serverDied, "lookup"))  // cause is not part of equality
    #expect(different.description.contains("cause"))
  }

  @Test func timeoutEncodings() {
    #expect(IPCTimeout.never.l4Encoding == 0)
    #expect(IPCTimeout.zero.l4Encoding == 0x0400)
    #expect(IPCTimeout.microseconds(1).l4Encoding == 1)
    #expect(IPCTimeout.microseconds(1023).l4Encoding == 1023)
    #expect(IPCTimeout.microseconds(1024).l4Encoding == (1 << 10) | 512)
    // 1025 µs is not representable: round up to 2 · 513 µs.
    #expect(IPCTimeout.microseconds(1025).l4Encoding == (1 << 10) | 513)
    #expect(IPCTimeout.after(.nanoseconds(1)).l4Encoding == 1)
    #expect(IPCTimeout.after(.seconds(-1)).l4Encoding == 0x0400)
    #expect(IPCTimeout.after(.seconds(1_000_000_000)).l4Encoding == (31 << 10) | 1023)
    #expect(IPCTimeout(l4Encoding: 0) == .never)
    #expect(IPCTimeout(l4Encoding: 0x0400) == .zero)
    #expect(IPCTimeout(l4Encoding: 0x0C00) == .zero)  // m = 0 with any exponent is zero time
    #expect(IPCTimeout(l4Encoding: (3 << 10) | 5) == .microseconds(40))
    #expect(IPCTimeout(l4Encoding: 0x8000) == nil)  // absolute form
    for micros: Int64 in [1, 7, 1000, 5000, 123_456, 10_000_000] {
      let decoded = IPCTimeout(l4Encoding: IPCTimeout.microseconds(micros).l4Encoding)?.duration
      #expect(decoded.map { $0 >= .microseconds(micros) && $0 <= .microseconds(micros) * 2 } == true)
    }
  }

  @Test func optionDeadlines() {
    let start = ContinuousClock.now
    #expect(CallOptions.default.effectiveDeadline(start: start) == nil && !CallOptions.default.hasDeadline)
    let budget = CallOptions.timeout(.seconds(2))
    #expect(budget.effectiveDeadline(start: start) == start.advanced(by: .seconds(2)))
    let both = CallOptions(timeout: .seconds(2), deadline: start.advanced(by: .seconds(1)))
    #expect(both.effectiveDeadline(start: start) == start.advanced(by: .seconds(1)))
    let phases = CallOptions(timeout: .seconds(10), sendTimeout: .zero, receiveTimeout: .after(.seconds(3)))
    #expect(phases.sendPhaseDeadline(start: start) == start)
    let receiveStart = start.advanced(by: .seconds(8))
    #expect(phases.receivePhaseDeadline(callStart: start, receiveStart: receiveStart) == start.advanced(by: .seconds(10)))
    #expect(phases.receivePhaseDeadline(callStart: start, receiveStart: start) == start.advanced(by: .seconds(3)))
  }
}
