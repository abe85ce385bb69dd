// W4A16 kernel for the AVX-512 variant (see w4a16_kernels.inc): 16 lanes in one zmm; 16 bytes of
// codes (16 columns x 2 k) widen to two vectors of f32 with one zero-extension, an and and a shift.
#include <immintrin.h>

#include "w4a16.h"

namespace lb::cpu {
namespace {

struct V {
  using T = __m512;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float *p) { return _mm512_loadu_ps(p); }
  static void store(float *p, T v) { _mm512_storeu_ps(p, v); }
  static T set1(float s) { return _mm512_set1_ps(s); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static void codes(const uint8_t *p, T *lo, T *hi) {
    const __m512i w = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
    *lo = _mm512_cvtepi32_ps(_mm512_and_si512(w, _mm512_set1_epi32(0xf)));
    *hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(w, 4));
  }
};
using T = V::T;

#include "w4a16_kernels.inc"

}  // namespace

W4A16Kernel w4a16_kernel_avx512() { return kernel; }

}  // namespace lb::cpu
