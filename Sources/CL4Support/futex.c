#define _GNU_SOURCE
#include "CL4Support.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

int cl4_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
  struct timespec ts;
  struct timespec *tsp = 0;
  if (timeout_ns >= 0) {
    ts.tv_sec = (time_t)(timeout_ns / 1000000000);
    ts.tv_nsec = (long)(timeout_ns % 1000000000);
    tsp = &ts;
  }
  long r = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, tsp, 0, 0);
  if (r == 0) return 0;
  if (errno == ETIMEDOUT) return 1;
  if (errno == EAGAIN || errno == EINTR) return 0;
  return -1;
}

void cl4_futex_wake(uint32_t *word, int32_t count) {
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, 0, 0, 0);
}

int32_t cl4_current_cpu(void) { return (int32_t)sched_getcpu(); }

#else
// Portable fallback: poll with short sleeps. Correct, only slower.
int cl4_futex_wait(uint32_t *word, uint32_t expected, int64_t timeout_ns) {
  struct timespec nap = {0, 50000};
  if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != expected) return 0;
  if (timeout_ns >= 0 && timeout_ns < 50000) nap.tv_nsec = (long)timeout_ns;
  nanosleep(&nap, 0);
  if (timeout_ns >= 0 && timeout_ns <= 50000) return 1;
  return 0;
}

void cl4_futex_wake(uint32_t *word, int32_t count) { (void)word; (void)count; }

int32_t cl4_current_cpu(void) { return -1; }
#endif

uint64_t cl4_monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint32_t cl4_atomic_load(uint32_t *word) { return __atomic_load_n(word, __ATOMIC_SEQ_CST); }
void cl4_atomic_store(uint32_t *word, uint32_t value) { __atomic_store_n(word, value, __ATOMIC_SEQ_CST); }
uint32_t cl4_atomic_load_relaxed(uint32_t *word) { return __atomic_load_n(word, __ATOMIC_RELAXED); }
void cl4_atomic_store_relaxed(uint32_t *word, uint32_t value) { __atomic_store_n(word, value, __ATOMIC_RELAXED); }
uint32_t cl4_atomic_exchange(uint32_t *word, uint32_t value) {
  return __atomic_exchange_n(word, value, __ATOMIC_SEQ_CST);
}
int cl4_atomic_cas(uint32_t *word, uint32_t expected, uint32_t desired) {
  return __atomic_compare_exchange_n(word, &expected, desired, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}
