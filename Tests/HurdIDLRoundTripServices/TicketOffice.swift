import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCSocketTestSupport

/// The server's own value for a `ticket_t` on the wire.
package struct Ticket: Sendable, Equatable {
  package var number: Int32
}

/// translations.defs' server: supplies the intran/outtran/destructor hooks and logs every call,
/// so the tests see which hooks ran and in which order.
package final class TicketOffice: TranslationsServer, RecordsEvents {
  package let events = SharedLog<String>()
  /// Where the transport carries capabilities: drops the rights `holder_id` received.
  let objects: (any ObjectHost)?

  package init(objects: (any ObjectHost)? = nil) { self.objects = objects }

  // Translations.
  package func lookupTicket(_ value: Int32, context: CallContext) throws(ReturnCode) -> Ticket {
    // Negative numbers are not tickets: the intran refuses them, no handler runs.
    guard value >= 0 else {
      events.append("refuse \(value)")
      throw .EINVAL
    }
    events.append("lookup \(value)")
    return Ticket(number: value)
  }

  package func ticketNumber(_ value: Ticket, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("number \(value.number)")
    return value.number
  }

  package func releaseTicket(_ value: Ticket) { events.append("release \(value.number)") }

  // Handlers.
  package func redeem(_ target: Void, ticket: Ticket, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("redeem \(ticket.number)")
    // Ticket 0 has expired: the handler fails, the destructor must still run.
    guard ticket.number != 0 else { throw ReturnCode(2_001) }
    return ticket.number * 10
  }

  package func renew(_ target: Void, ticket: Ticket, context: CallContext) throws(ReturnCode) -> Ticket {
    events.append("renew \(ticket.number)")
    return Ticket(number: ticket.number + 1)
  }

  package func issue(_ target: Void, value: Int32, context: CallContext) throws(ReturnCode) -> (ticket: Ticket, serial: Int32) {
    events.append("issue \(value)")
    return (Ticket(number: value), 77)
  }

  /// Negative values ask to answer later, which a server without a capability bucket cannot do.
  package func issueLater(
    _ target: Void, replyPort: ServerReplyPort<(ticket: Ticket, serial: Int32)>, value: Int32, context: CallContext
  ) throws(ReturnCode) -> (ticket: Ticket, serial: Int32) {
    events.append("issueLater \(value) \(replyPort.canDefer ? "can" : "cannot") defer")
    if value < 0 { _ = try replyPort.deferReply() }
    return (Ticket(number: value), 78)
  }

  package func exchange(_ target: Void, first: Ticket, second: Ticket, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("exchange \(first.number) \(second.number)")
    return first.number + second.number
  }

  package func discard(_ target: Void, ticket: Ticket, context: CallContext) throws(ReturnCode) {
    events.append("discard \(ticket.number)")
  }

  // A capability turned into the server's object: its name in the server's space is its id.
  package struct Holder: Sendable {
    package var id: Int32
    let name: CapabilityName
  }

  package func holderFor(_ value: CapabilityName, context: CallContext) throws(ReturnCode) -> Holder {
    events.append("holder \(value.rawValue)")
    guard value != .null else { throw .EINVAL }
    return Holder(id: Int32(truncatingIfNeeded: value.rawValue), name: value)
  }

  package func dropHolder(_ value: Holder) {
    events.append("drop \(value.id)")
    objects?.release(value.name)
  }

  package func holderID(_ target: Void, holder: Holder, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("id \(holder.id)")
    return holder.id
  }
}
