#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The kernel lock: guards every thread's IPC state, the thread table and the redirectors
/// (one lock, like a uniprocessor microkernel). A plain pthread mutex, so it can be released in
/// the middle of an operation and ThreadSanitizer understands it.
final class KernelLock: @unchecked Sendable {
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>

  init() {
    mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    pthread_mutex_init(mutex, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }

  @inline(__always) func lock() { pthread_mutex_lock(mutex) }
  @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }
}

/// A value behind a pthread mutex. Used instead of Synchronization's `Mutex` because
/// ThreadSanitizer cannot see that one's futex-based ordering on Linux (the stdlib is not
/// instrumented), and `swift test --sanitize=thread` must stay clean.
final class Locked<Value>: @unchecked Sendable {
  private let lock = KernelLock()
  private var value: Value

  init(_ value: Value) { self.value = value }

  func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
