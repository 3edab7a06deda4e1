import HurdCap
import HurdCapSocket
@_spi(Transport) import HurdRPC

extension SocketCapTask {
  /// The dead names this task is told of within `seconds` (each with its count), waiting until
  /// `expected` arrived, then a little longer to catch duplicates.
  public func deadNames(expected: Int, seconds: Double = 10) -> [CapabilityName: Int] {
    var seen: [CapabilityName: Int] = [:]
    let end = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
    var settle: ContinuousClock.Instant? = nil
    while ContinuousClock.now < (settle ?? end) {
      for entry in notifications.wait(until: settle ?? end).entries {
        if case .deadName(let name) = entry.event { seen[name, default: 0] += entry.count }
      }
      if settle == nil, seen.values.reduce(0, +) >= expected { settle = .now.advanced(by: .milliseconds(200)) }
    }
    return seen
  }
}
