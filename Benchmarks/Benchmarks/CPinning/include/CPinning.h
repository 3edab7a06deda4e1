// Thread placement for the benchmarks that compare hand-offs on one CPU and across two.
#ifndef CPINNING_H
#define CPINNING_H

/// Restricts the calling thread to `cpu` (negative: to every online CPU). 0 on success.
int bench_pin_current_thread(int cpu);

#endif
