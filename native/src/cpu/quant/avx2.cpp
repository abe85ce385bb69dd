// Quant row kernels for AVX2 (CPUs without AVX-512: Zen 2/3, Haswell .. Cascade Lake): the hot loops
// by hand, 8 lanes, every lane doing common/quant.h's operations in its order (one rounding each), so
// the codes and values are the scalar path's bit for bit (QuantizerTest compares every variant with
// the Java reference). Tails, odd-width blocks and the rare blocks with an infinite inverse scale take
// kernels.inc's loops. Compiled from kernels.inc alone, these ran 3-9x slower than the AVX-512 ones
// (quantize int8 per row 0.19 of the copy, fp8 0.08; dequantize fp8 128 x 128 0.05; Zen 4 host,
// LOWBIT_ISA=avx2, 2026-11-27).
#include <immintrin.h>

#include <cfloat>
#include <type_traits>

#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx2.h"
#include "../simd/half_avx2.h"
#include "kernels.inc"
#include "lanes_avx2.h"
#include "per_qtype.h"

bool minmax8(const float *x, int64_t n, float *lo_io, float *hi_io) {
  const int64_t n16 = n & ~int64_t{15};
  const LaneRange8 r = lane_range8(x, n16, _mm256_set1_ps(*lo_io), _mm256_set1_ps(*hi_io));
  __m256 lo = r.lo, hi = r.hi;
  // Lanes folded by shuffles (a scalar loop over the 8 lanes took as long as the loads of a 128-value group).
  __m128 l = _mm_min_ps(_mm256_castps256_ps128(lo), _mm256_extractf128_ps(lo, 1));
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(hi), _mm256_extractf128_ps(hi, 1));
  l = _mm_min_ps(l, _mm_movehl_ps(l, l));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  *lo_io = _mm_cvtss_f32(_mm_min_ss(l, _mm_shuffle_ps(l, l, 1)));
  *hi_io = _mm_cvtss_f32(_mm_max_ss(h, _mm_shuffle_ps(h, h, 1)));
  const bool finite = _mm256_movemask_ps(_mm256_cmp_ps(r.probe, r.probe, _CMP_UNORD_Q)) == 0;
  return (n16 == n || minmax(x + n16, n - n16, lo_io, hi_io)) && finite;  // the tail (and its own checks)
}

void quantize_codes8(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *b, uint8_t *codes, bool stream) {
  int64_t i = 0;
  const lb_dtype t = p->qtype;
  if (t == LB_DTYPE_FP8_E4M3 || t == LB_DTYPE_FP8_E5M2) {
    // Finite inverse scales only (an infinite one makes 0 * inv NaN, which kernels.inc encodes); E4M3 needs
    // inv * 2^-8 exact (a scale below 2^118).
    const float inv32 = t == LB_DTYPE_FP8_E4M3 ? b->inv * kE4M3HalfScale : b->inv;
    const bool fast = fp8_binary16_route(b->inv, t == LB_DTYPE_FP8_E4M3);
    if (fast && t == LB_DTYPE_FP8_E4M3)
      for (; i + 32 <= n; i += 32) store32(codes + i, fp8_bytes32<true>(x + i, _mm256_set1_ps(inv32)), stream);
    else if (fast)
      for (; i + 32 <= n; i += 32) store32(codes + i, fp8_bytes32<false>(x + i, _mm256_set1_ps(inv32)), stream);
  } else {
    const IntCoder<> coder(*p, *b);
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    for (; i + 32 <= n; i += 32) {
      const __m256i c = coder.bytes32(x + i);
      store32(codes + i, t == LB_DTYPE_I8 ? c : _mm256_and_si256(c, nibble), stream);
    }
  }
  if (i < n) quantize_codes(x + i, n - i, p, b, codes + i, false);
}

// I4/U4 codes of 32 values straight into 16 packed bytes (low nibble = even element).
void quantize_packed8(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *b, uint8_t *packed, bool stream) {
  const IntCoder<> coder(*p, *b);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) store_codes16(packed + i / 2, coder.packed16(x + i), stream);
  if (i < n) quantize_packed(x + i, n - i, p, b, packed + i / 2, false);
}

// Values (before the scale) of 16 codes, one per byte: the signed value for I8 / I4, c - zero for U4,
// the decoded fp8. Q is a template parameter: a switch on it per call stayed inside the callers' loops.
template <lb_dtype Q>
inline void values16(__m128i bytes, __m256 zero, __m256 (&v)[2]) {
  if constexpr (Q == LB_DTYPE_FP8_E4M3 || Q == LB_DTYPE_FP8_E5M2) {
    fp8_decode16_avx2<Q == LB_DTYPE_FP8_E4M3>(bytes, v);
  } else if constexpr (Q == LB_DTYPE_I4) {
    // two's complement nibbles, all 16 at once: (c ^ 8) - 8
    const __m128i s = _mm_sub_epi8(_mm_xor_si128(bytes, _mm_set1_epi8(8)), _mm_set1_epi8(8));
    v[0] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(s));
    v[1] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(s, 8)));
  } else if constexpr (Q == LB_DTYPE_I8) {
    v[0] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
    v[1] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(bytes, 8)));
  } else {
    v[0] = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)), zero);
    v[1] = _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8))), zero);
  }
}

// 16 values times the scale to y's elements i .. i + 15 as D (half_avx2.h's F32, or F16 narrowed in
// registers with common/half.h's rounding; non-temporal when asked for and the 32 bytes are aligned).
template <class D>
inline void store16(void *y, int64_t i, const __m256 (&v)[2], __m256 scale, bool stream) {
  const __m256 r0 = _mm256_mul_ps(v[0], scale), r1 = _mm256_mul_ps(v[1], scale);
  char *p = static_cast<char *>(y) + i * D::kSize;
  if constexpr (D::kSize == 4) {
    for (int h = 0; h < 2; ++h) {
      float *f = reinterpret_cast<float *>(p) + 8 * h;
      if (stream && (reinterpret_cast<uintptr_t>(f) & 31) == 0) _mm256_stream_ps(f, h ? r1 : r0);
      else _mm256_storeu_ps(f, h ? r1 : r0);
    }
  } else {
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(D::narrow(r0)), D::narrow(r1), 1);
    if (stream && (reinterpret_cast<uintptr_t>(p) & 31) == 0) _mm256_stream_si256(reinterpret_cast<__m256i *>(p), both);
    else _mm256_storeu_si256(reinterpret_cast<__m256i *>(p), both);
  }
}

// The last n < 16 values of a run (scalar: kernels.inc's table), narrowed one by one for F16 y.
void dequantize_tail(const uint8_t *codes, bool packed, int64_t n, lb_dtype qtype, const BlockParams *b, void *y, lb_dtype y_dtype) {
  float v[16];
  if (packed) dequantize_packed(codes, n, qtype, b, v, LB_DTYPE_F32, false);
  else dequantize_codes(codes, n, qtype, b, v, LB_DTYPE_F32, false);
  for (int64_t k = 0; k < n; ++k) {
    if (y_dtype == LB_DTYPE_F16) static_cast<uint16_t *>(y)[k] = f32_to_f16_bits(v[k]);
    else static_cast<float *>(y)[k] = v[k];
  }
}

// f(D{}) with half_avx2.h's codec for y_dtype (F16 or F32).
template <class F>
void with_out(lb_dtype y_dtype, F &&f) {
  if (y_dtype == LB_DTYPE_F16) f(F16{});
  else f(F32{});
}

// y: F32 or F16, the one 16-bit output this table's `narrows` lists (BF16 goes through dispatch's f32 stage).
void dequantize_codes8(const uint8_t *codes, int64_t n, lb_dtype qtype, const BlockParams *b, void *y, lb_dtype y_dtype, bool stream) {
  const __m256 scale = _mm256_set1_ps(b->scale), zero = _mm256_set1_ps(b->zero);
  int64_t i = 0;
  with_out(y_dtype, [&](auto d) {
    with_qtype(qtype, [&](auto q) {
      for (; i + 16 <= n; i += 16) {
        __m256 v[2];
        values16<decltype(q)::value>(_mm_loadu_si128(reinterpret_cast<const __m128i *>(codes + i)), zero, v);
        store16<decltype(d)>(y, i, v, scale, stream);
      }
    });
  });
  if (i < n) dequantize_tail(codes + i, false, n - i, qtype, b, static_cast<char *>(y) + i * RowIn::bytes_of(y_dtype), y_dtype);
}

void dequantize_packed8(const uint8_t *packed, int64_t n, lb_dtype qtype, const BlockParams *b, void *y, lb_dtype y_dtype, bool stream) {
  const __m256 scale = _mm256_set1_ps(b->scale), zero = _mm256_set1_ps(b->zero);
  int64_t i = 0;
  with_out(y_dtype, [&](auto d) {
    with_qtype(qtype, [&](auto q) {
      for (; i + 16 <= n; i += 16) {
        // 8 packed bytes -> 16 codes in order: widen to 16-bit lanes, move each high nibble to the high byte.
        const __m128i w = _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(packed + i / 2)));
        const __m128i c = _mm_or_si128(_mm_and_si128(w, _mm_set1_epi16(0x000f)), _mm_slli_epi16(_mm_and_si128(w, _mm_set1_epi16(0x00f0)), 4));
        __m256 v[2];
        values16<decltype(q)::value>(c, zero, v);
        store16<decltype(d)>(y, i, v, scale, stream);
      }
    });
  });
  if (i < n) dequantize_tail(packed + i / 2, true, n - i, qtype, b, static_cast<char *>(y) + i * RowIn::bytes_of(y_dtype), y_dtype);
}

}  // namespace

QuantRowKernels quant_row_kernels_avx2() {
  QuantRowKernels k = row_kernels();
  k.minmax = minmax8;
  k.block_params_many = block_params_avx2;
  k.ranges_groups = ranges_groups_avx2;
  k.clip_errors = clip_errors_avx2;
  k.quantize_codes = quantize_codes8;
  k.dequantize_codes = dequantize_codes8;
  k.quantize_packed = quantize_packed8;
  k.dequantize_packed = dequantize_packed8;
  k.code_widen = code_widen_avx2;
  // F16 only: BF16's exact integer rounding inside the decode loops ran 10-25% slower than the stage (16
  // ymm registers), F16's single VCVTPS2PH 5-18% faster (in L2; from memory F16 int4 g128 / fp8 per row
  // +5-12%, Zen 5 host with LOWBIT_ISA=avx2, 2026-11-28 (24)).
  k.narrows = 1u << LB_DTYPE_F16;
  return k;
}

}  // namespace lb::cpu
