// F32 / F16 / BF16 codecs for 8 lanes with AVX2 + F16C, bit-identical to common/half.h (bf16
// rounded with integer ops, as in half_avx512.h). Include only from files compiled with the AVX2
// flags, inside an anonymous namespace.
#pragma once
#include <immintrin.h>

inline __m256 quiet_nans(__m256 v) {
  const __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  return _mm256_or_ps(v, _mm256_and_ps(nan, _mm256_castsi256_ps(_mm256_set1_epi32(0x00400000))));
}

struct F32 {
  static constexpr int kSize = 4;
  static __m256 load(const void *p) { return _mm256_loadu_ps(static_cast<const float *>(p)); }
  static __m256 load_raw(const void *p) { return load(p); }
  static void store(void *p, __m256 v) { _mm256_storeu_ps(static_cast<float *>(p), v); }
  // Non-temporal store of 8 values; p must be 32-byte aligned.
  static void stream(void *p, __m256 v) { _mm256_stream_ps(static_cast<float *>(p), v); }
};

struct F16 {
  static constexpr int kSize = 2;
  static __m256 load(const void *p) {
    return quiet_nans(load_raw(p));
  }
  // 8 values widened without the NaN quieting (for callers whose arithmetic quiets them anyway).
  static __m256 load_raw(const void *p) { return _mm256_cvtph_ps(_mm_loadu_si128(static_cast<const __m128i *>(p))); }
  static __m128i narrow(__m256 v) { return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static void store(void *p, __m256 v) { _mm_storeu_si128(static_cast<__m128i *>(p), narrow(v)); }
  // Non-temporal store of 8 values; p must be 16-byte aligned.
  static void stream(void *p, __m256 v) { _mm_stream_si128(static_cast<__m128i *>(p), narrow(v)); }
};

struct BF16 {
  static constexpr int kSize = 2;
  static __m256 load(const void *p) {
    return quiet_nans(load_raw(p));
  }
  // 8 values widened without the NaN quieting (for callers whose arithmetic quiets them anyway).
  static __m256 load_raw(const void *p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(static_cast<const __m128i *>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  static __m128i narrow(__m256 v) {
    const __m256i x = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)), lsb), 16);
    const __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x40));
    r = _mm256_blendv_epi8(r, quiet, nan);
    // Values are <= 0xffff, so the saturating pack is exact and keeps element order.
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
  }
  static void store(void *p, __m256 v) { _mm_storeu_si128(static_cast<__m128i *>(p), narrow(v)); }
  static void stream(void *p, __m256 v) { _mm_stream_si128(static_cast<__m128i *>(p), narrow(v)); }
};
