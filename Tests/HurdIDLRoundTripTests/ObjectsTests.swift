import Dispatch
import Foundation
@_spi(Generated) @_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// objects.defs' server: every calling domain (L4 address space) has an account, the target
/// object its requests are addressed to, found from the unforgeable caller identity.
final class Bank: ObjectsServer, @unchecked Sendable {
  final class Account: @unchecked Sendable {
    let number: Int32
    var balance: Int32 = 0
    init(number: Int32) { self.number = number }
  }

  /// What the `account_t` intran gives the handler: the account, opened for this request.
  struct OpenAccount: Sendable {
    let account: Account
  }

  private let lock = NSLock()
  private var accounts: [CallerIdentity: Account] = [:]
  private var entries: [String] = []
  /// A caller whose requests are refused before any handler runs.
  private var bannedCaller: CallerIdentity?
  private var latestCaller: CallerIdentity?

  var events: [String] { lock.withLock { entries } }
  func log(_ entry: String) { lock.withLock { entries.append(entry) } }
  /// Refuses the latest caller's requests from now on.
  func banLatestCaller() { lock.withLock { bannedCaller = latestCaller } }

  func target(for context: CallContext) throws(ReturnCode) -> Account {
    let banned = lock.withLock {
      latestCaller = context.caller
      return context.caller == bannedCaller
    }
    if banned { throw .EPERM }
    return lock.withLock {
      if let account = accounts[context.caller] { return account }
      let account = Account(number: Int32(accounts.count + 1))
      accounts[context.caller] = account
      return account
    }
  }

  func openAccount(_ value: Account, context: CallContext) throws(ReturnCode) -> OpenAccount {
    log("open \(value.number)")
    return OpenAccount(account: value)
  }

  func closeAccount(_ value: OpenAccount) { log("close \(value.account.number)") }

  func deposit(_ target: OpenAccount, amount: Int32, context: CallContext) throws(ReturnCode) -> Int32 {
    log("deposit \(amount) to \(target.account.number)")
    guard amount > 0 else { throw .EINVAL }
    return lock.withLock {
      target.account.balance += amount
      return target.account.balance
    }
  }

  func whoami(_ target: Account, seqno: Int32, context: CallContext) throws(ReturnCode) -> Objects.WhoamiReply {
    Objects.WhoamiReply(owner: target.number, number: seqno)
  }

  func pause(_ target: Account, milliseconds: Int32, context: CallContext) throws(ReturnCode) {
    Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
  }

  func twice(_ target: Account, value: Int32, context: CallContext) throws(ReturnCode) -> Int32 { value &* 2 }

  func copyBack(_ target: Account, data: [UInt8], context: CallContext) throws(ReturnCode) -> [UInt8] {
    log("copy \(data.count) for \(target.number)")
    return data.reversed()
  }

  func ownerOf(_ target: Account, context: CallContext) throws(ReturnCode) -> Int32 { target.number }
}

/// A Bank served on an L4 server thread, and clients in address spaces of their own.
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

@Suite("Target objects, msgseqno, waittime and msgoption arguments over the L4 transport")
struct ObjectsTests {
  /// Each caller's requests reach its own object; the request port's intran/destructor wrap the
  /// handler.
  @Test func handlersReceiveTheCallersTargetObject() throws {
    let harness = BankHarness()
    defer { harness.finish() }
    let alice = harness.client()
    let bob = harness.client()
    #expect(try alice.deposit(amount: 5) == 5)
    #expect(try bob.deposit(amount: 7) == 7)
    #expect(try alice.deposit(amount: 10) == 15)
    #expect(try alice.whoami().owner == 1)
    #expect(try bob.whoami().owner == 2)
    #expect(
      harness.bank.events == [
        "open 1", "deposit 5 to 1", "close 1", "open 2", "deposit 7 to 2", "close 2", "open 1", "deposit 10 to 1", "close 1",
      ])
  }

  @Test func theTargetsDestructorRunsWhenTheHandlerThrows() throws {
    let harness = BankHarness()
    defer { harness.finish() }
    let error = caught { () throws(RPCError) in try harness.client().deposit(amount: -1) }
    #expect(error?.code == .returnCode(.EINVAL))
    #expect(harness.bank.events == ["open 1", "deposit -1 to 1", "close 1"])
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
    #expect(harness.bank.events == ["open 2", "deposit 1 to 2", "close 2"])
  }

  /// A layer that already knows the target (the capability layer) hands it to the demux:
  /// `target(for:)` is not called, the handlers get that object, validation still comes first.
  @Test func aGivenTargetReachesTheHandlersWithoutTargetFor() throws {
    let bank = Bank()
    let demux = ObjectsDemux(bank)
    let account = Bank.Account(number: 42)
    let context = CallContext(caller: CallerIdentity(domain: 9, badge: 0), requestLabel: 7800, expectsReply: true)
    var reply = Message.reply(to: 7800)
    try demux.dispatch(try Objects.Wire.encodeDepositRequest(amount: 8), reply: &reply, target: account, context: context)
    #expect(try Objects.Wire.decodeDepositReply(reply) == 8)
    #expect(account.balance == 8)
    #expect(bank.events == ["open 42", "deposit 8 to 42", "close 42"])
    // target(for:) would have made account 1 for this caller: it was not asked.
    #expect(try bank.target(for: context).number == 1)
    var malformed = Message(label: 7800)
    let error = caught { () throws(RPCError) in try demux.dispatch(malformed, reply: &reply, target: account, context: context) }
    #expect(error?.code == .badArguments)
    malformed.label = 7700
    #expect(caught { () throws(RPCError) in try demux.dispatch(malformed, reply: &reply, target: account, context: context) }?.code == .badID)
    #expect(bank.events.count == 3)
  }

  /// Every request the demux receives is numbered, malformed ones too.
  @Test func msgseqnoNumbersTheRequestsTheDemuxReceived() throws {
    let harness = BankHarness()
    defer { harness.finish() }
    let client = harness.client()
    #expect(try client.whoami().number == 0)
    #expect(try client.whoami().number == 1)
    _ = try client.twice(value: 1, flags: 0)
    // A request with an extra word is refused (bad arguments) but still counted.
    var malformed = Message(label: 7801)
    try malformed.append(0)
    let raw = RPCClient(transport: L4ClientTransport(space: harness.kernel.createSpace(), server: harness.transport))
    let error = caught { () throws(RPCError) in try raw.call(malformed) }
    #expect(error?.code == .badArguments)
    #expect(try client.whoami().number == 4)
  }

  /// `requestport` is the target however it is written; `replyport`/`ureplyport` are the L4
  /// call's own reply channel; `servercopy` data arrives like any other (as a string up to 2048
  /// bytes, a region above).
  @Test func explicitPortArgumentsAndServercopyRoundTrip() throws {
    let harness = BankHarness()
    defer { harness.finish() }
    let alice = harness.client()
    let bob = harness.client()
    #expect(try alice.ownerOf() == 1)
    #expect(try bob.ownerOf() == 2)
    #expect(try alice.copyBack(data: [1, 2, 3]) == [3, 2, 1])
    let large = (0..<5_000).map { UInt8(truncatingIfNeeded: $0) }
    #expect(try bob.copyBack(data: large) == large.reversed())
    #expect(try alice.copyBack(data: []) == [])
    #expect(harness.bank.events == ["copy 3 for 1", "copy 5000 for 2", "copy 0 for 1"])
  }

  /// A `waittime` argument is the call's timeout.
  @Test func aWaittimeArgumentBoundsTheCall() throws {
    let harness = BankHarness()
    defer { harness.finish() }
    let client = harness.client()
    try client.pause(milliseconds: 0, timeout: 5_000)
    let error = caught { () throws(RPCError) in try client.pause(milliseconds: 300, timeout: 20) }
    #expect(error?.code == .timeout)
  }

  /// `msgoption` bits an L4 call honours pass; those without an L4 equivalent fail before sending.
  @Test func aMsgoptionArgumentIsAppliedOrRefused() throws {
    let harness = BankHarness()
    defer { harness.finish() }
    let client = harness.client()
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
