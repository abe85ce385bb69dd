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

#include "fp8.inc"

}  // namespace

ConvertFn convert_kernel_avx512(lb_dtype src, lb_dtype dst) { LB_CONVERT_PAIRS(src, dst); }
ConvertFn fp8_kernel_avx512(lb_dtype src, lb_dtype dst, bool saturate) { return fp8_kernel(src, dst, saturate); }

}  // namespace lb::cpu
