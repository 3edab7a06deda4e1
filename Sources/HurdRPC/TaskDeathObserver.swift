/// Learns that a task — a protection domain, named by its `CallerIdentity` domain — died.
///
/// A `CapabilityCarrier` that also conforms (HurdCap's `CapabilitySystem` does) is told by the
/// transports whose system reports deaths: on the L4 backend, deleting an address space. Dead
/// names, no-senders notifications and the clean-up of the dead task's state then follow without
/// anyone calling `taskDied` by hand.
public protocol TaskDeathObserver: AnyObject, Sendable {
  /// `task` died: forget it everywhere (called once per death, outside any transport lock).
  func taskDied(_ task: UInt64)
}
