import HurdRPC

/// The kernel lock guards every thread's IPC state, the thread table and the redirectors (one
/// lock, like a uniprocessor microkernel): the runtime's `PThreadMutex`.
typealias KernelLock = PThreadMutex

/// A value behind a `PThreadMutex` (see there for why not Synchronization's `Mutex`).
final class Locked<Value>: @unchecked Sendable {
  private let lock = PThreadMutex()
  private var value: Value

  init(_ value: Value) { self.value = value }

  func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
    lock.lock()
    defer { lock.unlock() }
    return try body(&value)
  }
}
