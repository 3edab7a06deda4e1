/// What a transport asks to carry capabilities in messages (the capability layer implements it;
/// see docs/capabilities.md §2). A capability item names a right in the *sender's* namespace; on
/// the wire it becomes an `ExportedCapability` (two words); the receiver's side turns that back
/// into a name in the *receiver's* namespace. Tasks are named by their domain (`CallerIdentity`).
public protocol CapabilityCarrier: AnyObject, Sendable {
  /// Sender side, before the IPC: makes the item transferable to `receiver` (a reference
  /// container at the capability's server). Throws if the sender does not hold the right.
  func export(_ item: CapabilityItem, from sender: UInt64, to receiver: UInt64) throws(RPCError) -> ExportedCapability
  /// Sender side, after the IPC: `delivered` false destroys what `export` made; true completes a
  /// move (the sender loses the right it moved).
  func finish(_ exported: ExportedCapability, item: CapabilityItem, from sender: UInt64, delivered: Bool)
  /// Receiver side, on receipt: the capability as an item naming it in the receiver's space.
  /// Never fails: what cannot be accepted arrives as `CapabilityName.dead`.
  func `import`(_ exported: ExportedCapability, from sender: UInt64, into receiver: UInt64) -> CapabilityItem
  /// Receiver side: a message rejected after import gives back what `import` created.
  func release(_ item: CapabilityItem, in receiver: UInt64)
}

/// A capability on the wire: the server that implements it and a transfer token (container id,
/// disposition and the item's position among the message's items).
public struct ExportedCapability: Hashable, Sendable {
  /// The server's address (transport-defined: the L4 endpoint thread id). Zero: null or dead.
  public var server: UInt64
  /// Bits 0–31 container id, 32–39 the Mach type name of the disposition, 48–53 item index.
  public var token: UInt64

  public init(server: UInt64, token: UInt64) {
    self.server = server
    self.token = token
  }

  public init(server: UInt64, container: UInt32, disposition: CapabilityDisposition, itemIndex: Int) {
    self.server = server
    token = UInt64(container) | UInt64(disposition.machTypeName) << 32 | UInt64(itemIndex & 0x3F) << 48
  }

  public var container: UInt32 { UInt32(truncatingIfNeeded: token) }
  public var disposition: CapabilityDisposition? { CapabilityDisposition(machTypeName: UInt32((token >> 32) & 0xFF)) }
  public var itemIndex: Int { Int((token >> 48) & 0x3F) }
}

extension CallerIdentity {
  /// The calling task (domain) number, for the capability layer's per-client namespaces.
  @_spi(Transport) public var domainID: UInt64 { domain }
  /// The transport-chosen badge (on the socket transport: the port the call came through).
  @_spi(Transport) public var badgeID: UInt64 { badge }
}
