// FP8 <-> f32 for 16 lanes with AVX-512, bit-identical to common/fp8.h (the Java tests compare every
// ISA with the scalar path at the rounding boundaries; the ctest fp8_simd compares the encoders over
// every float whose rounding is not trivial). Include only from files compiled with the AVX-512 flags,
// inside an anonymous namespace.
#pragma once
#include <immintrin.h>

inline __m512i fp8_i32(int v) { return _mm512_set1_epi32(v); }

// Shared shape of both encoders: normal values round their dropped mantissa bits to even and
// re-bias the exponent in one pair of integer adds; subnormals are a multiple of the smallest
// step, rounded in the float -> int conversion. Saturating, magnitudes clamp to the largest finite
// value first (everything above it rounds or saturates to it), which spares the overflow test.
// nan_free: the caller knows x holds no NaN (the quantizers: finite inputs times a finite inverse
// scale), which spares the NaN select (~10% of a quantizer's time in cache).
template <int kShift, int kMinNormal, int kRebias, int kOverflowAt, int kMaxFinite, int kOverflowCode>
inline __m512i fp8_encode(__m512 x, bool saturate, float subnormal_scale, bool overflow_inclusive, bool nan_free) {
  const __m512i u = _mm512_castps_si512(x);
  const __m512i a = _mm512_and_si512(u, fp8_i32(0x7fffffff));
  const __m512i m = saturate ? _mm512_min_epu32(a, fp8_i32(kMaxFinite)) : a;
  const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(m, kShift), fp8_i32(1));
  // (m + half - 1 + lsb) >> kShift, minus the re-bias: subtracting kRebias << kShift first is the
  // same for every normal m (>= kMinNormal > kRebias << kShift, so nothing borrows).
  const __m512i r = _mm512_add_epi32(_mm512_add_epi32(m, fp8_i32((1 << (kShift - 1)) - 1 - (kRebias << kShift))), lsb);
  const __m512i normal = _mm512_srli_epi32(r, kShift);
  const __m512 scaled = _mm512_mul_ps(_mm512_castsi512_ps(m), _mm512_set1_ps(subnormal_scale));
  const __m512i sub = _mm512_cvt_roundps_epi32(scaled, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512i code = _mm512_mask_blend_epi32(_mm512_cmpge_epi32_mask(m, fp8_i32(kMinNormal)), sub, normal);
  if (!saturate) {
    const __mmask16 over = overflow_inclusive ? _mm512_cmpge_epi32_mask(a, fp8_i32(kOverflowAt)) : _mm512_cmpgt_epi32_mask(a, fp8_i32(kOverflowAt));
    code = _mm512_mask_mov_epi32(code, over, fp8_i32(kOverflowCode));
  }
  code = _mm512_ternarylogic_epi32(code, _mm512_srli_epi32(u, 24), fp8_i32(0x80), 0xF8);  // code | sign bit
  if (nan_free) return code;
  return _mm512_mask_mov_epi32(code, _mm512_cmpgt_epi32_mask(a, fp8_i32(0x7f800000)), fp8_i32(0x7f));  // NaN
}

// E4M3: > 464 overflows (a tie at 464 rounds to 448), normal from 2^-6, subnormal step 2^-9.
inline __m512i e4m3_encode16(__m512 x, bool saturate, bool nan_free = false) {
  return fp8_encode<20, 0x3c800000, 120 << 3, 0x43e80000, 0x43e00000, 0x7f>(x, saturate, 512.0f, false, nan_free);
}

// E5M2: >= 61440 overflows (a tie rounds up), normal from 2^-14, subnormal step 2^-16.
inline __m512i e5m2_encode16(__m512 x, bool saturate, bool nan_free = false) {
  return fp8_encode<21, 0x38800000, 112 << 2, 0x47700000, 0x47600000, 0x7c>(x, saturate, 65536.0f, true, nan_free);
}

// The quantizers' encoder (saturating, no NaN input): 64 values -> their 64 codes in order, through the
// hardware binary16 converter. Rounding f32 straight to fp8 equals rounding it to binary16 "to odd"
// (truncate, then set the last bit if anything was dropped) and that to fp8 to nearest even, because
// binary16 keeps >= 2 more bits than fp8 everywhere fp8 is non-zero (the classic round-to-odd argument):
// E5M2 is binary16's top byte, and E4M3 of v is the top bits of the binary16 of v * 2^-8 (subnormals
// included: the same alignment e4m3_decode16 uses). The rounding then runs on 32 16-bit lanes a
// vector: ~45 instructions for 64 values where fp8_encode and bytes64 take ~60; 10% faster in cache
// on Zen 4 (bench/results/2026-11-27-fp8-halves-encoder-ab.txt). The ctest fp8_simd holds it to
// common/fp8.h over every float whose rounding is not trivial.

// 16 values -> their binary16 truncated, and which lanes that was inexact for.
inline __m256i fp8_half_truncated(__m512 v, __mmask16 *inexact) {
  const __m256i h = _mm512_cvtps_ph(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  *inexact = _mm512_cmp_ps_mask(_mm512_cvtph_ps(h), v, _CMP_NEQ_UQ);
  return h;
}

// 32 truncated halves (and their inexact lanes) -> codes in the low byte of each 16-bit lane: the
// magnitude clamped to the largest finite code's half (saturation), rounded to nearest even dropping
// kDrop bits with the inexact lanes' sticky bit, the sign put back.
template <int kDrop, int kMaxHalf>
inline __m512i fp8_codes_of_halves(__m512i h, __mmask32 inexact) {
  const __m512i one = _mm512_set1_epi16(1);
  const __m512i mag = _mm512_min_epu16(_mm512_and_si512(h, _mm512_set1_epi16(0x7fff)), _mm512_set1_epi16(kMaxHalf));
  // The bit that breaks a tie: the kept LSB (to even), or 1 where a dropped bit was set below the
  // half (so a seeming tie is above it). Both add the same 1.
  const __m512i up = _mm512_mask_mov_epi16(_mm512_and_si512(_mm512_srli_epi16(mag, kDrop), one), inexact, one);
  const __m512i r = _mm512_add_epi16(_mm512_add_epi16(mag, _mm512_set1_epi16((1 << (kDrop - 1)) - 1)), up);
  return _mm512_ternarylogic_epi32(_mm512_srli_epi16(r, kDrop), _mm512_srli_epi16(h, 8), _mm512_set1_epi16(0x80), 0xF8);  // | sign
}

// Saturating E4M3 (kE4M3) or E5M2 codes of v0 .. v3 (elements 0-15, ..., 48-63; finite or infinite,
// no NaN; E4M3: the values times lb::kE4M3HalfScale (common/fp8.h) — products below 2^-126 that rounds inexactly are far
// below half the least code either way) as 64 bytes in order.
// The codes of v0 .. v3 as above, in the low bytes of 16-bit lanes: *ca those of v0 then v1, *cb of v2 then v3.
template <bool kE4M3>
[[gnu::always_inline]] inline void fp8_code_words(__m512 v0, __m512 v1, __m512 v2, __m512 v3, __m512i *ca, __m512i *cb) {
  __mmask16 k0, k1, k2, k3;
  const __m256i h0 = fp8_half_truncated(v0, &k0), h1 = fp8_half_truncated(v1, &k1);
  const __m256i h2 = fp8_half_truncated(v2, &k2), h3 = fp8_half_truncated(v3, &k3);
  const __m512i a = _mm512_inserti64x4(_mm512_castsi256_si512(h0), h1, 1), b = _mm512_inserti64x4(_mm512_castsi256_si512(h2), h3, 1);
  constexpr int kDrop = kE4M3 ? 7 : 8, kMaxHalf = kE4M3 ? 0x3f00 : 0x7b00;  // 448 * 2^-8, 57344
  *ca = fp8_codes_of_halves<kDrop, kMaxHalf>(a, _mm512_kunpackw(k1, k0));
  *cb = fp8_codes_of_halves<kDrop, kMaxHalf>(b, _mm512_kunpackw(k3, k2));
}
template <bool kE4M3>
[[gnu::always_inline]] inline __m512i fp8_codes64(__m512 v0, __m512 v1, __m512 v2, __m512 v3) {
  __m512i ca, cb;
  fp8_code_words<kE4M3>(v0, v1, v2, v3, &ca, &cb);
  // packus interleaves the two per 128-bit lane; the qword permute restores the order.
  return _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7), _mm512_packus_epi16(ca, cb));
}
// The same for 64 values split by parity: e0, e1 hold values 0, 2, ..., 62 and o0, o1 values 1, 3, ..., 63
// (as a BF16 row's 32-value loads give them without widening shuffles: fp8_line). Each even code and the
// odd one after it share a 16-bit lane, so a shift and an or put the 64 bytes in order, where
// fp8_codes64 packs and permutes (two shuffles).
template <bool kE4M3>
[[gnu::always_inline]] inline __m512i fp8_codes64_by_parity(__m512 e0, __m512 e1, __m512 o0, __m512 o1) {
  __m512i even, odd;
  fp8_code_words<kE4M3>(e0, e1, o0, o1, &even, &odd);
  return _mm512_or_si512(even, _mm512_slli_epi16(odd, 8));
}

// Codes in the low byte of 32-bit lanes -> values. E4M3 via binary16: its fields, shifted into
// place, are a binary16 of value * 2^-8 (subnormals included), so widen and scale by 256.
inline __m512 e4m3_decode16(__m512i b) {
  const __m512i h = _mm512_or_si512(_mm512_slli_epi32(_mm512_and_si512(b, fp8_i32(0x7f)), 7),
                                    _mm512_slli_epi32(_mm512_and_si512(b, fp8_i32(0x80)), 8));
  const __m512 v = _mm512_mul_ps(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(h)), _mm512_set1_ps(256.0f));
  const __mmask16 nan = _mm512_cmpeq_epi32_mask(_mm512_and_si512(b, fp8_i32(0x7f)), fp8_i32(0x7f));
  const __m512i nan_bits = _mm512_or_si512(_mm512_slli_epi32(_mm512_and_si512(b, fp8_i32(0x80)), 24), fp8_i32(0x7fc00000));
  return _mm512_mask_mov_ps(v, nan, _mm512_castsi512_ps(nan_bits));
}

// E5M2 is the top byte of a binary16; NaNs get the quiet bit like common/half.h.
inline __m512 e5m2_decode16(__m512i b) {
  const __m512 v = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_slli_epi32(b, 8)));
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_mask_or_ps(v, nan, v, _mm512_castsi512_ps(fp8_i32(0x00400000)));
}
