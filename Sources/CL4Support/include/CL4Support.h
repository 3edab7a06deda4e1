// Tiny C shim for the L4 backend's hand-off: things Swift cannot express directly
// (a CPU spin hint, the futex system call, which CPU we run on).
#ifndef CL4SUPPORT_H
#define CL4SUPPORT_H

#include <stdint.h>

/// A spin-loop hint (PAUSE on x86, YIELD on ARM): lets the sibling hyperthread run and
/// saves power while we poll a word another core will write.
static inline void cl4_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/// Block while `*word == expected`, for at most `timeout_ns` nanoseconds (negative: no limit).
/// Returns 0 when woken (or the value differed), 1 when the time ran out, -1 on other errors.
/// Spurious returns are allowed; callers re-check their word.
int cl4_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns);

/// Wake up to `count` threads blocked in `cl4_futex_wait` on `word`.
void cl4_futex_wake(uint32_t *word, int32_t count);

/// The CPU the calling thread is running on, or -1 if unknown.
int32_t cl4_current_cpu(void);

/// Atomic operations on a 32-bit word shared with the futex calls (sequentially consistent,
/// out of line so ThreadSanitizer sees them when the package is built with it).
uint32_t cl4_atomic_load(uint32_t *word);
void cl4_atomic_store(uint32_t *word, uint32_t value);
uint32_t cl4_atomic_exchange(uint32_t *word, uint32_t value);
/// Relaxed load and store, for hints no ordering depends on (which CPU a thread runs on).
uint32_t cl4_atomic_load_relaxed(uint32_t *word);
void cl4_atomic_store_relaxed(uint32_t *word, uint32_t value);
/// Compare-and-swap; returns 1 when `*word` was `expected` and is now `desired`.
int cl4_atomic_cas(uint32_t *word, uint32_t expected, uint32_t desired);

/// Monotonic clock in nanoseconds.
uint64_t cl4_monotonic_ns(void);

#endif
