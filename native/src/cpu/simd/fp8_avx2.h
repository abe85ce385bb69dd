// FP8 <-> f32 with AVX2 + F16C, bit-identical to common/fp8.h (the Java tests compare every ISA with
// the scalar path; the ctest fp8_simd sweeps the encoder), by way of binary16 as simd/fp8_avx512.h's
// fp8_codes64 and e4m3_decode16 explain: E5M2 is binary16's top byte, E4M3's fields shifted into place
// are the binary16 of value * 2^-8 (subnormals included). Include only from files compiled with the
// AVX2 flags, inside an anonymous namespace, after common/fp8.h.
#pragma once
#include <immintrin.h>

// Two 8-lane masks (all ones or zero per 32-bit lane) -> one mask of 16 16-bit lanes, in order (packs
// interleaves the two inputs' 128-bit lanes; the qword permute restores the order).
inline __m256i fp8_masks16_avx2(__m256 m0, __m256 m1) {
  return _mm256_permute4x64_epi64(_mm256_packs_epi32(_mm256_castps_si256(m0), _mm256_castps_si256(m1)), 0xD8);
}

// v0 (elements 0-7) and v1 (8-15) truncated to binary16 (h, in order) and, all ones in its 16-bit
// lane, where that truncation dropped something (inexact): with that bit set, h is v rounded to odd.
struct Fp8TruncatedAvx2 {
  __m256i h, inexact;
};
inline Fp8TruncatedAvx2 fp8_truncate16_avx2(__m256 v0, __m256 v1) {
  const __m128i h0 = _mm256_cvtps_ph(v0, _MM_FROUND_TO_ZERO), h1 = _mm256_cvtps_ph(v1, _MM_FROUND_TO_ZERO);
  return {_mm256_inserti128_si256(_mm256_castsi128_si256(h0), h1, 1),
          fp8_masks16_avx2(_mm256_cmp_ps(_mm256_cvtph_ps(h0), v0, _CMP_NEQ_UQ), _mm256_cmp_ps(_mm256_cvtph_ps(h1), v1, _CMP_NEQ_UQ))};
}

// Saturating codes of truncated halves (E4M3: of the values times 2^-8) in the low byte of each 16-bit
// lane: the magnitude clamped to the largest finite code's half, rounded to nearest even dropping 7 (E4M3)
// or 8 bits with the sticky bit, the sign put back.
template <bool kE4M3>
inline __m256i fp8_round16_avx2(const Fp8TruncatedAvx2 &t) {
  constexpr int kDrop = kE4M3 ? 7 : 8, kMaxHalf = kE4M3 ? 0x3f00 : 0x7b00;  // 448 * 2^-8, 57344
  const __m256i one = _mm256_set1_epi16(1);
  const __m256i mag = _mm256_min_epu16(_mm256_and_si256(t.h, _mm256_set1_epi16(0x7fff)), _mm256_set1_epi16(kMaxHalf));
  // The tie-breaking 1: the kept LSB (to even), or a sticky bit below the half (see fp8_codes_of_halves).
  const __m256i up = _mm256_and_si256(_mm256_or_si256(_mm256_srli_epi16(mag, kDrop), t.inexact), one);
  const __m256i r = _mm256_add_epi16(_mm256_add_epi16(mag, _mm256_set1_epi16((1 << (kDrop - 1)) - 1)), up);
  return _mm256_or_si256(_mm256_srli_epi16(r, kDrop), _mm256_and_si256(_mm256_srli_epi16(t.h, 8), _mm256_set1_epi16(0x80)));
}

// The quantizers' encoder: saturating E4M3 (kE4M3: of v * 2^-8) or E5M2 codes of v0 (elements 0-7)
// and v1 (8-15), finite or infinite, no NaN, in the low byte of each 16-bit lane, in order.
template <bool kE4M3>
inline __m256i fp8_codes16_avx2(__m256 v0, __m256 v1) {
  return fp8_round16_avx2<kE4M3>(fp8_truncate16_avx2(v0, v1));
}

// lb_convert's encoder: any f32 (E4M3 of v itself), saturating or not, as common/fp8.h: NaN -> 0x7F;
// past the overflow midpoint -> signed max (kSaturate) or NaN / Inf (E4M3 S.1111.111, E5M2 S.11111.00).
template <bool kE4M3, bool kSaturate>
inline __m256i fp8_convert16_avx2(__m256 v0, __m256 v1) {
  const __m256i nan = fp8_masks16_avx2(_mm256_cmp_ps(v0, v0, _CMP_UNORD_Q), _mm256_cmp_ps(v1, v1, _CMP_UNORD_Q));
  if constexpr (kE4M3) {  // exact for every product >= 2^-126; smaller ones are far below half the least code
    v0 = _mm256_mul_ps(v0, _mm256_set1_ps(lb::kE4M3HalfScale));
    v1 = _mm256_mul_ps(v1, _mm256_set1_ps(lb::kE4M3HalfScale));
  }
  const Fp8TruncatedAvx2 t = fp8_truncate16_avx2(v0, v1);
  __m256i code = fp8_round16_avx2<kE4M3>(t);
  if constexpr (!kSaturate) {
    // Overflow: the value rounded to odd lies past the midpoint above the largest finite code (E4M3 464,
    // whose tie rounds down to 448: strictly above; E5M2 61440, whose tie rounds up: at or above).
    const __m256i odd = _mm256_or_si256(_mm256_and_si256(t.h, _mm256_set1_epi16(0x7fff)), _mm256_and_si256(t.inexact, _mm256_set1_epi16(1)));
    const __m256i over = _mm256_cmpgt_epi16(odd, _mm256_set1_epi16(kE4M3 ? 0x3f40 : 0x7b7f));
    const __m256i special = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(t.h, 8), _mm256_set1_epi16(0x80)), _mm256_set1_epi16(kE4M3 ? 0x7f : 0x7c));
    code = _mm256_blendv_epi8(code, special, over);
  }
  return _mm256_blendv_epi8(code, _mm256_set1_epi16(0x7f), nan);
}

// An E4M3 code in the high byte of each 16-bit lane (the low byte zero) -> the binary16 of its value
// * 2^-8; NaN codes (whose shifted fields would be a finite binary16) -> a binary16 NaN of their sign.
inline __m256i e4m3_half_of_high_byte(__m256i hi_byte) {
  // The sign stays in bit 15, the magnitude moves to bits 7-13: an arithmetic shift by one copies the
  // sign into bit 14 too, which the mask clears.
  const __m256i h = _mm256_and_si256(_mm256_srai_epi16(hi_byte, 1), _mm256_set1_epi16(static_cast<short>(0xbf80)));
  const __m256i nan = _mm256_cmpeq_epi16(_mm256_and_si256(h, _mm256_set1_epi16(0x7fff)), _mm256_set1_epi16(0x3f80));
  return _mm256_or_si256(h, _mm256_and_si256(nan, _mm256_set1_epi16(0x7e00)));
}

template <bool kE4M3>
inline __m256i fp8_half_of_high_byte(__m256i hi_byte) {
  if constexpr (kE4M3) return e4m3_half_of_high_byte(hi_byte);
  return hi_byte;  // E5M2: binary16's top byte
}

// 16 binary16 from fp8_half_of_high_byte -> f32: [0] lanes 0-7, [1] lanes 8-15 (E4M3 rescaled by 2^8, exactly).
template <bool kE4M3>
inline void fp8_halves_to_f32(__m256i h, __m256 (&out)[2]) {
  out[0] = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
  out[1] = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
  if constexpr (kE4M3) {
    out[0] = _mm256_mul_ps(out[0], _mm256_set1_ps(1.0f / lb::kE4M3HalfScale));
    out[1] = _mm256_mul_ps(out[1], _mm256_set1_ps(1.0f / lb::kE4M3HalfScale));
  }
}

// 16 fp8 codes (bytes, in order) -> their values: [0] elements 0-7, [1] 8-15. NaN codes give a NaN.
template <bool kE4M3>
inline void fp8_decode16_avx2(__m128i codes, __m256 (&out)[2]) {
  fp8_halves_to_f32<kE4M3>(fp8_half_of_high_byte<kE4M3>(_mm256_slli_epi16(_mm256_cvtepu8_epi16(codes), 8)), out);
}
