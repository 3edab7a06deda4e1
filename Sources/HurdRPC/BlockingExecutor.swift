#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A pool of plain OS threads for work that blocks (IPC calls, receive loops), so `async` code can
/// wait for it without tying up Swift's cooperative thread pool.
///
/// Threads are created on demand when no idle thread is free, and stay parked (no CPU) when idle.
public final class BlockingExecutor: @unchecked Sendable {
  /// The process-wide executor the runtime's async defaults use.
  public static let shared = BlockingExecutor()

  // Guarded by `mutex`; `condition` signals new jobs.
  private let mutex: UnsafeMutablePointer<pthread_mutex_t>
  private let condition: UnsafeMutablePointer<pthread_cond_t>
  private var jobs: [@Sendable () -> Void] = []
  private var jobsHead = 0
  private var idleThreads = 0
  private var threadCount = 0

  public init() {
    mutex = .allocate(capacity: 1)
    mutex.initialize(to: pthread_mutex_t())
    pthread_mutex_init(mutex, nil)
    condition = .allocate(capacity: 1)
    condition.initialize(to: pthread_cond_t())
    pthread_cond_init(condition, nil)
  }

  deinit {
    pthread_cond_destroy(condition)
    pthread_mutex_destroy(mutex)
    condition.deallocate()
    mutex.deallocate()
  }

  /// Number of threads started so far (for diagnostics).
  public var startedThreads: Int {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return threadCount
  }

  /// Runs `job` on one of the executor's threads.
  public func execute(_ job: @escaping @Sendable () -> Void) {
    pthread_mutex_lock(mutex)
    jobs.append(job)
    let queued = jobs.count - jobsHead
    let needsThread = queued > idleThreads
    if needsThread { threadCount += 1 }
    pthread_mutex_unlock(mutex)
    if needsThread {
      startThread()
    } else {
      pthread_cond_signal(condition)
    }
  }

  /// Runs `body` on an executor thread and suspends (without blocking) until it finishes.
  public func run<R: Sendable, E: Error>(
    _ body: @escaping @Sendable () throws(E) -> R
  ) async -> Result<R, E> {
    await withCheckedContinuation { (continuation: CheckedContinuation<Result<R, E>, Never>) in
      execute { continuation.resume(returning: Result { () throws(E) -> R in try body() }) }
    }
  }

  /// Runs a blocking call on an executor thread with a cancellation handle in its options, and
  /// turns cancellation of the current task into `cancel()` on that handle. A task that is
  /// already cancelled fails at once with `.cancelled` (send phase) without calling `body`.
  public func runCancellable<R: Sendable>(
    options: CallOptions, _ body: @escaping @Sendable (CallOptions) throws(RPCError) -> R
  ) async throws(RPCError) -> R {
    var options = options
    let handle = options.cancellation ?? CallCancellation()
    options.cancellation = handle
    guard !Task.isCancelled else {
      throw RPCError(.cancelled, "task cancelled before the call started", phase: .send)
    }
    let callOptions = options
    let result = await withTaskCancellationHandler {
      await run { () throws(RPCError) -> R in try body(callOptions) }
    } onCancel: {
      handle.cancel()
    }
    return try result.get()
  }

  private func startThread() {
    let context = Unmanaged.passRetained(self).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(
      &thread, nil,
      { raw in
        #if canImport(Darwin)
          let executor = Unmanaged<BlockingExecutor>.fromOpaque(raw).takeRetainedValue()
        #else
          let executor = Unmanaged<BlockingExecutor>.fromOpaque(raw!).takeRetainedValue()
        #endif
        executor.workerLoop()
        return nil
      }, context)
    precondition(status == 0, "BlockingExecutor: pthread_create failed (\(status))")
    pthread_detach(thread)
  }

  private func workerLoop() {
    while true {
      pthread_mutex_lock(mutex)
      while jobsHead == jobs.count {
        idleThreads += 1
        pthread_cond_wait(condition, mutex)
        idleThreads -= 1
      }
      let job = jobs[jobsHead]
      jobsHead += 1
      if jobsHead == jobs.count {
        jobs.removeAll(keepingCapacity: true)
        jobsHead = 0
      }
      pthread_mutex_unlock(mutex)
      job()
    }
  }
}
