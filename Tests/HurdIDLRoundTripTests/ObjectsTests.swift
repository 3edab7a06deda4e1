import Dispatch
import Foundation
@_spi(Generated) @_spi(Transport) import HurdRPC
import HurdIDLRoundTripServices
import HurdRPCL4
import HurdRPCSocketTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A Bank served on an L4 server thread, for the tests that reach into the server object.
final class BankHarness: Sendable {
  let kernel = L4Kernel()
  let bank = Bank()
  let transport: L4ServerTransport
  private let done = DispatchSemaphore(value: 0)

  init() {
    transport = L4ServerTransport(space: kernel.createSpace())
    let transport = transport
    let done = done
    let dispatcher = RequestDispatcher(ObjectsDemux(bank))
    DispatchQueue(label: "bank").async {
      try? transport.serve(dispatcher)
      done.signal()
    }
  }

  /// A client in a new address space (a new caller domain).
  func client() -> ObjectsClient<L4ClientTransport> {
    ObjectsClient(transport: L4ClientTransport(space: kernel.createSpace(), server: transport))
  }

  func finish() {
    transport.shutdown()
    done.wait()
  }
}

/// Hands every request to a targeted demux with a target already known, as the capability layer
/// does (the demux's `dispatch(_:reply:target:context:)`).
struct GivenTargetTransport<Demux: TargetedDemultiplexer>: ClientTransport where Demux.Target: Sendable {
  let demux: Demux
  let target: Demux.Target
  let context: CallContext

  func call(_ request: Message, options: CallOptions) throws(RPCError) -> Message {
    var reply = Message.reply(to: request.label)
    try demux.dispatch(request, reply: &reply, target: target, context: context)
    return reply
  }

  func send(_ message: Message, options: CallOptions) throws(RPCError) { _ = try call(message, options: options) }
}

@Suite("Target objects, msgseqno, waittime and msgoption arguments over L4 and the socket transport")
struct ObjectsTests {
  /// Each caller's requests reach its own object; the request port's intran/destructor wrap the
  /// handler.
  @Test(arguments: Placement.allCases)
  func handlersReceiveTheCallersTargetObject(_ placement: Placement) throws {
    let served = try placement.serve(.objects)
    defer { served.finish() }
    let alice = ObjectsClient(transport: try served.newCaller())
    let bob = ObjectsClient(transport: try served.newCaller())
    #expect(try alice.deposit(amount: 5) == 5)
    #expect(try bob.deposit(amount: 7) == 7)
    #expect(try alice.deposit(amount: 10) == 15)
    #expect(try alice.whoami().owner == 1)
    #expect(try bob.whoami().owner == 2)
    #expect(
      try served.events() == [
        "open 1", "deposit 5 to 1", "close 1", "open 2", "deposit 7 to 2", "close 2", "open 1", "deposit 10 to 1", "close 1",
      ])
  }

  @Test(arguments: Placement.allCases)
  func theTargetsDestructorRunsWhenTheHandlerThrows(_ placement: Placement) throws {
    let served = try placement.serve(.objects)
    defer { served.finish() }
    let error = caught { () throws(RPCError) in try ObjectsClient(transport: served.transport).deposit(amount: -1) }
    #expect(error?.code == .returnCode(.EINVAL))
    #expect(try served.events() == ["open 1", "deposit -1 to 1", "close 1"])
  }

  /// `target(for:)` runs after validation and before the handler; its code is the reply's.
  @Test func aRefusedTargetAnswersItsCodeAndNoHandlerRuns() throws {
    let harness = BankHarness()
    defer { harness.finish() }
    let client = harness.client()
    _ = try client.whoami()
    harness.bank.banLatestCaller()
    let error = caught { () throws(RPCError) in try client.deposit(amount: 1) }
    #expect(error?.code == .returnCode(.EPERM))
    #expect(try harness.client().deposit(amount: 1) == 1)  // another domain: served
    #expect(harness.bank.events.take() == ["open 2", "deposit 1 to 2", "close 2"])
  }

  /// A layer that already knows the target (the capability layer) hands it to the demux:
  /// `target(for:)` is not called, the handlers get that object, validation still comes first.
  @Test func aGivenTargetReachesTheHandlersWithoutTargetFor() throws {
    let bank = Bank()
    let account = Bank.Account(number: 42)
    let context = CallContext(caller: CallerIdentity(domain: 9, badge: 0), requestLabel: 7800, expectsReply: true)
    let transport = GivenTargetTransport(demux: ObjectsDemux(bank), target: account, context: context)
    #expect(try ObjectsClient(transport: transport).deposit(amount: 8) == 8)
    #expect(account.balance == 8)
    #expect(bank.events.values == ["open 42", "deposit 8 to 42", "close 42"])
    // target(for:) would have made account 1 for this caller: it was not asked.
    #expect(try bank.target(for: context).number == 1)
    var malformed = Message(label: 7800)
    let rpc = RPCClient(transport: transport)
    #expect(caught { () throws(RPCError) in try rpc.call(malformed) }?.code == .badArguments)
    malformed.label = 7700
    #expect(caught { () throws(RPCError) in try rpc.call(malformed) }?.code == .badID)
    #expect(bank.events.values.count == 3)
  }

  /// Every request the demux receives is numbered, malformed ones too.
  @Test(arguments: Placement.allCases)
  func msgseqnoNumbersTheRequestsTheDemuxReceived(_ placement: Placement) throws {
    let served = try placement.serve(.objects)
    defer { served.finish() }
    let client = ObjectsClient(transport: served.transport)
    #expect(try client.whoami().number == 0)
    #expect(try client.whoami().number == 1)
    _ = try client.twice(value: 1, flags: 0)
    // A request with an extra word is refused (bad arguments) but still counted.
    var malformed = Message(label: 7801)
    try malformed.append(0)
    let raw = RPCClient(transport: try served.newCaller())
    let error = caught { () throws(RPCError) in try raw.call(malformed) }
    #expect(error?.code == .badArguments)
    #expect(try client.whoami().number == 4)
  }

  /// `requestport` is the target however it is written; `replyport`/`ureplyport` are the L4
  /// call's own reply channel; `servercopy` data arrives like any other (as a string up to 2048
  /// bytes, a region above).
  @Test(arguments: Placement.allCases)
  func explicitPortArgumentsAndServercopyRoundTrip(_ placement: Placement) throws {
    let served = try placement.serve(.objects)
    defer { served.finish() }
    let alice = ObjectsClient(transport: try served.newCaller())
    let bob = ObjectsClient(transport: try served.newCaller())
    #expect(try alice.ownerOf() == 1)
    #expect(try bob.ownerOf() == 2)
    #expect(try alice.copyBack(data: [1, 2, 3]) == [3, 2, 1])
    let large = (0..<5_000).map { UInt8(truncatingIfNeeded: $0) }
    #expect(try bob.copyBack(data: large) == large.reversed())
    #expect(try alice.copyBack(data: []) == [])
    #expect(try served.events() == ["copy 3 for 1", "copy 5000 for 2", "copy 0 for 1"])
  }

  /// A `waittime` argument is the call's timeout.
  @Test(arguments: Placement.allCases)
  func aWaittimeArgumentBoundsTheCall(_ placement: Placement) throws {
    let served = try placement.serve(.objects)
    defer { served.finish() }
    let client = ObjectsClient(transport: served.transport)
    try client.pause(milliseconds: 0, timeout: 5_000)
    let error = caught { () throws(RPCError) in try client.pause(milliseconds: 300, timeout: 20) }
    #expect(error?.code == .timeout)
  }

  /// A cancelled call ends at once with `.cancelled`, and the handler sees the cancellation (in
  /// another process: the caller hung up).
  @Test(arguments: Placement.allCases)
  func cancellationEndsTheCallAndReachesTheHandler(_ placement: Placement) throws {
    let served = try placement.serve(.objects)
    defer { served.finish() }
    let client = ObjectsClient(transport: served.transport)
    let handle = CallCancellation()
    var options = CallOptions()
    options.cancellation = handle
    DispatchQueue(label: "canceller").async {
      // Once the handler runs (or, should the server not say so in time, after 3 s anyway).
      _ = try? served.events(until: "pause 20000", seconds: 3)
      handle.cancel()
    }
    let start = ContinuousClock.now
    let error = caught { () throws(RPCError) in try client.pause(milliseconds: 20_000, timeout: 30_000, options: options) }
    #expect(error?.code == .cancelled)
    #expect(ContinuousClock.now - start < .seconds(10))
    #expect(try served.events(until: "pause cancelled").last == "pause cancelled")
  }

  /// kill -9 of the server process during a generated call: the caller gets "server died" at
  /// once, not a hang, and later calls find nobody.
  @Test func killingTheServerProcessMidCallFailsTheCall() throws {
    let served = try Placement.socketOtherProcess.serve(.objects)
    let helper = try #require(served.helper)
    let client = ObjectsClient(transport: served.transport)
    DispatchQueue(label: "killer").asyncAfter(deadline: .now() + .milliseconds(200)) { helper.kill(SIGKILL) }
    let start = ContinuousClock.now
    let error = caught { () throws(RPCError) in try client.pause(milliseconds: 20_000, timeout: 30_000) }
    #expect(error?.code == .serverDied)
    #expect(ContinuousClock.now - start < .seconds(10))
    _ = waitUntil { kill(helper.pid, 0) != 0 }
    #expect(caught { () throws(RPCError) in try client.twice(value: 1, flags: 0) }?.code == .nonExistingPartner)
  }

  /// `msgoption` bits the transport honours pass; those without an equivalent fail before sending.
  @Test(arguments: Placement.allCases)
  func aMsgoptionArgumentIsAppliedOrRefused(_ placement: Placement) throws {
    let served = try placement.serve(.objects)
    defer { served.finish() }
    let client = ObjectsClient(transport: served.transport)
    let interrupt = Int32(GeneratedWire.MachOption.sendInterrupt | GeneratedWire.MachOption.receiveInterrupt)
    #expect(try client.twice(value: 21, flags: interrupt) == 42)
    let error = caught { () throws(RPCError) in try client.twice(value: 1, flags: 0x20) }  // MACH_SEND_NOTIFY
    #expect(error?.code == .unsupported)
    #expect(try client.whoami().number == 1)  // the refused call never reached the server
  }

  @Test func machOptionsMapToCallOptions() throws {
    let base = CallOptions(timeout: .seconds(9))
    let timed = try GeneratedWire.callOptions(
      base, waitTimeMilliseconds: 250, machOptions: GeneratedWire.MachOption.sendTimeout | GeneratedWire.MachOption.receiveTimeout)
    #expect(timed.timeout == .milliseconds(250))
    #expect(timed.sendTimeout == .after(.milliseconds(250)) && timed.receiveTimeout == .after(.milliseconds(250)))
    // No waittime: Mach's timeout argument is MACH_MSG_TIMEOUT_NONE, the timed phase does not block.
    let polling = try GeneratedWire.callOptions(base, waitTimeMilliseconds: nil, machOptions: GeneratedWire.MachOption.receiveTimeout)
    #expect(polling.timeout == .seconds(9) && polling.receiveTimeout == .zero && polling.sendTimeout == .never)
    // The `waittime` statement bounds the timed phases without replacing the caller's timeout.
    let statement = try GeneratedWire.callOptions(
      base, waitTimeMilliseconds: nil, waitTimeStatement: 40, machOptions: GeneratedWire.MachOption.sendTimeout)
    #expect(statement.timeout == .seconds(9) && statement.sendTimeout == .after(.milliseconds(40)))
    for unsupported: UInt32 in [0x20, 0x80, 0x200, 0x1000] {
      let error = caught { () throws(RPCError) in try GeneratedWire.callOptions(base, waitTimeMilliseconds: nil, machOptions: unsupported) }
      #expect(error?.code == .unsupported, "\(unsupported)")
    }
  }
}
