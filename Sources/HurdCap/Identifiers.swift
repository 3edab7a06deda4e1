import HurdRPC

/// A task (protection domain) as the capability layer names it: the domain of its
/// `CallerIdentity` (on L4, the address space number, never reused).
public typealias TaskID = UInt64

/// A capability id in one client's namespace at one server: a slot index and the slot's
/// generation, so an id whose slot was freed and reused never names the new entry.
/// Travels as word 0 of every request.
public struct CapabilityID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public var rawValue: UInt64
  public init(rawValue: UInt64) { self.rawValue = rawValue }
  init(index: UInt32, generation: UInt32) { rawValue = UInt64(generation) << 32 | UInt64(index) }
  var index: Int { Int(UInt32(truncatingIfNeeded: rawValue)) }
  var generation: UInt32 { UInt32(truncatingIfNeeded: rawValue >> 32) }
  public var description: String { "id(\(index).\(generation))" }
}

extension ReturnCode {
  /// The capability id does not name a capability of this client (forged, unknown, another
  /// client's, malformed request). Hurd-on-L4 drops these; we answer, without running a handler.
  public static let capInvalid = ReturnCode(0x4000_0400)
  /// The capability was revoked or its server is shutting down ("capability died", `ECAP_DIED`).
  public static let capDied = ReturnCode(0x4000_0401)
  /// A call was cancelled by the server (inhibition) before or while it ran.
  public static let ECANCELED = hurd(errno: 118)
}

/// Errors of the capability layer's own API (not of a call).
public enum CapError: Error, Equatable, Sendable {
  /// A deferred reply was answered twice.
  case replyAlreadySent
  /// The transport gives no way to answer later.
  case cannotDeferReply
  /// The object is not registered in a bucket, or in another bucket than the one asked.
  case objectNotRegistered
  /// The object was revoked.
  case objectRevoked
  /// A limit of `CapLimits` was reached.
  case limitReached(String)
  /// The name does not denote the right asked for in this space.
  case invalidName(CapabilityName)
  /// The task died: it can be given nothing.
  case taskDead(TaskID)
}

/// Per-bucket bounds (docs/capabilities.md §6).
public struct CapLimits: Sendable, Hashable {
  /// Calls admitted at once per client task (running, waiting on inhibition, or deferred).
  public var callsPerClient: Int
  /// Transfer containers a client may have open at this server.
  public var containersPerClient: Int
  /// Capabilities in one client's namespace.
  public var capabilitiesPerClient: Int

  public init(callsPerClient: Int = 16, containersPerClient: Int = 64, capabilitiesPerClient: Int = 4096) {
    self.callsPerClient = max(1, callsPerClient)
    self.containersPerClient = max(1, containersPerClient)
    self.capabilitiesPerClient = max(1, capabilitiesPerClient)
  }

  public static let `default` = CapLimits()
}
