#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A plain pthread mutex: the one lock of the runtime and of the L4 backend (whose kernel lock
/// it is). Used instead of the Synchronization module's `Mutex` because ThreadSanitizer cannot
/// see that one's futex-based ordering on Linux (the stdlib is not instrumented), so every state
/// it guards would be reported as racing under `--sanitize=thread`. `lock`/`unlock` are separate
/// (inlinable) so a lock can be released in the middle of an operation.
package final class PThreadMutex: @unchecked Sendable {
  @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>

  package init() {
    mutex = .allocate(capacity: 1)
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  @inlinable @inline(__always) package func lock() { pthread_mutex_lock(mutex) }
  @inlinable @inline(__always) package func unlock() { pthread_mutex_unlock(mutex) }

  @inlinable
  package func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    lock()
    defer { unlock() }
    return try body()
  }
}
