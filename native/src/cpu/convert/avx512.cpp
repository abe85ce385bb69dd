// AVX-512 convert kernels, 16 elements per step, masked loads/stores for the tail.
// f16 uses the hardware converters (exact RNE, subnormals kept); bf16 is rounded with
// integer ops because VCVTNEPS2BF16 flushes subnormal inputs to zero.
#include <immintrin.h>

#include "../../common/fp8.h"
#include "convert.h"
#include "pairs.h"

namespace lb::cpu {
namespace {

// Sets the quiet bit of NaN lanes so NaN handling matches common/half.h bit for bit.
inline __m512 quiet_nans(__m512 v) {
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_mask_or_ps(v, nan, v, _mm512_castsi512_ps(_mm512_set1_epi32(0x00400000)));
}

struct F32 {
  static __m512 load(const void *p, int64_t i, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, static_cast<const float *>(p) + i);
  }
  static void store(void *p, int64_t i, __m512 v, __mmask16 m) {
    _mm512_mask_storeu_ps(static_cast<float *>(p) + i, m, v);
  }
};

struct F16 {
  static __m512 load(const void *p, int64_t i, __mmask16 m) {
    const __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t *>(p) + i);
    return quiet_nans(_mm512_cvtph_ps(h));
  }
  static void store(void *p, int64_t i, __m512 v, __mmask16 m) {
    const __m256i h = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm256_mask_storeu_epi16(static_cast<uint16_t *>(p) + i, m, h);
  }
};

struct BF16 {
  static __m512 load(const void *p, int64_t i, __mmask16 m) {
    const __m256i b = _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t *>(p) + i);
    return quiet_nans(_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16)));
  }
  static void store(void *p, int64_t i, __m512 v, __mmask16 m) {
    const __m512i x = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7fff)), lsb), 16);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(0x40)));
    _mm256_mask_storeu_epi16(static_cast<uint16_t *>(p) + i, m, _mm512_cvtepi32_epi16(r));
  }
};

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
