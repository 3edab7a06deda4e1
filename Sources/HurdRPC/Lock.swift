#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A plain pthread mutex. Used instead of the Synchronization module's `Mutex` because
/// ThreadSanitizer cannot see that one's futex-based ordering on Linux (the stdlib is not
/// instrumented), so every state it guards would be reported as racing under `--sanitize=thread`.
/// Transports in other modules use it too (`@_spi(Transport)`).
@_spi(Transport)
public final class PThreadMutex: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>

  public init() {
    mutex = .allocate(capacity: 1)
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  public func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }
}
