/// The subsystem a plan belongs to, as both wire layouts print it: `{"name", "base"}`.
public struct PlanSubsystem: Codable, Hashable, Sendable {
  public var name: String
  /// The first message id.
  public var base: UInt32

  public init(name: String, base: UInt32) {
    self.name = name
    self.base = base
  }
}
