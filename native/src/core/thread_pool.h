// lowbit's own CPU worker pool (no OpenMP: the library ships in a jar and must not depend
// on a particular libgomp). The calling thread takes part in every job.
#pragma once
#include <stdint.h>

#include <functional>

namespace lb {

// Calls body(begin, end) on disjoint chunks covering [0, n), in parallel. Chunks hold at
// least `grain` items; a job smaller than two grains, or a call made from inside a job,
// runs inline on the caller. Returns after every chunk is done; rethrows the first
// exception a chunk threw.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)> &body);

// Runs f once per pool thread, all at the same time (the compute-roof microbenchmarks), and
// returns the sum of what they return.
double sum_over_threads(const std::function<double()> &f);

int num_threads();
void set_num_threads(int n);  // n <= 0: one per hardware thread

}  // namespace lb
