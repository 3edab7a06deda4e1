@_spi(Transport) import HurdRPC

/// How capability items travel on the L4 transport (docs/capabilities.md §2): L4 X.2 has no
/// capability items, so each capability becomes two untyped **trailer words** — the
/// `ExportedCapability` (server address, container token) — placed after the message's own words
/// and its region trailer words, followed by one word counting them. Label bit 47 marks a
/// message that has this trailer (MIG message ids never come near it).
struct CapabilityRoute {
  let carrier: any CapabilityCarrier
  /// The sending task (domain) and the receiving one.
  let sender: UInt64
  let receiver: UInt64

  static let labelBit: UInt64 = 1 << 47

  /// The same pair in the other direction (for the reply).
  var reversed: CapabilityRoute { CapabilityRoute(carrier: carrier, sender: receiver, receiver: sender) }
  /// At most this many capabilities per message (the item index has 6 bits; 2 words each).
  static let maximumCount = 30
}

/// A capability exported for the message being sent: finished once the IPC's outcome is known.
struct PendingExport {
  let exported: ExportedCapability
  let item: CapabilityItem
}

extension CapabilityRoute {
  /// Exports every capability item of `items` (their positions among the items are kept).
  /// On failure, what was already exported is destroyed.
  func export(_ items: [TypedItem]) throws(RPCError) -> [PendingExport] {
    var exports: [PendingExport] = []
    for (index, item) in items.enumerated() {
      guard case .capability(let capability) = item else { continue }
      do throws(RPCError) {
        var exported = try carrier.export(capability, from: sender, to: receiver)
        exported = ExportedCapability(
          server: exported.server, token: exported.token & ~(UInt64(0x3F) << 48) | UInt64(index) << 48)
        exports.append(PendingExport(exported: exported, item: capability))
      } catch {
        finish(exports, delivered: false)
        throw error
      }
    }
    return exports
  }

  func finish(_ exports: [PendingExport], delivered: Bool) {
    for export in exports { carrier.finish(export.exported, item: export.item, from: sender, delivered: delivered) }
  }

  /// Imports the capabilities of a received message into the receiver's space.
  func `import`(_ exported: [ExportedCapability]) -> [(index: Int, item: CapabilityItem)] {
    exported.map { ($0.itemIndex, carrier.import($0, from: sender, into: receiver)) }
  }

  /// Gives back imported capabilities of a message that was then rejected.
  func release(_ items: [TypedItem]) {
    for item in items {
      if case .capability(let capability) = item { carrier.release(capability, in: receiver) }
    }
  }
}

extension L4Kernel {
  /// Tells `carrier` of every address space deleted from now on, if it observes task deaths
  /// (a `TaskDeathObserver`, e.g. HurdCap's `CapabilitySystem`): the task of a space is its
  /// number, as in `CallerIdentity`. Done once per carrier by the transports given it.
  func reportTaskDeaths(to carrier: (any CapabilityCarrier)?) {
    guard let observer = carrier as? any TaskDeathObserver else { return }
    observeSpaceDeletion(by: observer) { space in observer.taskDied(UInt64(space.number)) }
  }
}

extension L4ServerTransport: ReplyRouter {
  /// A deferred reply: sent from the calling OS thread (adopted into the server's space) with
  /// the propagation flag on behalf of the server thread the client waits for, so it reaches
  /// the client's closed wait; zero send timeout.
  public func sendDeferredReply(_ reply: Message, along route: ReplyRoute) throws(RPCError) {
    let context = kernel.currentThread(in: space)
    let client = L4ThreadID(raw: route.callerID)
    let capabilityRoute = capabilities.flatMap { carrier in
      kernel.thread(client).map {
        CapabilityRoute(carrier: carrier, sender: UInt64(space.number), receiver: UInt64($0.space.number))
      }
    }
    if context.thread.transportState == nil { _ = try TransportThreadState.of(context.thread, configuration) }
    var reply = reply  // addressable (see `L4Marshalling.load`)
    let exports = try L4Marshalling.load(&reply, into: context.thread, configuration: configuration, route: capabilityRoute)
    context.virtualSender = L4ThreadID(raw: route.replierID)
    var tag = L4MessageTag(raw: context.thread.mr[0])
    tag.isPropagated = true
    context.thread.mr[0] = tag.raw
    do throws(L4ErrorCode) {
      try context.send(to: client, timeout: .zero)
      capabilityRoute?.finish(exports, delivered: true)
    } catch {
      capabilityRoute?.finish(exports, delivered: false)
      throw L4ClientTransport.rpcError(error, call: false)
    }
  }
}
