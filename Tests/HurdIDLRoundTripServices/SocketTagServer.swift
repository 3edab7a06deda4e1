@_spi(Transport) import HurdRPC
import HurdRPCSocketTestSupport

/// ports.defs' server on a transport that carries capabilities between processes: an object is a
/// port badge (its tag), so the handlers' target is the tag of the port the call came through.
/// A right a handler receives is used — called, to learn its tag: it may name an object of any
/// server — and dropped; new objects are new receive rights of this server.
/// (`CapabilityPortTests` serves the same interface through HurdCap on L4.)
package final class SocketTagServer: PortsServer, RecordsEvents {
  package let events = SharedLog<String>()
  let objects: (any ObjectHost)?

  package init(objects: (any ObjectHost)?) { self.objects = objects }

  private var host: any ObjectHost {
    get throws(ReturnCode) {
      guard let objects else { throw .EOPNOTSUPP }
      return objects
    }
  }

  package func target(for context: CallContext) throws(ReturnCode) -> Int32 { Int32(truncatingIfNeeded: context.caller.transportBadge) }

  /// The tag of the object `name` names, asked through the right; the right is dropped.
  private func tag(of name: CapabilityName) throws(ReturnCode) -> Int32 {
    let host = try host
    defer { host.release(name) }
    do throws(RPCError) {
      return try PortsClient(transport: try host.client(for: name)).tagOf()
    } catch {
      throw .EINVAL
    }
  }

  package func tagOf(_ target: Int32, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("tagOf \(target)")
    return target
  }

  package func takeCopy(_ target: Int32, given: CapabilityName, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("takeCopy")
    return try tag(of: given)
  }

  package func takeMove(_ target: Int32, given: CapabilityName, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("takeMove")
    return try tag(of: given)
  }

  package func takeOnce(_ target: Int32, given: CapabilityName, context: CallContext) throws(ReturnCode) -> Int32 {
    events.append("takeOnce")
    return try tag(of: given)
  }

  package func make(_ target: Int32, tag: Int32, context: CallContext) throws(ReturnCode) -> CapabilityName {
    events.append("make")
    return try host.makeObject(badge: UInt64(UInt32(bitPattern: tag)))
  }

  package func makeOnce(_ target: Int32, tag: Int32, context: CallContext) throws(ReturnCode) -> CapabilityName {
    events.append("makeOnce")
    return try host.makeObject(badge: UInt64(UInt32(bitPattern: tag)))
  }

  /// Moves back the right it received (the server keeps nothing).
  package func giveBack(_ target: Int32, given: CapabilityItem, context: CallContext) throws(ReturnCode) -> CapabilityItem {
    events.append("giveBack \(given.disposition)")
    return CapabilityItem(given.name, disposition: .moveSend)
  }

  package func takeReceive(_ target: Int32, given: CapabilityName, context: CallContext) throws(ReturnCode) {
    events.append("takeReceive")
  }

  package func sum62(_ target: Int32, words: InlineArray<62, Int64>, context: CallContext) throws(ReturnCode) -> Int64 {
    words.elements.reduce(0, &+)
  }

  package func sum63(_ target: Int32, words: InlineArray<63, Int64>, context: CallContext) throws(ReturnCode) -> Int64 {
    words.elements.reduce(0, &+)
  }

  /// Without a bucket nothing can be deferred: answers at once.
  package func later(_ target: Int32, replyPort: ServerReplyPort<Int32>, value: Int32, context: CallContext)
    throws(ReturnCode) -> Int32
  {
    events.append("later \(value)")
    return value
  }
}
