import CL4Support

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A one-shot hand-off word between a waiting thread and the thread that completes its wait:
/// spin briefly, then sleep on a futex. A woken thread that was still spinning costs no system
/// call.
///
/// The spin phase adapts to where the partner (the thread expected to complete the wait) runs,
/// as each parker publishes the CPU its owner last ran on:
/// - partner on **another CPU**: poll the word with a CPU relax hint (~27 ns per iteration here);
/// - partner on **our CPU**: polling would only keep it off the CPU (the catastrophic case in
///   `perf-baselines.md`), so yield the CPU to it instead (`sched_yield`). Both threads then stay
///   runnable, which also lets the scheduler move one of them to the other CPU.
/// The budget starts at 256 iterations, grows after a spin that caught the wake-up (to 1,024,
/// ~27 µs), halves after a miss and is probed again after 64 misses in a row. Then the owner
/// sleeps on the futex (an idle waiter costs no CPU).
///
/// States: 0 = waiting, 1 = notified, 2 = asleep in the futex. Exactly one `unpark` matches each
/// `prepare`; `park` returns `true` once notified or `false` when the deadline passed first.
public final class L4Parker: @unchecked Sendable {
  /// The words partners touch, reachable without touching this object: a retain or release of
  /// the parker by the partner would write the object header, a cache line the owner writes
  /// too, on every hand-off.
  let cell = ParkerCell()
  // Owner-thread-only adaptive spin budget (iterations of load + relax, ~27 ns each here).
  @exclusivity(unchecked) private var spinBudget: Int = 256
  @exclusivity(unchecked) private var spinMisses: Int = 0

  /// Upper bound of the spin phase, in iterations (~27 µs on the reference machine).
  public static let maximumSpin = 1024
  /// What one `sched_yield` counts against the budget (~650 ns here, ~24 spin iterations).
  static let yieldCost = 24
  static let multiprocessor: Bool = systemProcessorCount() > 1

  public init() {}

  deinit { cell.recycle() }

  /// Arms the parker before the owner publishes that it is about to wait.
  public func prepare() { cell.prepare() }

  /// Completes the wait (from any thread). Enters the kernel only if the owner is asleep.
  public func unpark() { cell.unpark() }

  /// Publishes the CPU the calling (owner) thread runs on now.
  @inline(__always) public func noteCPU() { cell.noteCPU() }

  /// Waits for `unpark` until `deadline` (monotonic ns; `nil` = forever). `partner` is the
  /// parker of the thread expected to call `unpark` (`nil`: unknown); `spin: false` goes straight
  /// to sleep. Must be called by the owner only.
  public func park(until deadline: UInt64?, partner: L4Parker? = nil, spin: Bool = true) -> Bool {
    park(until: deadline, partnerCell: partner?.cell, spin: spin)
  }

  /// `park`, with the partner named by its cell (what the kernel holds for each thread).
  func park(until deadline: UInt64?, partnerCell partner: ParkerCell?, spin: Bool = true) -> Bool {
    let word = cell.word
    var me = cl4_current_cpu()
    cell.storeCPU(me)
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
        if i & 7 == 0, me >= 0, let partner, partner.cpu == me {
          // The partner waits for this very CPU: hand it over instead of polling.
          sched_yield()
          i += Self.yieldCost
          me = cl4_current_cpu()
          cell.storeCPU(me)
          continue
        }
        cl4_cpu_relax()
        i += 1
      }
      // Missed: halve the budget, but probe again now and then so a busy partner is found.
      spinMisses += 1
      spinBudget = spinMisses % 64 == 0 ? 128 : max(budget / 2, Self.yieldCost)
    }
    while true {
      let state = cl4_atomic_load(word)
      if state == 1 {
        noteCPU()
        return true
      }
      if state == 0 && cl4_atomic_cas(word, 0, 2) == 0 { continue }  // raced with unpark
      var remaining: Int64 = -1
      if let deadline {
        let now = cl4_monotonic_ns()
        if now >= deadline {
          // Withdraw; if the waker got there first, the notification wins.
          let notified = cl4_atomic_cas(word, 2, 0) == 0
          noteCPU()
          return notified
        }
        remaining = Int64(clamping: deadline - now)
      }
      _ = cl4_futex_wait(word, 2, remaining)
    }
  }
}

/// A parker's shared words in memory of their own: the hand-off word (states above; a futex
/// needs a stable address) and the CPU the owner last ran on. Plain pointers, so a partner
/// reaches them with no reference counting.
///
/// Whoever wakes a thread holds a counted reference to it, so the hand-off word is valid then.
/// A thread blocked on a partner, though, reads the partner's CPU hint without keeping the
/// partner alive (a deleted partner can go away meanwhile). So cells are recycled, never freed:
/// such a read stays a read of valid memory, at worst a stale hint (which only steers the spin).
struct ParkerCell {
  private let base: UnsafeMutablePointer<UInt32>

  /// A cache line of its own: two threads' cells allocated one after the other would otherwise
  /// share a line, and each thread's spinning would be disturbed by the other's hand-offs.
  static let lineSize = 64
  /// Cells of parkers that are gone, for the next parkers.
  private static let spare = Locked<[UnsafeMutablePointer<UInt32>]>([])

  init() {
    if let recycled = Self.spare.withLock({ $0.popLast() }) {
      base = recycled
      cl4_atomic_store(base, 0)
      cl4_atomic_store_relaxed(base + 1, UInt32(bitPattern: -1))
      return
    }
    base = UnsafeMutableRawPointer.allocate(byteCount: Self.lineSize, alignment: Self.lineSize)
      .bindMemory(to: UInt32.self, capacity: Self.lineSize / 4)
    base.initialize(repeating: 0, count: Self.lineSize / 4)
    base[1] = UInt32(bitPattern: -1)
  }

  /// Gives the cell back for reuse (its parker is gone).
  func recycle() { Self.spare.withLock { $0.append(base) } }

  /// The hand-off word.
  var word: UnsafeMutablePointer<UInt32> { base }

  /// The CPU the owner last ran on (-1: unknown).
  var cpu: Int32 { Int32(bitPattern: cl4_atomic_load_relaxed(base + 1)) }

  @inline(__always) func storeCPU(_ cpu: Int32) { cl4_atomic_store_relaxed(base + 1, UInt32(bitPattern: cpu)) }

  @inline(__always) func noteCPU() { storeCPU(cl4_current_cpu()) }

  @inline(__always) func prepare() { cl4_atomic_store(base, 0) }

  /// Completes the owner's wait; enters the kernel only if the owner is asleep.
  @inline(__always) func unpark() {
    if cl4_atomic_exchange(base, 1) == 2 { cl4_futex_wake(base, 1) }
  }
}

func systemProcessorCount() -> Int {
  #if canImport(Glibc)
    return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
  #else
    return 2
  #endif
}
