#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A pthread mutex with one condition variable (monotonic clock). Not the Synchronization
/// module's `Mutex`: ThreadSanitizer cannot see its ordering on Linux (see HurdRPC's `PThreadMutex`).
final class Monitor: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let condition: UnsafeMutablePointer<pthread_cond_t>

  init() {
    mutex = .allocate(capacity: 1)
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
    condition = .allocate(capacity: 1)
    condition.initialize(to: pthread_cond_t())
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(condition, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  deinit {
    pthread_cond_destroy(condition)
    condition.deallocate()
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }

  /// Waits for a `broadcast` (lock held by the caller). Returns false once `deadline` has passed.
  func wait(until deadline: ContinuousClock.Instant?) -> Bool {
    guard let deadline else {
      pthread_cond_wait(condition, mutex)
      return true
    }
    let left = ContinuousClock.now.duration(to: deadline)
    guard left > .zero else { return false }
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    let (seconds, attoseconds) = left.components
    var nanoseconds = Int(now.tv_nsec) + Int(attoseconds / 1_000_000_000)
    var wholeSeconds = Int(now.tv_sec) + Int(min(seconds, Int64(Int32.max)))
    if nanoseconds >= 1_000_000_000 {
      nanoseconds -= 1_000_000_000
      wholeSeconds += 1
    }
    var until = timespec(tv_sec: wholeSeconds, tv_nsec: nanoseconds)
    return pthread_cond_timedwait(condition, mutex, &until) != ETIMEDOUT || ContinuousClock.now < deadline
  }

  /// Wakes every waiter (lock held or not).
  func broadcast() { pthread_cond_broadcast(condition) }
}
