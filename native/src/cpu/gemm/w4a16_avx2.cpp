// W4A16 kernel for the AVX2 variant (see w4a16_kernels.inc): 16 lanes as two ymm.
#include <immintrin.h>

#include "w4a16.h"

namespace lb::cpu {
namespace {

struct V2 {
  __m256 a, b;
};

struct V {
  using T = V2;
  static T zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static T load(const float *p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
  static void store(float *p, const T &v) {
    _mm256_storeu_ps(p, v.a);
    _mm256_storeu_ps(p + 8, v.b);
  }
  static T set1(float s) { return {_mm256_set1_ps(s), _mm256_set1_ps(s)}; }
  static T sub(const T &x, const T &y) { return {_mm256_sub_ps(x.a, y.a), _mm256_sub_ps(x.b, y.b)}; }
  static T fma(const T &x, const T &y, const T &z) { return {_mm256_fmadd_ps(x.a, y.a, z.a), _mm256_fmadd_ps(x.b, y.b, z.b)}; }
  static void codes(const uint8_t *p, T *lo, T *hi) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    const __m256i w0 = _mm256_cvtepu8_epi32(bytes), w1 = _mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8));
    const __m256i nib = _mm256_set1_epi32(0xf);
    *lo = {_mm256_cvtepi32_ps(_mm256_and_si256(w0, nib)), _mm256_cvtepi32_ps(_mm256_and_si256(w1, nib))};
    *hi = {_mm256_cvtepi32_ps(_mm256_srli_epi32(w0, 4)), _mm256_cvtepi32_ps(_mm256_srli_epi32(w1, 4))};
  }
};
using T = V::T;

#include "w4a16_kernels.inc"

}  // namespace

W4A16Kernel w4a16_kernel_avx2() { return kernel; }

}  // namespace lb::cpu
