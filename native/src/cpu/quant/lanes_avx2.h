// Lane-parallel pieces of the AVX2 quant kernels (avx2.cpp, groups_avx2.cpp, pipelined_avx2.cpp). Include
// only from AVX2 files, inside an anonymous namespace, after simd/fp8_avx2.h.
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

// 32 (16) bytes to out: non-temporal when asked for and out is 32- (16-) byte aligned (simd/streaming.h).
inline void store32(uint8_t *out, __m256i v, bool stream) {
  if (stream && (reinterpret_cast<uintptr_t>(out) & 31) == 0) _mm256_stream_si256(reinterpret_cast<__m256i *>(out), v);
  else _mm256_storeu_si256(reinterpret_cast<__m256i *>(out), v);
}
inline void store_codes16(uint8_t *out, __m128i v, bool stream) {
  if (stream && (reinterpret_cast<uintptr_t>(out) & 15) == 0) _mm_stream_si128(reinterpret_cast<__m128i *>(out), v);
  else _mm_storeu_si128(reinterpret_cast<__m128i *>(out), v);
}

// Integer codes of 8 values: clamp to code_bounds (common/quant.h), then round to nearest even (the same as
// rounding first: the bounds are integers and rounding is monotonic). kClamp false: no clamp, for blocks
// that pass codes_clamp_free.
template <bool kClamp = true>
struct IntCoder {
  __m256 inv, zero, low, high;
  bool u4;
  IntCoder(const lb_quant_params &p, const BlockParams &b) : inv(_mm256_set1_ps(b.inv)), zero(_mm256_set1_ps(b.zero)), u4(p.qtype == LB_DTYPE_U4) {
    const CodeBounds c = code_bounds(p.qtype, (p.flags & LB_QUANT_RESTRICT_RANGE) != 0);
    low = _mm256_set1_ps(c.low);
    high = _mm256_set1_ps(c.high);
  }
  __m256i codes8(const float *x) const {
    __m256 t = _mm256_mul_ps(_mm256_loadu_ps(x), inv);
    if (u4) t = _mm256_add_ps(t, zero);
    if constexpr (kClamp) t = _mm256_min_ps(_mm256_max_ps(t, low), high);
    return _mm256_cvttps_epi32(_mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  // The codes of 32 values as bytes in order (I4 as signed -8 .. 7: the nibble packing keeps four bits).
  __m256i bytes32(const float *x) const {
    const __m256i w0 = _mm256_packs_epi32(codes8(x), codes8(x + 8)), w1 = _mm256_packs_epi32(codes8(x + 16), codes8(x + 24));
    // Both packs interleave 128-bit lanes: dwords hold codes 0-3, 8-11, 16-19, 24-27, 4-7, ...
    return _mm256_permutevar8x32_epi32(_mm256_packs_epi16(w0, w1), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
  }
  // I4 / U4 codes of 32 values as 16 packed bytes (low nibble = even element).
  __m128i packed16(const float *x) const {
    const __m256i c = bytes32(x);  // as 16-bit lanes: a pair is lo | hi << 8
    const __m256i r = _mm256_or_si256(_mm256_and_si256(c, _mm256_set1_epi16(0x000f)),
                                      _mm256_and_si256(_mm256_srli_epi16(c, 4), _mm256_set1_epi16(0x00f0)));
    return _mm_packus_epi16(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
  }
};

// fp8 codes of 32 values as bytes in order; inv32: the inverse scale (E4M3: times 2^-8).
template <bool kE4M3>
inline __m256i fp8_bytes32(const float *x, __m256 inv32) {
  const auto v = [&](int j) { return _mm256_mul_ps(_mm256_loadu_ps(x + 8 * j), inv32); };
  const __m256i a = fp8_codes16_avx2<kE4M3>(v(0), v(1)), b = fp8_codes16_avx2<kE4M3>(v(2), v(3));
  return _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8);
}
