// GELU for the avx2 variant: common/gelu.h's operations on 8 lanes with intrinsics. GCC 12 did not
// vectorise kernels.inc's loop for AVX2 (it ran vdivss, one element at a time: 14% of an AVX2 MiniLM
// forward pass at batch 8, 2026-11-27), where AVX-512's masked selects let it; gelu_ops runs the
// same operations in the same order, so the bits are the scalar variant's.
#include <immintrin.h>

#include "../../common/gelu.h"
#include "activation.h"

namespace lb::cpu {
namespace {

struct Avx2Ops {
  static __m256 set1(float c) { return _mm256_set1_ps(c); }
  static __m256 mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
  static __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
  static __m256 div(__m256 a, __m256 b) { return _mm256_div_ps(a, b); }
  // min / max return their second operand when either is NaN: a NaN u passes through, as in the scalar clamp.
  static __m256 clamp4(__m256 u) { return _mm256_max_ps(_mm256_set1_ps(-4.0f), _mm256_min_ps(_mm256_set1_ps(4.0f), u)); }
};

// Four vectors a step: four independent Horner chains and divisions in flight.
void gelu_range(const float *x, int64_t begin, int64_t end, float *out) {
  int64_t i = begin;
  for (; i + 32 <= end; i += 32) {
    const __m256 y0 = gelu_ops<Avx2Ops>(_mm256_loadu_ps(x + i)), y1 = gelu_ops<Avx2Ops>(_mm256_loadu_ps(x + i + 8));
    const __m256 y2 = gelu_ops<Avx2Ops>(_mm256_loadu_ps(x + i + 16)), y3 = gelu_ops<Avx2Ops>(_mm256_loadu_ps(x + i + 24));
    _mm256_storeu_ps(out + i, y0);  // out may be x (in place): all four loaded before any store
    _mm256_storeu_ps(out + i + 8, y1);
    _mm256_storeu_ps(out + i + 16, y2);
    _mm256_storeu_ps(out + i + 24, y3);
  }
  for (; i + 8 <= end; i += 8) _mm256_storeu_ps(out + i, gelu_ops<Avx2Ops>(_mm256_loadu_ps(x + i)));
  for (; i < end; ++i) out[i] = gelu_value(x[i]);
}

}  // namespace

GeluRange gelu_range_avx2() { return gelu_range; }

}  // namespace lb::cpu
