import CSocketSupport
@_spi(Transport) import HurdRPC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A value behind the runtime's pthread mutex (visible to ThreadSanitizer, unlike `Mutex`).
final class Locked<Value>: @unchecked Sendable {
  private let mutex = PThreadMutex()
  // Behind a pointer, not a `var`: the mutex already makes access exclusive, and a class's
  // stored `var` would add a dynamic exclusivity check to every lock (~100 instructions).
  private let value: UnsafeMutablePointer<Value>

  init(_ value: Value) {
    self.value = .allocate(capacity: 1)
    self.value.initialize(to: value)
  }

  deinit {
    value.deinitialize(count: 1)
    value.deallocate()
  }

  func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
    try mutex.withLock { () throws(E) -> R in try body(&value.pointee) }
  }
}

/// Text for a negative errno returned by the C shim.
func errnoText(_ negated: some BinaryInteger) -> String {
  let code = -Int32(truncatingIfNeeded: negated)
  return String(cString: strerror(code)) + " (errno \(code))"
}

/// Closes each descriptor (the ones a rejected message brought in, or temporaries of a send).
func closeAll(_ fds: some Sequence<Int32>) {
  for fd in fds where fd >= 0 { close(fd) }
}

/// Nanoseconds until `deadline` (negative: none; 0 when it has passed).
func nanoseconds(until deadline: ContinuousClock.Instant?) -> Int64 {
  guard let deadline else { return -1 }
  let left = ContinuousClock.now.duration(to: deadline)
  if left <= .zero { return 0 }
  let (seconds, attoseconds) = left.components
  if seconds > 1_000_000_000 { return Int64.max / 2 }
  return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}

/// A deadline of the transport's own: CLOCK_MONOTONIC nanoseconds, or none (`nil`, `.never`).
/// A plain integer, where a `ContinuousClock.Instant?` costs generic value-witness calls on each
/// copy in the per-call path. Made from the caller's `Instant` once per call that has limits.
struct Deadline: Equatable, ExpressibleByNilLiteral {
  /// Monotonic nanoseconds; `Int64.max`: none.
  let nanoseconds: Int64

  static let never = Deadline(nanoseconds: .max)

  private init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

  init(nilLiteral: ()) { self = .never }

  /// The same point in time as `instant` (none for nil).
  init(_ instant: ContinuousClock.Instant?) {
    guard let instant else {
      self = .never
      return
    }
    let left = ContinuousClock.now.duration(to: instant)
    if left <= .zero {
      nanoseconds = Self.monotonicNow
      return
    }
    let (seconds, attoseconds) = left.components
    if seconds > 1_000_000_000 {
      self = .never
      return
    }
    nanoseconds = Self.monotonicNow + seconds * 1_000_000_000 + attoseconds / 1_000_000_000
  }

  var isNever: Bool { nanoseconds == .max }

  /// The same point on the continuous clock (nil: none).
  var instant: ContinuousClock.Instant? {
    isNever ? nil : ContinuousClock.now.advanced(by: .nanoseconds(remaining))
  }

  static func earlier(_ a: Deadline, _ b: Deadline) -> Deadline { a.nanoseconds <= b.nanoseconds ? a : b }

  /// Nanoseconds left (-1: no deadline; 0: passed).
  var remaining: Int64 {
    guard !isNever else { return -1 }
    return max(0, nanoseconds - Self.monotonicNow)
  }

  private static var monotonicNow: Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
  }
}
