import CL4Support
import Synchronization

/// A one-shot hand-off word between a waiting thread and the thread that completes its wait:
/// spin briefly (bounded, with a CPU relax hint, only when the waker is likely running on another
/// CPU), then sleep on a futex. A woken thread that was still spinning costs no system call.
///
/// States: 0 = waiting, 1 = notified, 2 = asleep in the futex. Exactly one `unpark` matches each
/// `prepare`; `park` returns `true` once notified or `false` when the deadline passed first.
public final class L4Parker: @unchecked Sendable {
  // The word lives at a stable address (futex requirement); all access is atomic (C shim).
  private let word: UnsafeMutablePointer<UInt32>
  // Owner-thread-only adaptive spin budget (iterations of load + relax, ~27 ns each here).
  @exclusivity(unchecked) private var spinBudget: Int = 256
  @exclusivity(unchecked) private var spinMisses: Int = 0

  /// Upper bound of the spin phase, in iterations (~27 µs on the reference machine).
  public static let maximumSpin = 1024
  static let multiprocessor: Bool = systemProcessorCount() > 1

  public init() {
    word = UnsafeMutablePointer<UInt32>.allocate(capacity: 1)
    word.initialize(to: 0)
  }

  deinit { word.deallocate() }

  /// Arms the parker before the owner publishes that it is about to wait.
  public func prepare() { cl4_atomic_store(word, 0) }

  /// Completes the wait (from any thread). Enters the kernel only if the owner is asleep.
  public func unpark() {
    if cl4_atomic_exchange(word, 1) == 2 { cl4_futex_wake(word, 1) }
  }

  /// Waits for `unpark` until `deadline` (monotonic ns; `nil` = forever). `spin` says whether a
  /// spin phase can help (the partner runs on another CPU). Must be called by the owner only.
  public func park(until deadline: UInt64?, spin: Bool) -> Bool {
    if spin && Self.multiprocessor {
      let budget = spinBudget
      var i = 0
      while i < budget {
        if cl4_atomic_load(word) == 1 {
          // Spinning paid off: allow a longer spin next time.
          spinBudget = min(Self.maximumSpin, budget * 2 + 32)
          spinMisses = 0
          return true
        }
        cl4_cpu_relax()
        i += 1
      }
      // Missed: halve the budget, but probe again now and then so a busy partner is found.
      spinMisses += 1
      spinBudget = spinMisses % 64 == 0 ? 128 : budget / 2
    }
    while true {
      let state = cl4_atomic_load(word)
      if state == 1 { return true }
      if state == 0 && cl4_atomic_cas(word, 0, 2) == 0 { continue }  // raced with unpark
      var remaining: Int64 = -1
      if let deadline {
        let now = cl4_monotonic_ns()
        if now >= deadline {
          // Withdraw; if the waker got there first, the notification wins.
          return cl4_atomic_cas(word, 2, 0) == 0
        }
        remaining = Int64(clamping: deadline - now)
      }
      _ = cl4_futex_wait(word, 2, remaining)
    }
  }
}

func systemProcessorCount() -> Int {
  #if canImport(Glibc)
    return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
  #else
    return 2
  #endif
}

#if canImport(Glibc)
  import Glibc
#endif
