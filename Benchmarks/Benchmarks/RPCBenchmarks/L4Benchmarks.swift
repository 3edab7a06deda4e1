import Benchmark
import HurdRPC
import HurdRPCL4

/// Benchmarks of the L4 backend (filled in once its transport adapter lands).
func registerL4Benchmarks() {}
