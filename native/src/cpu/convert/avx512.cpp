// AVX-512 convert kernels, 16 elements per step, masked loads/stores for the tail; the f32/f16/bf16
// codecs are simd/half_avx512.h.
#include <immintrin.h>

#include "../../common/fp8.h"
#include "convert.h"
#include "pairs.h"

namespace lb::cpu {
namespace {

#include "../simd/half_avx512.h"
#include "../simd/fp8_avx512.h"

// FP8 codecs: bytes in, bytes out, through the 16-lane encoders/decoders.
template <bool E4, bool Sat>
struct FP8 {
  static __m512 load(const void *p, int64_t i, __mmask16 m) {
    const __m512i b = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, static_cast<const uint8_t *>(p) + i));
    return E4 ? e4m3_decode16(b) : e5m2_decode16(b);
  }
  static void store(void *p, int64_t i, __m512 v, __mmask16 m) {
    const __m512i c = E4 ? e4m3_encode16(v, Sat) : e5m2_encode16(v, Sat);
    _mm_mask_storeu_epi8(static_cast<uint8_t *>(p) + i, m, _mm512_cvtepi32_epi8(c));
  }
};

template <class S, class D>
void kernel(const void *s, void *d, int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {  // two vectors in flight per step
    const __m512 a = S::load(s, i, 0xffff), b = S::load(s, i + 16, 0xffff);
    D::store(d, i, a, 0xffff);
    D::store(d, i + 16, b, 0xffff);
  }
  for (; i < n; i += 16) {
    const int64_t left = n - i;
    const __mmask16 m = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1u);
    D::store(d, i, S::load(s, i, m), m);
  }
}

}  // namespace

ConvertFn convert_kernel_avx512(lb_dtype src, lb_dtype dst) { LB_CONVERT_PAIRS(src, dst); }
namespace {
template <bool Sat>
ConvertFn fp8_simd_pairs(lb_dtype s, lb_dtype d) {
  using E4 = FP8<true, Sat>;
  using E5 = FP8<false, Sat>;
  const bool se4 = s == LB_DTYPE_FP8_E4M3, se5 = s == LB_DTYPE_FP8_E5M2, de4 = d == LB_DTYPE_FP8_E4M3, de5 = d == LB_DTYPE_FP8_E5M2;
  if (de4 || de5) {
    if (s == LB_DTYPE_F32) return de4 ? kernel<F32, E4> : kernel<F32, E5>;
    if (s == LB_DTYPE_F16) return de4 ? kernel<F16, E4> : kernel<F16, E5>;
    if (s == LB_DTYPE_BF16) return de4 ? kernel<BF16, E4> : kernel<BF16, E5>;
    if (se4 && de5) return kernel<E4, E5>;
    if (se5 && de4) return kernel<E5, E4>;
  }
  if (se4 || se5) {
    if (d == LB_DTYPE_F32) return se4 ? kernel<E4, F32> : kernel<E5, F32>;
    if (d == LB_DTYPE_F16) return se4 ? kernel<E4, F16> : kernel<E5, F16>;
    if (d == LB_DTYPE_BF16) return se4 ? kernel<E4, BF16> : kernel<E5, BF16>;
  }
  return nullptr;
}
}  // namespace

ConvertFn fp8_kernel_avx512(lb_dtype src, lb_dtype dst, bool saturate) {
  return saturate ? fp8_simd_pairs<true>(src, dst) : fp8_simd_pairs<false>(src, dst);
}

}  // namespace lb::cpu
