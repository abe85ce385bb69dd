// AVX2 + F16C convert kernels, 8 elements per step; the tail goes through a small stack
// buffer so it takes the same vector path. bf16 is rounded with integer ops (see avx512.cpp).
#include <immintrin.h>
#include <string.h>

#include "../../common/fp8.h"
#include "convert.h"
#include "pairs.h"

namespace lb::cpu {
namespace {

inline __m256 quiet_nans(__m256 v) {
  const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  return _mm256_or_ps(v, _mm256_and_ps(nan, _mm256_castsi256_ps(_mm256_set1_epi32(0x00400000))));
}

struct F32 {
  static constexpr int kSize = 4;
  static __m256 load(const void *p) { return _mm256_loadu_ps(static_cast<const float *>(p)); }
  static void store(void *p, __m256 v) { _mm256_storeu_ps(static_cast<float *>(p), v); }
};

struct F16 {
  static constexpr int kSize = 2;
  static __m256 load(const void *p) {
    return quiet_nans(_mm256_cvtph_ps(_mm_loadu_si128(static_cast<const __m128i *>(p))));
  }
  static void store(void *p, __m256 v) {
    _mm_storeu_si128(static_cast<__m128i *>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
};

struct BF16 {
  static constexpr int kSize = 2;
  static __m256 load(const void *p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(static_cast<const __m128i *>(p)));
    return quiet_nans(_mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
  }
  static void store(void *p, __m256 v) {
    const __m256i x = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)), lsb), 16);
    const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x40));
    r = _mm256_blendv_epi8(r, quiet, nan);
    // Values are <= 0xffff, so the saturating pack is exact and keeps element order.
    const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storeu_si128(static_cast<__m128i *>(p), packed);
  }
};

template <class S, class D>
void kernel(const void *s, void *d, int64_t n) {
  const char *src = static_cast<const char *>(s);
  char *dst = static_cast<char *>(d);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) D::store(dst + i * D::kSize, S::load(src + i * S::kSize));
  if (i < n) {
    alignas(32) char in[32] = {}, out[32];
    const size_t left = static_cast<size_t>(n - i);
    memcpy(in, src + i * S::kSize, left * S::kSize);
    D::store(out, S::load(in));
    memcpy(dst + i * D::kSize, out, left * D::kSize);
  }
}

#include "fp8.inc"

}  // namespace

ConvertFn convert_kernel_avx2(lb_dtype src, lb_dtype dst) { LB_CONVERT_PAIRS(src, dst); }
ConvertFn fp8_kernel_avx2(lb_dtype src, lb_dtype dst, bool saturate) { return fp8_kernel(src, dst, saturate); }

}  // namespace lb::cpu
