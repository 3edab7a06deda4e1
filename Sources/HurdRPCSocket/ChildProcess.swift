import CSocketSupport
@_spi(Transport) import HurdRPC

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// Child processes that die with the process that spawned them: a test's helper server, an
/// example's server processes. A parent killed with SIGKILL runs no clean-up, so the kernel must
/// end its children: each child asks for `PR_SET_PDEATHSIG` (`SIGKILL`) first thing
/// (`dieWithParent()`), and the parent spawns it through `spawn`.
///
/// The kernel sends that signal when the **thread** that spawned the child ends, not its process:
/// `spawn` therefore runs `posix_spawn` on a thread that lives as long as the process (a test's
/// or a pool's thread may end while the child should go on). The parent's pid reaches the child
/// in `HURDRPC_PARENT_PID`; a child that finds another parent (its own died before it could ask)
/// exits at once.
public enum ChildProcess {
  /// The environment variable carrying the spawning process's pid.
  public static let parentVariable = "HURDRPC_PARENT_PID"

  /// A `posix_spawn` that failed, with its error number.
  public struct SpawnError: Error, CustomStringConvertible {
    public let executable: String
    public let code: Int32
    public var description: String { "cannot spawn \(executable): error \(code)" }
  }

  /// Spawns `executable` with `arguments` (after argv[0], which is `executable`), this process's
  /// environment plus `HURDRPC_PARENT_PID`, an empty signal mask (the spawning thread's may block
  /// signals, and a child inherits it), the descriptors `redirect` maps (child descriptor ←
  /// this process's) and the descriptors in `closing` closed. The child should call
  /// `dieWithParent()` first thing.
  public static func spawn(
    _ executable: String, arguments: [String], redirect: [(child: Int32, parent: Int32)] = [], closing: [Int32] = []
  ) throws(SpawnError) -> pid_t {
    let argv = [executable] + arguments
    let environment = Self.environment(parent: getpid())
    let (child, status) = spawningThread.run { () -> (pid_t, Int32) in
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      defer { posix_spawn_file_actions_destroy(&actions) }
      for (child, parent) in redirect { posix_spawn_file_actions_adddup2(&actions, parent, child) }  // clears close-on-exec
      for fd in closing { posix_spawn_file_actions_addclose(&actions, fd) }
      var attributes = posix_spawnattr_t()
      posix_spawnattr_init(&attributes)
      defer { posix_spawnattr_destroy(&attributes) }
      var noSignals = sigset_t()
      sigemptyset(&noSignals)
      posix_spawnattr_setsigmask(&attributes, &noSignals)
      posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
      var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
      var cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
      defer { for string in cArguments + cEnvironment { free(string) } }
      var child: pid_t = 0
      let status = posix_spawn(&child, executable, &actions, &attributes, &cArguments, &cEnvironment)
      return (child, status)
    }
    guard status == 0 else { throw SpawnError(executable: executable, code: status) }
    return child
  }

  /// This process's environment with `HURDRPC_PARENT_PID=parent` (replacing an inherited one).
  static func environment(parent: pid_t) -> [String] {
    var entries: [String] = []
    var cursor = environ
    while let entry = cursor.pointee {
      let text = String(cString: entry)
      if !text.hasPrefix(parentVariable + "=") { entries.append(text) }
      cursor += 1
    }
    return entries + ["\(parentVariable)=\(parent)"]
  }

  /// In a child spawned by `spawn`: the kernel kills this process when its parent dies; if the
  /// parent is already gone, exits now (status 1). Does nothing in a process started otherwise
  /// (no `HURDRPC_PARENT_PID`). Call it first thing in `main`, before any other thread starts.
  public static func dieWithParent() {
    guard let text = getenv(parentVariable), let parent = pid_t(String(cString: text)), parent > 0 else { return }
    unsetenv(parentVariable)  // this process's own children get their own parent's pid
    if hurd_die_with_parent(parent) != 0 { _exit(1) }
  }

  /// The thread every spawn runs on: one of a private executor's threads, which never end.
  private static let spawningThread = LastingThread()
}

/// Runs closures on threads that never end (a private `BlockingExecutor`) and waits for them.
private final class LastingThread: Sendable {
  private let executor = BlockingExecutor()

  func run<R>(_ body: () -> R) -> R {
    withoutActuallyEscaping(body) { body in
      let job = Job(body)
      executor.execute { job.perform() }
      return job.wait()
    }
  }

  /// One closure and its result, handed between the caller and the executor's thread.
  private final class Job<R>: @unchecked Sendable {
    /// Dropped once run, before the caller is woken: the caller's closure must not outlive `run`
    /// (`withoutActuallyEscaping` checks), though this job may (the executor lets go of it later).
    private var body: (() -> R)?
    private var result: R?
    /// Posted once `result` is set (which the post publishes to the waiter).
    private let done = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init(_ body: @escaping () -> R) {
      self.body = body
      sem_init(done, 0, 0)
    }

    deinit {
      sem_destroy(done)
      done.deallocate()
    }

    func perform() {
      result = body!()
      body = nil
      sem_post(done)
    }

    func wait() -> R {
      while sem_wait(done) != 0 {}  // EINTR
      return result!
    }
  }
}
