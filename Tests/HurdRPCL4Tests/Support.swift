import HurdRPCL4
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A value behind a pthread mutex (ThreadSanitizer cannot see Synchronization's `Mutex` on Linux).
final class TestLocked<Value>: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  private var value: Value
  init(_ value: Value) {
    self.value = value
    pthread_mutex_init(&mutex, nil)
  }
  func withLock<R>(_ body: (inout Value) -> R) -> R {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return body(&value)
  }
}

/// A value written by one thread and read by another after `join()` (or a handshake).
final class Slot<Value: Sendable>: Sendable {
  private let storage = TestLocked<Value?>(nil)
  func set(_ value: Value) { storage.withLock { $0 = value } }
  var value: Value? { storage.withLock { $0 } }
}

/// A list appended to from several threads.
final class Log<Value: Sendable>: Sendable {
  private let storage = TestLocked<[Value]>([])
  func append(_ value: Value) { storage.withLock { $0.append(value) } }
  var values: [Value] { storage.withLock { $0 } }
}

/// Runs `body` and returns the IPC error it threw, or nil. (Avoids `#expect(throws:)` with
/// typed-throwing closures, which crashes the 6.3.1 compiler.)
func ipcError(_ body: () throws(L4ErrorCode) -> Void) -> L4ErrorCode? {
  do throws(L4ErrorCode) {
    try body()
    return nil
  } catch {
    return error
  }
}

/// Polls (in short naps, bounded) until `thread` shows `activity`. The handshake for "the
/// partner is now blocked" where no message can tell us.
@discardableResult
func waitUntil(_ thread: L4Thread, is activity: L4IPCActivity, seconds: Double = 10) -> Bool {
  let limit = Int(seconds * 10_000)
  for _ in 0..<limit {
    if thread.ipcActivity == activity { return true }
    usleep(100)
  }
  return false
}

/// Polls until `condition` holds (bounded).
@discardableResult
func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
  let limit = Int(seconds * 10_000)
  for _ in 0..<limit {
    if condition() { return true }
    usleep(100)
  }
  return false
}

/// A thread that blocks in IPC until aborted: it waits for a message from itself (which never
/// comes), so it exists but is never ready to receive from anyone else.
func spawnSleeper(_ kernel: L4Kernel, in space: L4AddressSpace) -> L4Thread {
  let sleeper = kernel.spawn(in: space, name: "sleeper") { ctx in
    _ = try? ctx.receive(from: ctx.id)
  }
  #expect(waitUntil(sleeper, is: .receiving))
  return sleeper
}

func stop(_ sleeper: L4Thread) {
  sleeper.abortIPC()
  sleeper.join()
}

let twoMilliseconds = L4Timeout.microseconds(2_000)
let pageSize = L4AddressSpace.pageSize
