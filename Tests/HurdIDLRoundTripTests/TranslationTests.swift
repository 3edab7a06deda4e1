import Dispatch
import Foundation
@_spi(Transport) import HurdRPC
import HurdRPCL4
import Testing

/// The server's own value for a `ticket_t` on the wire.
struct Ticket: Sendable, Equatable {
  var number: Int32
}

/// translations.defs' server: supplies the intran/outtran/destructor hooks and logs every call,
/// so the tests see which hooks ran and in which order.
final class TicketOffice: TranslationsServer, @unchecked Sendable {
  private let lock = NSLock()
  private var entries: [String] = []

  func log(_ entry: String) { lock.withLock { entries.append(entry) } }
  var events: [String] { lock.withLock { entries } }
  func clear() { lock.withLock { entries.removeAll() } }

  // Translations.
  func lookupTicket(_ value: Int32, context: CallContext) throws(ReturnCode) -> Ticket {
    // Negative numbers are not tickets: the intran refuses them, no handler runs.
    guard value >= 0 else {
      log("refuse \(value)")
      throw .EINVAL
    }
    log("lookup \(value)")
    return Ticket(number: value)
  }

  func ticketNumber(_ value: Ticket, context: CallContext) throws(ReturnCode) -> Int32 {
    log("number \(value.number)")
    return value.number
  }

  func releaseTicket(_ value: Ticket) { log("release \(value.number)") }

  // Handlers.
  func redeem(_ target: Void, ticket: Ticket, context: CallContext) throws(ReturnCode) -> Int32 {
    log("redeem \(ticket.number)")
    // Ticket 0 has expired: the handler fails, the destructor must still run.
    guard ticket.number != 0 else { throw ReturnCode(2_001) }
    return ticket.number * 10
  }

  func renew(_ target: Void, ticket: Ticket, context: CallContext) throws(ReturnCode) -> Ticket {
    log("renew \(ticket.number)")
    return Ticket(number: ticket.number + 1)
  }

  func issue(_ target: Void, value: Int32, context: CallContext) throws(ReturnCode) -> (ticket: Ticket, serial: Int32) {
    log("issue \(value)")
    return (Ticket(number: value), 77)
  }

  func exchange(_ target: Void, first: Ticket, second: Ticket, context: CallContext) throws(ReturnCode) -> Int32 {
    log("exchange \(first.number) \(second.number)")
    return first.number + second.number
  }

  /// Negative values ask to answer later, which a server without a capability bucket cannot do.
  func issueLater(
    _ target: Void, replyPort: ServerReplyPort<(ticket: Ticket, serial: Int32)>, value: Int32, context: CallContext
  ) throws(ReturnCode) -> (ticket: Ticket, serial: Int32) {
    log("issueLater \(value) \(replyPort.canDefer ? "can" : "cannot") defer")
    if value < 0 { _ = try replyPort.deferReply() }
    return (Ticket(number: value), 78)
  }

  func discard(_ target: Void, ticket: Ticket, context: CallContext) throws(ReturnCode) {
    log("discard \(ticket.number)")
    discarded.signal()
  }

  /// Signalled by `discard` (one-way: the client does not wait for it).
  let discarded = DispatchSemaphore(value: 0)

  // A capability turned into the server's object.
  struct Holder: Sendable {
    var id: Int32
  }

  func holderFor(_ value: CapabilityName, context: CallContext) throws(ReturnCode) -> Holder {
    log("holder \(value.rawValue)")
    guard value != .null else { throw .EINVAL }
    return Holder(id: Int32(truncatingIfNeeded: value.rawValue))
  }

  func dropHolder(_ value: Holder) { log("drop \(value.id)") }

  func holderID(_ target: Void, holder: Holder, context: CallContext) throws(ReturnCode) -> Int32 {
    log("id \(holder.id)")
    return holder.id
  }
}

/// A translations.defs server on an L4 server thread.
final class TicketHarness: Sendable {
  let kernel = L4Kernel()
  let transport: L4ServerTransport
  let client: TranslationsClient<L4ClientTransport>
  let office = TicketOffice()
  private let done = DispatchSemaphore(value: 0)

  init() {
    transport = L4ServerTransport(space: kernel.createSpace())
    client = TranslationsClient(transport: L4ClientTransport(space: kernel.createSpace(), server: transport))
    let transport = transport
    let done = done
    let dispatcher = RequestDispatcher(TranslationsDemux(office))
    DispatchQueue(label: "ticket-server").async {
      try? transport.serve(dispatcher)
      done.signal()
    }
  }

  func finish() {
    transport.shutdown()
    done.wait()
  }
}

@Suite("Server-side translations (intran, outtran, destructor)")
struct TranslationTests {
  @Test func intranThenHandlerThenDestructorOnSuccess() throws {
    let harness = TicketHarness()
    defer { harness.finish() }
    #expect(try harness.client.redeem(ticket: 5) == 50)
    #expect(harness.office.events == ["lookup 5", "redeem 5", "release 5"])
  }

  @Test func destructorRunsWhenTheHandlerThrows() throws {
    let harness = TicketHarness()
    defer { harness.finish() }
    let error = caught { () throws(RPCError) in try harness.client.redeem(ticket: 0) }
    #expect(error?.code == .returnCode(ReturnCode(2_001)))
    #expect(harness.office.events == ["lookup 0", "redeem 0", "release 0"])
  }

  @Test func failingIntranAnswersItsCodeAndNoHandlerRuns() throws {
    let harness = TicketHarness()
    defer { harness.finish() }
    let error = caught { () throws(RPCError) in try harness.client.redeem(ticket: -3) }
    #expect(error?.code == .returnCode(.EINVAL))
    #expect(harness.office.events == ["refuse -3"])
  }

  @Test func destructorsRunInReverseOrderAndOnlyForTranslatedValues() throws {
    let harness = TicketHarness()
    defer { harness.finish() }
    #expect(try harness.client.exchange(first: 2, second: 3) == 5)
    #expect(harness.office.events == ["lookup 2", "lookup 3", "exchange 2 3", "release 3", "release 2"])
    harness.office.clear()
    // The second intran fails: the first value is still released, no handler runs.
    let error = caught { () throws(RPCError) in try harness.client.exchange(first: 4, second: -1) }
    #expect(error?.code == .returnCode(.EINVAL))
    #expect(harness.office.events == ["lookup 4", "refuse -1", "release 4"])
  }

  @Test func inoutIsTranslatedBothWaysWithoutDestructor() throws {
    let harness = TicketHarness()
    defer { harness.finish() }
    #expect(try harness.client.renew(ticket: 8) == 9)
    #expect(harness.office.events == ["lookup 8", "renew 8", "number 9"])
  }

  @Test func outtranTurnsServerValuesIntoWireValues() async throws {
    let harness = TicketHarness()
    defer { harness.finish() }
    let reply = try await harness.client.issue(value: Int32.max)
    #expect(reply.ticket == Int32.max && reply.serial == 77)
    #expect(harness.office.events == ["issue \(Int32.max)", "number \(Int32.max)"])
  }

  /// An `sreplyport` handler answers at once as any other (its results through their outtran);
  /// without a capability bucket its reply port cannot defer: `EOPNOTSUPP`.
  @Test func aReplyPortWithoutABucketAnswersAtOnceAndCannotDefer() throws {
    let harness = TicketHarness()
    defer { harness.finish() }
    let reply = try harness.client.issueLater(value: 4)
    #expect(reply.ticket == 4 && reply.serial == 78)
    #expect(harness.office.events == ["issueLater 4 cannot defer", "number 4"])
    harness.office.clear()
    let error = caught { () throws(RPCError) in try harness.client.issueLater(value: -1) }
    #expect(error?.code == .returnCode(.EOPNOTSUPP))
    #expect(harness.office.events == ["issueLater -1 cannot defer"])
  }

  @Test func oneWayRequestsDestroyTheirValuesToo() throws {
    let harness = TicketHarness()
    try harness.client.discard(ticket: 12)
    harness.office.discarded.wait()
    // `discard` has signalled, the destructor follows at once: finish() waits for the server.
    harness.finish()
    #expect(harness.office.events == ["lookup 12", "discard 12", "release 12"])
  }

  @Test func capabilitiesBecomeServerObjects() throws {
    // The L4 transport does not carry capabilities yet: the loopback transport does.
    let office = TicketOffice()
    let client = TranslationsClient(transport: LoopbackTransport(dispatcher: RequestDispatcher(TranslationsDemux(office))))
    #expect(try client.holderID(holder: CapabilityName(rawValue: 41)) == 41)
    #expect(office.events == ["holder 41", "id 41", "drop 41"])
  }
}
