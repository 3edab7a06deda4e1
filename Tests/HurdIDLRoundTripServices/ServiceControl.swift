import Dispatch
@_spi(Transport) import HurdRPC
import HurdRPCSocket
import HurdRPCSocketTestSupport

/// A service that records what its handlers and hooks did, for the tests to read — also from
/// another process, through `ServiceControl`.
package protocol RecordsEvents: Sendable {
  var events: SharedLog<String> { get }
}

/// The objects of a serving process, where its transport carries capabilities between processes.
package protocol ObjectHost: Sendable {
  /// A receive right for a new object, whose callers carry `badge`.
  func makeObject(badge: UInt64) -> CapabilityName
  /// Drops a right a handler received.
  func release(_ name: CapabilityName)
  /// A client transport calling the object a received send right names.
  func client(for name: CapabilityName) throws(RPCError) -> SocketClientTransport
  /// Revokes the objects made with `badge` (where the server has the capability layer).
  func revoke(badge: UInt64) throws(RPCError)
}

extension ObjectHost {
  package func revoke(badge: UInt64) throws(RPCError) {
    throw RPCError(.unsupported, "this server's objects cannot be revoked (no capability layer)")
  }
}

/// Objects served by one socket server, named in a socket capability space.
package struct SocketObjectHost: ObjectHost {
  let server: SocketServerTransport
  let space: SocketCapabilitySpace

  package init(server: SocketServerTransport, space: SocketCapabilitySpace = .process) {
    self.server = server
    self.space = space
  }

  package func makeObject(badge: UInt64) -> CapabilityName { space.insertReceiveRight(for: server, badge: badge) }
  package func release(_ name: CapabilityName) { space.deallocate(name) }
  package func client(for name: CapabilityName) throws(RPCError) -> SocketClientTransport { try space.client(for: name) }
}

/// Routines every served interface answers beside its own (labels no test interface uses), so a
/// test sees into a server in another process as into one in its own.
package enum ServiceControl {
  /// (first) → the events recorded from index `first` on, one string item, lines joined by "\n"
  /// (reading takes nothing away: a reply lost to a timeout loses no events).
  package static let events: UInt64 = 90_000
  /// (badge) → a make-send right to a new object of this server (transports carrying capabilities).
  package static let makeObject: UInt64 = 90_001
  /// → the caller's badge as the server sees it.
  package static let badge: UInt64 = 90_002
  /// → the number of open descriptors of the serving process.
  package static let openDescriptors: UInt64 = 90_003
  /// (badge) → revokes the objects made with that badge (capability layer only).
  package static let revoke: UInt64 = 90_004

  package static func events(
    from first: Int, at transport: some ClientTransport, options: CallOptions = .default
  ) throws(RPCError) -> [String] {
    let reply = try RPCClient(transport: transport).call(try Message(label: events, words: [UInt64(first)]), options: options)
    guard let text = reply.strings.first?.bytes, !text.isEmpty else { return [] }
    return String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
  }

  package static func makeObject(badge: UInt64, at transport: some ClientTransport) throws(RPCError) -> CapabilityName {
    let reply = try RPCClient(transport: transport).call(try Message(label: makeObject, words: [badge]))
    guard let capability = reply.capabilities.first else { throw RPCError(.badArguments, "no capability in the reply") }
    return capability.name
  }

  package static func badge(at transport: some ClientTransport) throws(RPCError) -> UInt64 {
    try RPCClient(transport: transport).call(Message(label: badge)).word(at: 1)
  }

  package static func revoke(badge: UInt64, at transport: some ClientTransport) throws(RPCError) {
    _ = try RPCClient(transport: transport).call(try Message(label: revoke, words: [badge]))
  }

  package static func openDescriptors(at transport: some ClientTransport) throws(RPCError) -> Int {
    Int(try RPCClient(transport: transport).call(Message(label: openDescriptors)).word(at: 1))
  }
}

/// A generated demux with the `ServiceControl` routines in front of it.
package struct ControlledDemux<Base: Demultiplexer>: Demultiplexer {
  let base: Base
  let events: SharedLog<String>?
  let objects: (any ObjectHost)?

  package func dispatch(_ request: borrowing Message, reply: inout Message, context: CallContext) throws(RPCError) {
    switch request.label {
    case ServiceControl.events:
      let lines = (events?.values ?? []).dropFirst(Int(clamping: try request.word(at: 0)))
      try reply.append(.string(StringItem(Array(lines.joined(separator: "\n").utf8))))
    case ServiceControl.makeObject:
      guard let objects else { throw RPCError(.unsupported, "this server's transport does not carry capabilities") }
      try reply.append(.capability(CapabilityItem(objects.makeObject(badge: try request.word(at: 0)), disposition: .makeSend)))
    case ServiceControl.badge:
      try reply.append(context.caller.transportBadge)
    case ServiceControl.openDescriptors:
      try reply.append(UInt64(openDescriptorCount()))
    case ServiceControl.revoke:
      guard let objects else { throw RPCError(.unsupported, "this server's transport does not carry capabilities") }
      try objects.revoke(badge: try request.word(at: 0))
    default:
      try base.dispatch(request, reply: &reply, context: context)
    }
  }
}

/// The interfaces the round-trip tests serve, by the name the helper process takes.
package enum ServedInterface: String, CaseIterable, Sendable {
  case roundtrip
  /// roundtrip.defs with only `add` implemented (`RecordingDefaults`).
  case roundtripDefaults = "roundtrip-defaults"
  case kinds, objects, translations, ports
  /// ports.defs under the capability layer (`SocketCapTagService`; sockets only).
  case portsCap = "ports-cap"

  /// A new server of the interface, with the control routines; `objects` where the transport
  /// carries capabilities. (`ports-cap` needs a capability layer binding: `serveOverSockets`.)
  package func makeDemux(objects: (any ObjectHost)?) -> any Demultiplexer {
    func controlled(_ base: some Demultiplexer, _ service: some RecordsEvents) -> any Demultiplexer {
      ControlledDemux(base: base, events: service.events, objects: objects)
    }
    switch self {
    case .roundtrip:
      let service = RoundTripService()
      return controlled(RoundtripDemux(service), service)
    case .roundtripDefaults:
      let service = RecordingDefaults()
      return controlled(RoundtripDemux(service), service)
    case .kinds:
      return ControlledDemux(base: KindsDemux(KindsService(objects: objects)), events: nil, objects: objects)
    case .objects:
      let service = Bank()
      return controlled(ObjectsDemux(service), service)
    case .translations:
      let service = TicketOffice(objects: objects)
      return controlled(TranslationsDemux(service), service)
    case .ports, .portsCap:
      let service = SocketTagServer(objects: objects)
      return controlled(PortsDemux(service), service)
    }
  }

  /// Serves the interface at `path` over the socket transport on `threads` threads; returns
  /// what stops it (and waits for its threads). `space` holds the server's capabilities under
  /// the capability layer (`ports-cap`).
  package func serveOverSockets(at path: String, threads: Int, space: SocketCapabilitySpace) throws
    -> @Sendable () -> Void
  {
    if self == .portsCap {
      let service = try SocketCapTagService(path: path, space: space)
      service.start(threads: threads)
      return { service.shutdown() }
    }
    let server = try SocketServerTransport(path: path)
    let dispatcher = RequestDispatcher(makeDemux(objects: SocketObjectHost(server: server)))
    let done = DispatchSemaphore(value: 0)
    for n in 0..<threads {
      DispatchQueue(label: "\(rawValue)-server-\(n)").async {
        try? server.serve(dispatcher)
        done.signal()
      }
    }
    return {
      server.shutdown()
      for _ in 0..<threads { done.wait() }
    }
  }
}
