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
  private var value: Value

  init(_ value: Value) { self.value = value }

  func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
    try mutex.withLock { () throws(E) -> R in try body(&value) }
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
