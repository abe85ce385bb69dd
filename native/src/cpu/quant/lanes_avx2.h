// Lane-parallel pieces of the AVX2 quant kernels (avx2.cpp, groups_avx2.cpp). Include only from
// AVX2 files, inside an anonymous namespace.
#pragma once
#include <immintrin.h>

// Lane-wise range of x[0, n) (n a multiple of 16), widening [lo, hi], and probe = the sum of v * 0,
// NaN exactly when some v is NaN or Inf. Two chains of each, or the loop waits on the min / max and
// FMA latencies.
struct LaneRange8 {
  __m256 lo, hi, probe;
};
inline LaneRange8 lane_range8(const float *x, int64_t n, __m256 lo, __m256 hi) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 lo2 = lo, hi2 = hi, probe = zero, probe2 = zero;
  for (int64_t i = 0; i < n; i += 16) {
    const __m256 v = _mm256_loadu_ps(x + i), v2 = _mm256_loadu_ps(x + i + 8);
    lo = _mm256_min_ps(lo, v);
    hi = _mm256_max_ps(hi, v);
    probe = _mm256_fmadd_ps(v, zero, probe);
    lo2 = _mm256_min_ps(lo2, v2);
    hi2 = _mm256_max_ps(hi2, v2);
    probe2 = _mm256_fmadd_ps(v2, zero, probe2);
  }
  return {_mm256_min_ps(lo, lo2), _mm256_max_ps(hi, hi2), _mm256_add_ps(probe, probe2)};
}
