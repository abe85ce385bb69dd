// F32 / F16 / BF16 codecs for 16 lanes with AVX-512 (masked loads/stores), bit-identical to
// common/half.h. f16 uses the hardware converters (exact RNE, subnormals kept); bf16 is rounded
// with integer ops because VCVTNEPS2BF16 flushes subnormal inputs to zero. Include only from
// files compiled with the AVX-512 flags, inside an anonymous namespace.
#pragma once
#include <immintrin.h>

// Sets the quiet bit of NaN lanes so NaN handling matches common/half.h bit for bit.
inline __m512 quiet_nans(__m512 v) {
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_mask_or_ps(v, nan, v, _mm512_castsi512_ps(_mm512_set1_epi32(0x00400000)));
}

struct F32 {
  static constexpr int kSize = 4;
  static __m512 load(const void *p, int64_t i, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, static_cast<const float *>(p) + i);
  }
  static __m512 load_raw(const void *p, int64_t i) { return _mm512_loadu_ps(static_cast<const float *>(p) + i); }
  static void store(void *p, int64_t i, __m512 v, __mmask16 m) {
    _mm512_mask_storeu_ps(static_cast<float *>(p) + i, m, v);
  }
  // Non-temporal store of 16 values; p + i must be 64-byte aligned.
  static void stream(void *p, int64_t i, __m512 v) { _mm512_stream_ps(static_cast<float *>(p) + i, v); }
};

struct F16 {
  static constexpr int kSize = 2;
  static __m512 load(const void *p, int64_t i, __mmask16 m) {
    const __m256i h = _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t *>(p) + i);
    return quiet_nans(_mm512_cvtph_ps(h));
  }
  // 16 values widened without the NaN quieting (for callers whose arithmetic quiets them anyway).
  static __m512 load_raw(const void *p, int64_t i) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(static_cast<const uint16_t *>(p) + i)));
  }
  static __m256i narrow(__m512 v) { return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  // 32 values, a in the low half: one 64-byte vector (a whole line to store).
  static __m512i narrow_pair(__m512 a, __m512 b) { return _mm512_inserti64x4(_mm512_castsi256_si512(narrow(a)), narrow(b), 1); }
  static void store(void *p, int64_t i, __m512 v, __mmask16 m) {
    _mm256_mask_storeu_epi16(static_cast<uint16_t *>(p) + i, m, narrow(v));
  }
  // Non-temporal store of 16 values; p + i must be 32-byte aligned.
  static void stream(void *p, int64_t i, __m512 v) {
    _mm256_stream_si256(reinterpret_cast<__m256i *>(static_cast<uint16_t *>(p) + i), narrow(v));
  }
};

struct BF16 {
  static constexpr int kSize = 2;
  static __m512 load(const void *p, int64_t i, __mmask16 m) {
    const __m256i b = _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t *>(p) + i);
    return quiet_nans(_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16)));
  }
  // 16 values widened without the NaN quieting (for callers whose arithmetic quiets them anyway).
  static __m512 load_raw(const void *p, int64_t i) {
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(static_cast<const uint16_t *>(p) + i));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16));
  }
  // Rounding with integer ops: exact for every input (see the header comment).
  static __m256i narrow_exact(__m512 v) {
    const __m512i x = _mm512_castps_si512(v);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    __m512i r = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7fff)), lsb), 16);
    const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    r = _mm512_mask_mov_epi32(r, nan, _mm512_or_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(0x40)));
    return _mm512_cvtepi32_epi16(r);
  }
  // Exact integer rounding on every AVX-512 CPU (the AVX512 variant does not imply AVX512_BF16). For
  // bulk conversion it costs nothing measurable from memory (f32 -> bf16, 1 GiB: 0.89-0.96 of the copy
  // either way; 12% slower in cache than VCVTNEPS2BF16).
  static __m256i narrow(__m512 v) { return narrow_exact(v); }
  // The fast narrowing for callers that run only where avx512_bf16() holds (core/cpu_features.h) and
  // test a whole block of vectors at once, narrowing the block again exactly when some lane needed
  // it: the Hadamard kernel's passes (IoBF16Fast), where it took bf16 n = 1024 from 0.45-0.46 to 0.52
  // of the copy and 4096 up 3% (1 GiB, 2 threads, Zen 4 host). VCVTNEPS2BF16 rounds to nearest even
  // like common/half.h except for subnormal inputs (flushed) and NaN payloads: needs_exact.
  static __mmask16 needs_exact(__m512 v) { return _mm512_fpclass_ps_mask(v, 0x20 | 0x01 | 0x80); }  // denormal, QNaN, SNaN
  static __m256i narrow_fast(__m512 v) { return reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(v)); }
  // 32 values, a in the low half, exactly.
  static __m512i narrow_pair(__m512 a, __m512 b) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(narrow_exact(a)), narrow_exact(b), 1);
  }
  // The same where avx512_bf16() holds: one VCVTNE2PS2BF16 for the 32 (about 3 ops where narrow_pair
  // takes ~20), or narrow_pair for a pair with a lane it would round differently (needs_exact: rare, so
  // the branch predicts). f32 -> bf16 in L1 / L2, one thread (Zen 5 host): 87-93 -> 125-129 GB/s.
  static __m512i narrow_pair_fast(__m512 a, __m512 b) {
    if (needs_exact(a) | needs_exact(b)) [[unlikely]] return narrow_pair(a, b);
    return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(b, a));
  }
  static void store(void *p, int64_t i, __m512 v, __mmask16 m) {
    _mm256_mask_storeu_epi16(static_cast<uint16_t *>(p) + i, m, narrow(v));
  }
  static void stream(void *p, int64_t i, __m512 v) {
    _mm256_stream_si256(reinterpret_cast<__m256i *>(static_cast<uint16_t *>(p) + i), narrow(v));
  }
  static void store_fast(void *p, int64_t i, __m512 v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(static_cast<uint16_t *>(p) + i), narrow_fast(v));
  }
  static void stream_fast(void *p, int64_t i, __m512 v) {
    _mm256_stream_si256(reinterpret_cast<__m256i *>(static_cast<uint16_t *>(p) + i), narrow_fast(v));
  }
};
