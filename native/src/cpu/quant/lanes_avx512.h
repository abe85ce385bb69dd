// Lane-parallel pieces of the AVX-512 quant kernels (avx512.cpp, groups_avx512.cpp): block
// parameters of 16 blocks, codes of 16 values. Each lane does common/quant.h's operations in the
// same order, one rounding each, so the results are those of the scalar path bit for bit.
// Include only from AVX-512 files, inside an anonymous namespace, after simd/fp8_avx512.h.
#pragma once
#include <immintrin.h>

#include "../simd/half_avx512.h"

inline __mmask16 tail_mask(int64_t left) { return left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1u); }

// 16 input values at p as f32: F32 as they are, F16 / BF16 (quant.h's F16Bits / Bf16Bits) widened
// exactly by simd/half_avx512.h's codecs (without their NaN quieting: a NaN fails the call anyway) — so
// the code helpers below, templated on the element type, take 16-bit rows where they lie
// (quantize_groups, code_widen) instead of an f32 copy. load16z: lanes outside m read 0.
inline __m512 load16(const float *p) { return _mm512_loadu_ps(p); }
inline __m512 load16(const Bf16Bits *p) { return BF16::load_raw(p, 0); }
inline __m512 load16(const F16Bits *p) { return F16::load_raw(p, 0); }
// 32 BF16 values as one 512-bit load, split by parity without a widening shuffle: the even elements are
// the 32-bit lanes shifted up 16 bits, the odd ones the lanes with their low half cleared (fp8_line,
// nibble_pairs16; their callers put the results back in order).
inline __m512 bf16_even(__m512i w) { return _mm512_castsi512_ps(_mm512_slli_epi32(w, 16)); }
inline __m512 bf16_odd(__m512i w) { return _mm512_castsi512_ps(_mm512_and_si512(w, _mm512_set1_epi32(static_cast<int>(0xffff0000u)))); }
inline __m512 load16z(__mmask16 m, const float *p) { return _mm512_maskz_loadu_ps(m, p); }
inline __m512 load16z(__mmask16 m, const Bf16Bits *p) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}
inline __m512 load16z(__mmask16 m, const F16Bits *p) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }

// Lane-wise range of n values, widening [lo, hi] (which must contain 0: the masked tail's lanes
// read 0), and whether all are finite. Two chains of each, or the loop waits on the min/max and
// FMA latencies; v * 0 is NaN exactly for NaN and Inf, so one FMA per vector finds them.
struct LaneRange {
  __m512 lo, hi;
  bool finite;
};
inline LaneRange lane_range(const float *x, int64_t n, __m512 lo, __m512 hi) {
  const __m512 zero = _mm512_setzero_ps();
  __m512 lo2 = lo, hi2 = hi, probe = zero, probe2 = zero;
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 v = _mm512_loadu_ps(x + i), v2 = _mm512_loadu_ps(x + i + 16);
    lo = _mm512_min_ps(lo, v);
    hi = _mm512_max_ps(hi, v);
    probe = _mm512_fmadd_ps(v, zero, probe);
    lo2 = _mm512_min_ps(lo2, v2);
    hi2 = _mm512_max_ps(hi2, v2);
    probe2 = _mm512_fmadd_ps(v2, zero, probe2);
  }
  for (; i < n; i += 16) {
    const __m512 v = _mm512_maskz_loadu_ps(tail_mask(n - i), x + i);
    lo = _mm512_min_ps(lo, v);
    hi = _mm512_max_ps(hi, v);
    probe = _mm512_fmadd_ps(v, zero, probe);
  }
  probe = _mm512_add_ps(probe, probe2);
  return {_mm512_min_ps(lo, lo2), _mm512_max_ps(hi, hi2), _mm512_cmp_ps_mask(probe, probe, _CMP_UNORD_Q) == 0};
}

// block_params(p, lo, hi, 1) of 16 blocks (not for LB_QUANT_POW2_SCALE). F16 scales round with the
// hardware converter, which is bit-exact RNE; BF16 with the integer trick of common/half.h.
struct Params16 {
  __m512 scale, inv, zero;
};
inline Params16 params16(const lb_quant_params *p, __m512 lo, __m512 hi) {
  const __m512 zero = _mm512_setzero_ps();
  const lb_dtype t = p->qtype;
  lo = _mm512_add_ps(lo, zero);  // -0 -> +0, as block_params
  hi = _mm512_add_ps(hi, zero);
  const __m512 neg_lo = _mm512_sub_ps(zero, lo);
  __m512 s;
  if (t == LB_DTYPE_U4) {
    s = _mm512_div_ps(_mm512_add_ps(hi, neg_lo), _mm512_set1_ps(15.0f));
  } else if (t == LB_DTYPE_I4 && !(p->flags & LB_QUANT_RESTRICT_RANGE)) {
    s = _mm512_max_ps(_mm512_div_ps(hi, _mm512_set1_ps(7.0f)), _mm512_div_ps(neg_lo, _mm512_set1_ps(8.0f)));
  } else {
    s = _mm512_div_ps(_mm512_max_ps(neg_lo, hi), _mm512_set1_ps(qmax_of(t)));
  }
  if (p->scale_dtype == LB_DTYPE_F16) {
    s = _mm512_cvtph_ps(_mm512_cvtps_ph(s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  } else if (p->scale_dtype == LB_DTYPE_BF16) {
    const __m512i x = _mm512_castps_si512(s);
    const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1));
    const __m512i r = _mm512_add_epi32(_mm512_add_epi32(x, _mm512_set1_epi32(0x7fff)), lsb);
    s = _mm512_castsi512_ps(_mm512_and_si512(r, _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
  }
  const __mmask16 s_zero = _mm512_cmp_ps_mask(s, zero, _CMP_EQ_OQ);
  const __m512 inv = _mm512_mask_blend_ps(s_zero, _mm512_div_ps(_mm512_set1_ps(1.0f), s), zero);
  __m512 z = zero;
  if (t == LB_DTYPE_U4) {
    z = _mm512_mul_ps(neg_lo, inv);
    if (p->zero_dtype == LB_DTYPE_U4) {
      __m512 r = _mm512_roundscale_ps(z, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, zero, _CMP_LT_OQ), r, zero);
      z = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(r, _mm512_set1_ps(15.0f), _CMP_GT_OQ), r, _mm512_set1_ps(15.0f));
    } else {
      z = _mm512_cvtph_ps(_mm512_cvtps_ph(z, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
  }
  return {s, inv, z};
}

// The clamp range of integer codes (common/quant.h, code_bounds; unused for fp8).
struct CodeRange {
  __m512 low, high;
  explicit CodeRange(const lb_quant_params &p) {
    const CodeBounds c = code_bounds(p.qtype, (p.flags & LB_QUANT_RESTRICT_RANGE) != 0);
    low = _mm512_set1_ps(c.low);
    high = _mm512_set1_ps(c.high);
  }
};

// Which of 16 blocks (lanes; their ranges [lo, hi], which hold 0, and params16's inverse and zero point) code
// every value inside the code range without the clamp: the code of v is rint(v * inv (+ zero)), clamped, and
// that is monotonic in v (inv >= 0), so when the two ends of the range round into [low, high] every value
// does, and the clamp changes no code (a value past a bound by less than half rounds to the bound either
// way). False for NaN / Inf ranges and infinite inverses (a product is then infinite or NaN).
inline __mmask16 clamp_free16(lb_dtype qtype, __m512 lo, __m512 hi, __m512 inv, __m512 zero, const CodeRange &range) {
  __m512 t_lo = _mm512_mul_ps(lo, inv), t_hi = _mm512_mul_ps(hi, inv);
  if (qtype == LB_DTYPE_U4) {
    t_lo = _mm512_add_ps(t_lo, zero);
    t_hi = _mm512_add_ps(t_hi, zero);
  }
  constexpr int kRne = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
  return _mm512_cmp_ps_mask(_mm512_roundscale_ps(t_lo, kRne), range.low, _CMP_GE_OQ) &
         _mm512_cmp_ps_mask(_mm512_roundscale_ps(t_hi, kRne), range.high, _CMP_LE_OQ);
}

// 16 codes (low byte of each lane) of 16 values. kFiniteInv: the block's inverse scale is finite,
// so v * inv holds no NaN for finite v (NaN/Inf inputs fail the call, whose outputs are then
// unspecified) and fp8 skips its NaN select; an infinite inverse (a nonzero scale below 2^-128)
// makes 0 * inv NaN, encoded as NaN like the scalar path.
// kRawNibbles: I4 codes as their signed values (-8 .. 7), not masked to nibbles: for callers whose
// packing keeps only the low four bits anyway (packed64).
// kClamp false: no clamp, for blocks whose every value rounds into the code range anyway (clamp_free16
// says which): two of the ~8 operations a vector of a 4-bit code pass.
// Always inlined: with the element-typed helpers below, GCC 12 called it out of line from codes64 (a call
// and the qtype switch per 16 values: int8 g128 40% slower in L2).
template <bool kFiniteInv = false, bool kRawNibbles = false, bool kClamp = true>
[[gnu::always_inline]] inline __m512i codes16(__m512 v, lb_dtype qtype, __m512 inv, __m512 zero, const CodeRange &range) {
  switch (qtype) {
    case LB_DTYPE_FP8_E4M3: return e4m3_encode16(_mm512_mul_ps(v, inv), true, kFiniteInv);
    case LB_DTYPE_FP8_E5M2: return e5m2_encode16(_mm512_mul_ps(v, inv), true, kFiniteInv);
    default: {
      // Clamp, then round to nearest even in the conversion: the same as rounding first (the
      // bounds are integers, rounding is monotonic) and one instruction fewer.
      __m512 t = _mm512_mul_ps(v, inv);
      if (qtype == LB_DTYPE_U4) t = _mm512_add_ps(t, zero);
      if constexpr (kClamp) t = _mm512_min_ps(_mm512_max_ps(t, range.low), range.high);
      const __m512i q = _mm512_cvt_roundps_epi32(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      return qtype == LB_DTYPE_I8 || kRawNibbles ? q : _mm512_and_si512(q, _mm512_set1_epi32(0xf));
    }
  }
}

// The low bytes of four vectors of codes (0 .. 255, or -128 .. 127 if is_signed), in order: two
// 32 -> 16-bit packs, one 16 -> 8-bit pack (each works per 128-bit lane, interleaving the
// vectors), one dword permute to undo the interleave. Narrowing each vector on its own
// (vpmovdb, _mm512_cvtepi32_epi8) costs two uops and ~20% of an fp8 or int8 code pass on Zen 5.
inline __m512i bytes64(__m512i c0, __m512i c1, __m512i c2, __m512i c3, bool is_signed) {
  const __m512i w0 = _mm512_packs_epi32(c0, c1), w1 = _mm512_packs_epi32(c2, c3);
  const __m512i b = is_signed ? _mm512_packs_epi16(w0, w1) : _mm512_packus_epi16(w0, w1);
  return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), b);
}

// 16 values to y (kStream: a non-temporal store when y is 64-byte aligned; simd/streaming.h).
template <bool kStream>
inline void store_values(float *y, __m512 v) {
  if (kStream && (reinterpret_cast<uintptr_t>(y) & 63) == 0) _mm512_stream_ps(y, v);
  else _mm512_storeu_ps(y, v);
}

// A line of 64 code bytes to out (kStream: non-temporal when out is 64-byte aligned; simd/streaming.h).
template <bool kStream>
inline void store_line(uint8_t *out, __m512i line) {
  if (kStream && (reinterpret_cast<uintptr_t>(out) & 63) == 0) _mm512_stream_si512(reinterpret_cast<__m512i *>(out), line);
  else _mm512_storeu_si512(out, line);
}

// The fp8 codes of 64 values through fp8_codes64 (simd/fp8_avx512.h); inv64: the inverse scale, times
// kE4M3HalfScale for E4M3 (fp8_binary16_route says when that is exact).
template <bool kE4M3, class E>
[[gnu::always_inline]] inline __m512i fp8_line(const E *x, __m512 inv64) {
  if constexpr (std::is_same_v<E, Bf16Bits>) {
    // Split by parity (bf16_even / bf16_odd); fp8_codes64_by_parity puts the codes back in order.
    const __m512i w0 = _mm512_loadu_si512(x), w1 = _mm512_loadu_si512(x + 32);
    return fp8_codes64_by_parity<kE4M3>(_mm512_mul_ps(bf16_even(w0), inv64), _mm512_mul_ps(bf16_even(w1), inv64),
                                        _mm512_mul_ps(bf16_odd(w0), inv64), _mm512_mul_ps(bf16_odd(w1), inv64));
  }
  return fp8_codes64<kE4M3>(_mm512_mul_ps(load16(x), inv64), _mm512_mul_ps(load16(x + 16), inv64),
                            _mm512_mul_ps(load16(x + 32), inv64), _mm512_mul_ps(load16(x + 48), inv64));
}

// 64 values -> their 64 codes in order (codes16, bytes64); kRawNibbles: I4 as signed bytes -8 .. 7.
template <bool kFiniteInv = false, bool kRawNibbles = false, bool kClamp = true, class E>
[[gnu::always_inline]] inline __m512i codes64(const E *x, lb_dtype qtype, __m512 inv, __m512 zero, const CodeRange &range) {
  return bytes64(codes16<kFiniteInv, kRawNibbles, kClamp>(load16(x), qtype, inv, zero, range),
                 codes16<kFiniteInv, kRawNibbles, kClamp>(load16(x + 16), qtype, inv, zero, range),
                 codes16<kFiniteInv, kRawNibbles, kClamp>(load16(x + 32), qtype, inv, zero, range),
                 codes16<kFiniteInv, kRawNibbles, kClamp>(load16(x + 48), qtype, inv, zero, range),
                 qtype == LB_DTYPE_I8 || kRawNibbles);
}

// The byte codes of n values of one block (inv and zero broadcast), the masked tail included.
// kPrefetch: the line of `next` matching each vector coded is prefetched (the grouped kernel
// overlaps the next blocks' transfer with this pass); a template parameter, so the per-row path
// pays no test per vector. kStream: 64-byte-aligned lines of codes go out with non-temporal stores
// (simd/streaming.h).
// kFp8 (with kFiniteInv; codes_run picks it): 1 E4M3, 2 E5M2 — whole lines of 64 through fp8_codes64
// (simd/fp8_avx512.h), in a loop of their own so that its constants stay in registers (inside codes64's
// qtype switch GCC rebuilt them every 64 values, and it was no faster than fp8_encode), with E4M3's
// 2^-8 folded into the inverse scale where that is exact (a scale below 2^118; larger ones take the
// generic path). In cache, one thread, 4096-column rows: per-row fp8 quantize +5-8% (2026-11-27).
template <bool kFiniteInv, bool kPrefetch, bool kStream = false, int kFp8 = 0, bool kClamp = true, class E>
inline void codes_run(const E *x, int64_t n, lb_dtype qtype, __m512 inv, __m512 zero, const CodeRange &range,
                      const float *next, uint8_t *out) {
  // What the lines of 64 multiply by.
  const __m512 inv64 = kFp8 == 1 ? _mm512_mul_ps(inv, _mm512_set1_ps(kE4M3HalfScale)) : inv;
  if constexpr (kFiniteInv && kFp8 == 0) {
    if (qtype == LB_DTYPE_FP8_E5M2) return codes_run<true, kPrefetch, kStream, 2>(x, n, qtype, inv, zero, range, next, out);
    if (qtype == LB_DTYPE_FP8_E4M3 && e4m3_half_scale_folds(_mm512_cvtss_f32(inv)))  // inv is a broadcast
      return codes_run<true, kPrefetch, kStream, 1>(x, n, qtype, inv, zero, range, next, out);
  }
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    if constexpr (kPrefetch)
      for (int k = 0; k < 64; k += 16) _mm_prefetch(reinterpret_cast<const char *>(next + i + k), _MM_HINT_T0);
    if constexpr (kFp8 != 0) store_line<kStream>(out + i, fp8_line<kFp8 == 1>(x + i, inv64));
    else store_line<kStream>(out + i, codes64<kFiniteInv, false, kClamp>(x + i, qtype, inv, zero, range));
  }
  for (; i + 16 <= n; i += 16) {
    if constexpr (kPrefetch) _mm_prefetch(reinterpret_cast<const char *>(next + i), _MM_HINT_T0);
    _mm_storeu_si128(reinterpret_cast<__m128i *>(out + i),
                     _mm512_cvtepi32_epi8(codes16<kFiniteInv, false, kClamp>(load16(x + i), qtype, inv, zero, range)));
  }
  if (i < n) {
    const __mmask16 m = tail_mask(n - i);
    _mm_mask_storeu_epi8(out + i, m, _mm512_cvtepi32_epi8(codes16<kFiniteInv, false, kClamp>(load16z(m, x + i), qtype, inv, zero, range)));
  }
}

// codes_run with its template arguments from the block: finite_inv (|inv| <= FLT_MAX) and next
// (null: no prefetch). kClamp false (clamp_free16's blocks, whose inverse is finite): no clamp.
template <bool kStream = false, bool kClamp = true, class E>
inline void codes_run(bool finite_inv, const E *x, int64_t n, lb_dtype qtype, __m512 inv, __m512 zero, const CodeRange &range,
                      const float *next, uint8_t *out) {
  if (finite_inv || !kClamp) {
    if (next) codes_run<true, true, kStream, 0, kClamp>(x, n, qtype, inv, zero, range, next, out);
    else codes_run<true, false, kStream, 0, kClamp>(x, n, qtype, inv, zero, range, next, out);
  } else {
    if (next) codes_run<false, true, kStream>(x, n, qtype, inv, zero, range, next, out);
    else codes_run<false, false, kStream>(x, n, qtype, inv, zero, range, next, out);
  }
}

// 64 values -> 32 packed I4/U4 bytes (low nibble = even element): the codes in order (codes64),
// then per 16-bit pair lo | hi << 4 as one bitwise select of the pair and the pair >> 4, narrowed.
// Always inlined, as codes64: packed128 takes two, and GCC then called them out of line (a call and the
// qtype switch per 64 values: int4 per row 18% slower from memory, 5% in cache).
template <bool kClamp = true, class E>
[[gnu::always_inline]] inline __m256i packed64_bytes(const E *x, lb_dtype qtype, __m512 inv, __m512 zero, const CodeRange &range) {
  const __m512i b = codes64<false, true, kClamp>(x, qtype, inv, zero, range);  // the select below keeps each low nibble
  const __m512i r = _mm512_ternarylogic_epi32(_mm512_set1_epi16(0x000f), b, _mm512_srli_epi16(b, 4), 0xCA);  // A ? B : C
  return _mm512_cvtepi16_epi8(r);
}
template <bool kClamp = true, class E>
inline void packed64(const E *x, lb_dtype qtype, __m512 inv, __m512 zero, const CodeRange &range, uint8_t *out) {
  _mm256_storeu_si256(reinterpret_cast<__m256i *>(out), packed64_bytes<kClamp>(x, qtype, inv, zero, range));
}
// 32 BF16 values -> their 16 packed bytes, one in the low byte of each 32-bit lane: the load split by parity
// (bf16_even / bf16_odd), so each even code and the odd one after it share a lane and a shift and an or pair them.
template <bool kClamp = true>
[[gnu::always_inline]] inline __m512i nibble_pairs16(const Bf16Bits *x, lb_dtype qtype, __m512 inv, __m512 zero, const CodeRange &range) {
  const __m512i w = _mm512_loadu_si512(x);
  const __m512i even = codes16<false, false, kClamp>(bf16_even(w), qtype, inv, zero, range),
                odd = codes16<false, false, kClamp>(bf16_odd(w), qtype, inv, zero, range);
  return _mm512_or_si512(even, _mm512_slli_epi32(odd, 4));  // codes are 0 .. 15 (not raw nibbles)
}

// 128 values -> 64 packed bytes, one store (kStream: non-temporal when out is 64-byte aligned).
// BF16 rows: nibble_pairs16 four times, bytes64 orders the 64 bytes: 4 shuffles per 128 values where
// widening, ordering all codes and pairing them take ~21.
template <bool kStream, bool kClamp = true, class E>
inline void packed128(const E *x, lb_dtype qtype, __m512 inv, __m512 zero, const CodeRange &range, uint8_t *out) {
  if constexpr (std::is_same_v<E, Bf16Bits>) {
    store_line<kStream>(out, bytes64(nibble_pairs16<kClamp>(x, qtype, inv, zero, range), nibble_pairs16<kClamp>(x + 32, qtype, inv, zero, range),
                                     nibble_pairs16<kClamp>(x + 64, qtype, inv, zero, range),
                                     nibble_pairs16<kClamp>(x + 96, qtype, inv, zero, range), false));
    return;
  }
  store_line<kStream>(out, _mm512_inserti64x4(_mm512_castsi256_si512(packed64_bytes<kClamp>(x, qtype, inv, zero, range)),
                                              packed64_bytes<kClamp>(x + 64, qtype, inv, zero, range), 1));
}

// 32 values -> 16 packed I4/U4 bytes (low nibble = even element); the codes never leave registers.
template <class E>
inline void packed32(const E *x, lb_dtype qtype, __m512 inv, __m512 zero, const CodeRange &range, uint8_t *out) {
  const __m128i c0 = _mm512_cvtepi32_epi8(codes16(load16(x), qtype, inv, zero, range));
  const __m128i c1 = _mm512_cvtepi32_epi8(codes16(load16(x + 16), qtype, inv, zero, range));
  const __m256i w = _mm256_inserti128_si256(_mm256_castsi128_si256(c0), c1, 1);
  const __m256i r = _mm256_or_si256(_mm256_and_si256(w, _mm256_set1_epi16(0x000f)),
                                    _mm256_and_si256(_mm256_srli_epi16(w, 4), _mm256_set1_epi16(0x00f0)));
  _mm_storeu_si128(reinterpret_cast<__m128i *>(out), _mm256_cvtepi16_epi8(r));
}

// 16 nibble codes, one per byte in order, from 8 packed bytes: widen to 16-bit lanes and move each
// high nibble into the lane's high byte.
inline __m128i nibbles16(const uint8_t *packed) {
  const __m128i w = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(packed)));
  return _mm_or_si128(_mm_and_si128(w, _mm_set1_epi16(0x000f)), _mm_slli_epi16(_mm_and_si128(w, _mm_set1_epi16(0x00f0)), 4));
}
