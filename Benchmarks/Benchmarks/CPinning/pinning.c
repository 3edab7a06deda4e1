#define _GNU_SOURCE
#include "CPinning.h"

#if defined(__linux__)
#include <sched.h>
#include <unistd.h>

int bench_pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (cpu < 0) {
    long count = sysconf(_SC_NPROCESSORS_ONLN);
    for (long i = 0; i < count && i < CPU_SETSIZE; i++) CPU_SET((int)i, &set);
  } else {
    CPU_SET(cpu, &set);
  }
  return sched_setaffinity(0, sizeof set, &set);  // 0: the calling thread
}
#else
int bench_pin_current_thread(int cpu) { (void)cpu; return -1; }
#endif
