// Blocks of 16..256 columns, 16 blocks of a row per call (AVX-512). Quantize: ranges, parameters,
// scales, zero points and codes while the 16 blocks (at most 16 KiB) are in L1; the block-by-block
// path (RowQuantizer with the per-block kernels) spent more time on each block's horizontal
// min/max, two calls and the scalar parameter store than on its 8 vectors of codes. Dequantize:
// the 16 scales (and zero points) as one vector instead of a parameter table built beforehand
// (with a division per block for an inverse dequantize does not use).
#include <immintrin.h>

#include <cfloat>
#include <type_traits>

#include "../../core/cpu_features.h"
#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx512.h"
#include "lanes_avx512.h"
#include "dequant_avx512.h"

struct MinOp {
  __m512 operator()(__m512 a, __m512 b) const { return _mm512_min_ps(a, b); }
};
struct MaxOp {
  __m512 operator()(__m512 a, __m512 b) const { return _mm512_max_ps(a, b); }
};
struct MagnitudeMaxOp {  // an unsigned max of the bits (|value|'s in absmax16), carried in float vectors
  __m512 operator()(__m512 a, __m512 b) const {
    return _mm512_castsi512_ps(_mm512_max_epu32(_mm512_castps_si512(a), _mm512_castps_si512(b)));
  }
};

// Lane j of the result = op over the 16 lanes of v[j]: a transposing tree (each level halves the
// partials per block and doubles the blocks per vector; 46 instructions for all 16 blocks instead
// of 16 separate 8-instruction reductions). min/max are exact, so the order does not matter (up to
// the sign of a zero, which block_params normalises).
template <class Op>
__m512 reduce16(const __m512 *v, Op op) {
  __m512 u[8], w[4], x[2];
  for (int k = 0; k < 8; ++k)  // u[k]: block 2k in 128-bit chunks 0-1, block 2k+1 in chunks 2-3
    u[k] = op(_mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
              _mm512_shuffle_f32x4(v[2 * k], v[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  for (int k = 0; k < 4; ++k)  // w[k]: chunk i = block 4k+i
    w[k] = op(_mm512_shuffle_f32x4(u[2 * k], u[2 * k + 1], _MM_SHUFFLE(2, 0, 2, 0)),
              _mm512_shuffle_f32x4(u[2 * k], u[2 * k + 1], _MM_SHUFFLE(3, 1, 3, 1)));
  for (int k = 0; k < 2; ++k)  // x[k], chunk c: two partials each of blocks 8k+c and 8k+4+c
    x[k] = op(_mm512_shuffle_ps(w[2 * k], w[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
              _mm512_shuffle_ps(w[2 * k], w[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  // lane 4c + i = block 4i + c; the permutation puts block j in lane j.
  const __m512 r = op(_mm512_shuffle_ps(x[0], x[1], _MM_SHUFFLE(2, 0, 2, 0)), _mm512_shuffle_ps(x[0], x[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512i lane_of_block = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(lane_of_block, r);
}

void store_scales(const lb_quant_params *p, __m512 s, __mmask16 valid, void *scales) {
  if (p->scale_dtype == LB_DTYPE_F32) {
    _mm512_mask_storeu_ps(scales, valid, s);
  } else {
    // F16: s is already an f16 value (exact conversion); BF16: its low 16 bits are zero.
    const __m256i bits = p->scale_dtype == LB_DTYPE_F16 ? _mm512_cvtps_ph(s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)
                                                        : _mm512_cvtepi32_epi16(_mm512_srli_epi32(_mm512_castps_si512(s), 16));
    _mm256_mask_storeu_epi16(scales, valid, bits);
  }
}

// U4 zero points: packed nibbles (low = even block; an odd count leaves the last high nibble 0,
// as store_block does) or F16.
void store_zeros(const lb_quant_params *p, __m512 z, int count, __mmask16 valid, void *zeros) {
  if (p->zero_dtype == LB_DTYPE_F16) {
    _mm256_mask_storeu_epi16(zeros, valid, _mm512_cvtps_ph(z, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return;
  }
  const __m512i w = _mm512_cvtps_epi32(z);  // integers 0..15; as 64-bit lanes: even | odd << 32
  const __m512i pairs = _mm512_or_si512(_mm512_and_si512(w, _mm512_set1_epi64(0xf)), _mm512_slli_epi64(_mm512_srli_epi64(w, 32), 4));
  _mm_mask_storeu_epi8(zeros, static_cast<__mmask16>((1u << ((count + 1) / 2)) - 1u), _mm512_cvtepi64_epi8(pairs));
}

}  // namespace

namespace {

// The ranges of up to 16 blocks of bc values at x (from 0, as minmax), block j in lane j, and a bit
// per block holding NaN or Inf.
struct Ranges16 {
  __m512 lo, hi;
  uint32_t bad;
};
Ranges16 ranges16(const float *x, int count, int64_t bc) {
  const __m512 zero = _mm512_setzero_ps();
  __m512 lo[16], hi[16];
  uint32_t bad = 0;
  for (int j = 0; j < 16; ++j) {
    lo[j] = hi[j] = zero;
    if (j >= count) continue;
    const LaneRange r = lane_range(x + j * bc, bc, zero, zero);
    lo[j] = r.lo;
    hi[j] = r.hi;
    if (!r.finite) bad |= 1u << j;
  }
  return {reduce16(lo, MinOp{}), reduce16(hi, MaxOp{}), bad};
}

// The ranges of up to 16 blocks of bc (a multiple of 16) values for the formats whose parameters
// need only the largest |value| (symmetric_range), as [-amax, amax], from the values' bits: |v|'s
// bits order as unsigned integers like the magnitudes, NaN above Inf, so one integer max a vector
// (after an and) finds the maximum and NaN / Inf at once, where ranges16 spends a float min, a max
// and an FMA probe on two of Zen 4's pipes (in L1: 0.31 against 0.9 ns a vector). For blocks already
// in cache — quantize_groups' (the previous call's code pass prefetched them) and the span path's
// (RangeForm::kMagnitude): from memory the leaner loop streams slower on this host (one thread,
// 1 GiB: 22 against 24 GB/s; per-row fp8 and 128 x 128 blocks lost 5-10% with it), so the range
// passes that stream keep the float loop.
// One block's integer maxes over its values' f32 bits (absmax16, bits16), as 16 lanes of partial
// maxima. 16-bit rows (F16 and BF16 order like f32: sign and magnitude, NaN and Inf above every finite
// value of their sign) take the maxes on their 16-bit patterns, 32 values a vector, then fold each 32-bit
// lane's two halves and widen the folded patterns (exactly) to f32 bits; widening every value first
// would cost two more operations a vector, on the shuffle pipes the code pass also needs.
template <class E>
__m512i widened_halves(__m512i v) {  // the low 16 bits of each 32-bit lane, as f32 bits
  if constexpr (std::is_same_v<E, Bf16Bits>) return _mm512_slli_epi32(v, 16);
  else return _mm512_castps_si512(_mm512_cvtph_ps(_mm512_cvtepi32_epi16(v)));
}
// A block's values, 16 (f32) or 32 (16-bit) a vector, with bc a multiple of 16: f(v, chain) per vector,
// alternating two chains (std::false_type / std::true_type: a compile-time index, so that the callers'
// accumulators stay in registers) so that the loop does not wait on the max latency; 16-bit rows' last 16
// values in the low half of a vector whose other lanes read 0 (which no max here changes).
template <class E, class F>
[[gnu::always_inline]] inline void block_vectors(const E *b, int64_t bc, F f) {
  constexpr int64_t kPer = std::is_same_v<E, float> ? 16 : 32;
  int64_t i = 0;
  for (; i + 2 * kPer <= bc; i += 2 * kPer) {
    f(_mm512_loadu_si512(b + i), std::false_type{});
    f(_mm512_loadu_si512(b + i + kPer), std::true_type{});
  }
  if (i + kPer <= bc) {
    f(_mm512_loadu_si512(b + i), std::false_type{});
    i += kPer;
  }
  if constexpr (kPer == 32)  // f32 rows end above (bc is a multiple of 16); 16-bit rows may have 16 values left
    if (i < bc) f(_mm512_maskz_loadu_epi16(0xffff, b + i), std::false_type{});
}
// The unsigned max of |v|'s bits.
template <class E>
__m512i magnitude_max(const E *b, int64_t bc) {
  constexpr bool k32 = std::is_same_v<E, float>;
  const __m512i magnitude = k32 ? _mm512_set1_epi32(0x7fffffff) : _mm512_set1_epi16(0x7fff);
  __m512i a[2] = {_mm512_setzero_si512(), _mm512_setzero_si512()};
  block_vectors(b, bc, [&](__m512i v, auto chain) {
    constexpr int c = decltype(chain)::value;
    v = _mm512_and_si512(v, magnitude);
    a[c] = k32 ? _mm512_max_epu32(a[c], v) : _mm512_max_epu16(a[c], v);
  });
  if constexpr (k32) return _mm512_max_epu32(a[0], a[1]);
  const __m512i m = _mm512_max_epu16(a[0], a[1]);
  return widened_halves<E>(_mm512_max_epu16(m, _mm512_srli_epi32(m, 16)));
}
// The signed max (h: the largest positive value's bits) and the unsigned max (l: the most negative
// value's, if any) of the bits.
template <class E>
void bit_maxes(const E *b, int64_t bc, __m512i &h_out, __m512i &l_out) {
  constexpr bool k32 = std::is_same_v<E, float>;
  const __m512i zero = _mm512_setzero_si512();
  __m512i h[2] = {zero, zero}, l[2] = {zero, zero};
  block_vectors(b, bc, [&](__m512i v, auto chain) {
    constexpr int c = decltype(chain)::value;
    h[c] = k32 ? _mm512_max_epi32(h[c], v) : _mm512_max_epi16(h[c], v);
    l[c] = k32 ? _mm512_max_epu32(l[c], v) : _mm512_max_epu16(l[c], v);
  });
  if constexpr (k32) {
    h_out = _mm512_max_epi32(h[0], h[1]);
    l_out = _mm512_max_epu32(l[0], l[1]);
  } else {
    const __m512i hm = _mm512_max_epi16(h[0], h[1]), lm = _mm512_max_epu16(l[0], l[1]);
    h_out = widened_halves<E>(_mm512_max_epi16(hm, _mm512_srli_epi32(hm, 16)));
    l_out = widened_halves<E>(_mm512_max_epu16(lm, _mm512_srli_epi32(lm, 16)));
  }
}

// The ranges of up to 16 blocks of bc (a multiple of 16) values for the formats whose parameters
// need only the largest |value| (symmetric_range), as [-amax, amax], from the values' bits: |v|'s
// bits order as unsigned integers like the magnitudes, NaN above Inf, so one integer max a vector
// (after an and) finds the maximum and NaN / Inf at once, where ranges16 spends a float min, a max
// and an FMA probe on two of Zen 4's pipes (in L1: 0.31 against 0.9 ns a vector). For blocks already
// in cache — quantize_groups' (the previous call's code pass prefetched them) and the span path's
// (RangeForm::kMagnitude): from memory the leaner loop streams slower on this host (one thread,
// 1 GiB: 22 against 24 GB/s; per-row fp8 and 128 x 128 blocks lost 5-10% with it), so the range
// passes that stream keep the float loop.
template <class E>
Ranges16 absmax16(const E *x, int count, int64_t bc) {
  __m512 amax[16];
  for (int j = 0; j < 16; ++j) amax[j] = j < count ? _mm512_castsi512_ps(magnitude_max(x + j * bc, bc)) : _mm512_setzero_ps();
  const __m512 m = reduce16(amax, MagnitudeMaxOp{});
  const __mmask16 bad = _mm512_cmpge_epu32_mask(_mm512_castps_si512(m), _mm512_set1_epi32(0x7f800000));
  return {_mm512_sub_ps(_mm512_setzero_ps(), m), m, bad};
}

// The ranges of up to 16 blocks for any format, in integer operations on the values' bits (BitsRange,
// common/quant.h): per vector a signed max (the largest positive value's bits) and an unsigned max (the
// most negative value's, if any), where ranges16 spends a float min, a max and an FMA probe. For blocks
// already in cache (quantize_groups' U4 and I4 in -8..7, RangeForm::kBits): there the float loop took
// ~40% of the call. NaN and Inf of either sign order above every finite value of their sign, so the
// maxes find them.
struct SignedMaxOp {
  __m512 operator()(__m512 a, __m512 b) const {
    return _mm512_castsi512_ps(_mm512_max_epi32(_mm512_castps_si512(a), _mm512_castps_si512(b)));
  }
};
template <class E>
Ranges16 bits16(const E *x, int count, int64_t bc) {
  const __m512i zero = _mm512_setzero_si512();
  __m512 hi[16], lo[16];
  for (int j = 0; j < 16; ++j) {
    __m512i h = zero, l = zero;
    if (j < count) bit_maxes(x + j * bc, bc, h, l);
    hi[j] = _mm512_castsi512_ps(h);
    lo[j] = _mm512_castsi512_ps(l);
  }
  const __m512i h = _mm512_castps_si512(reduce16(hi, SignedMaxOp{})), l = _mm512_castps_si512(reduce16(lo, MagnitudeMaxOp{}));
  const __mmask16 bad = _mm512_cmpge_epi32_mask(h, _mm512_set1_epi32(0x7f800000)) | _mm512_cmpge_epu32_mask(l, _mm512_set1_epi32(static_cast<int>(0xff800000u)));
  // lo: the most negative value where its sign bit is set, else 0 (no negative value).
  const __m512 lo_v = _mm512_maskz_mov_ps(_mm512_cmplt_epi32_mask(l, zero), _mm512_castsi512_ps(l));
  return {lo_v, _mm512_castsi512_ps(h), bad};
}

}  // namespace

// The range pass of blocks that span rows (128 x 128; from memory) and of the span path (MSE clip,
// power-of-two scales; prefetched, so an integer RangeForm): 16 blocks' ranges per
// call, one transposing reduction instead of 16 calls each ending in two horizontal reductions.
int ranges_groups_avx512(const float *x, int count, int64_t bc, RangeForm form, float *lo, float *hi) {
  const Ranges16 r = form == RangeForm::kMagnitude ? absmax16(x, count, bc) : form == RangeForm::kBits ? bits16(x, count, bc) : ranges16(x, count, bc);
  const __mmask16 valid = tail_mask(count);
  _mm512_mask_storeu_ps(lo, valid, r.lo);
  _mm512_mask_storeu_ps(hi, valid, r.hi);
  return r.bad ? __builtin_ctz(r.bad) : -1;
}

namespace {

// The fp8 codes of blocks [0, count) (bc values each, a multiple of 64) under the 16 inverse scales inv,
// each line of 64 through fp8_codes64 where codes_run would take that path (a finite inverse; E4M3's 2^-8
// folding into it exactly: `lines`), the others through codes_run. One loop over the blocks, so that
// fp8_codes64's constants are made once a call: through codes_run, a call per block of 128 values
// rebuilt them and re-tested the block's path, and fp8 g128 quantized ~30% slower than fp8 per row in
// cache (one thread, 2026-11-27). next (or null): the next blocks, prefetched a line per vector coded.
template <bool kE4M3, bool kStream, class E>
void fp8_block_codes(const E *x, int count, int64_t bc, __m512 inv, __mmask16 lines, const CodeRange &range, const float *next,
                     uint8_t *q) {
  constexpr lb_dtype kType = kE4M3 ? LB_DTYPE_FP8_E4M3 : LB_DTYPE_FP8_E5M2;
  const __m512 inv64_all = kE4M3 ? _mm512_mul_ps(inv, _mm512_set1_ps(kE4M3HalfScale)) : inv;
  for (int j = 0; j < count; ++j) {
    const __m512i lane = _mm512_set1_epi32(j);
    const E *g = x + j * bc;
    const float *ahead = next ? next + j * bc : nullptr;
    uint8_t *out = q + j * bc;
    if (!((lines >> j) & 1)) {
      const __m512 block_inv = _mm512_permutexvar_ps(lane, inv);
      codes_run<kStream>(__builtin_fabsf(_mm512_cvtss_f32(block_inv)) <= FLT_MAX, g, bc, kType, block_inv, _mm512_setzero_ps(), range, ahead,
                         out);
      continue;
    }
    const __m512 inv64 = _mm512_permutexvar_ps(lane, inv64_all);
    for (int64_t i = 0; i < bc; i += 64) {
      if (ahead)
        for (int k = 0; k < 64; k += 16) _mm_prefetch(reinterpret_cast<const char *>(ahead + i + k), _MM_HINT_T0);
      store_line<kStream>(out + i, fp8_line<kE4M3>(g + i, inv64));
    }
  }
}

// The integer codes of one block (bc values at g; inv and zero point broadcast) to out: packed I4 / U4 a
// line of 128 values at a time (then 64, 32), int8 through codes_run. next (or null): the matching values of
// the next blocks, prefetched a line per vector coded. kClamp false: clamp_free16 holds for the block.
template <bool kStream, bool kClamp, class E>
void int_block_codes(const E *g, int64_t bc, lb_dtype t, bool finite_inv, __m512 inv, __m512 zero_point, const CodeRange &range,
                     const float *next, uint8_t *out) {
  if (t != LB_DTYPE_I4 && t != LB_DTYPE_U4) {
    codes_run<kStream, kClamp>(finite_inv, g, bc, t, inv, zero_point, range, next, out);
    return;
  }
  for (int64_t i = 0; i < bc;) {  // bc is a multiple of 32: 128 values per step (a line), then 64, 32
    const int64_t step = i + 128 <= bc ? 128 : i + 64 <= bc ? 64 : 32;
    if (next)
      for (int64_t k = 0; k < step; k += 16) _mm_prefetch(reinterpret_cast<const char *>(next + i + k), _MM_HINT_T0);
    if (step == 128) packed128<kStream, kClamp>(g + i, t, inv, zero_point, range, out + i / 2);
    else if (step == 64) packed64<kClamp>(g + i, t, inv, zero_point, range, out + i / 2);
    else packed32(g + i, t, inv, zero_point, range, out + i / 2);
    i += step;
  }
}

template <bool kStream, class E>
int quantize_groups(const E *x, int count, const lb_quant_params *p, void *scales, void *zeros, uint8_t *q, int *bad_scale,
                    const float *ahead) {
  const int64_t bc = p->block_cols;
  const lb_dtype t = p->qtype;
  const __m512 big = _mm512_set1_ps(FLT_MAX);
  // 1. Ranges (from 0, as minmax), and which blocks hold NaN or Inf.
  const Ranges16 ranges = symmetric_range(*p) ? absmax16(x, count, bc) : bits16(x, count, bc);
  // 2. Parameters, scales, zero points.
  const Params16 b = params16(p, ranges.lo, ranges.hi);
  const __mmask16 valid = tail_mask(count);
  const __mmask16 scale_bad = _mm512_mask_cmp_ps_mask(valid, _mm512_abs_ps(b.scale), big, _CMP_NLE_UQ);
  *bad_scale = scale_bad ? __builtin_ctz(scale_bad) : -1;
  store_scales(p, b.scale, valid, scales);
  if (t == LB_DTYPE_U4) store_zeros(p, b.zero, count, valid, zeros);
  // 3. Codes, block by block, from L1. Meanwhile the matching line of the next 16 blocks is
  //    prefetched for each vector coded: the range pass reads from memory, this one does not, and
  //    without the prefetch the two took turns.
  const CodeRange range(*p);
  const bool packed = t == LB_DTYPE_I4 || t == LB_DTYPE_U4;
  const __mmask16 infinite_inv = _mm512_cmp_ps_mask(_mm512_abs_ps(b.inv), big, _CMP_NLE_UQ);
  if ((t == LB_DTYPE_FP8_E4M3 || t == LB_DTYPE_FP8_E5M2) && bc % 64 == 0) {
    // Lines where codes_run takes them (fp8_binary16_route, lane by lane): a finite inverse, and for E4M3
    // inv * 2^-8 * 2^8 == inv.
    __mmask16 lines = static_cast<__mmask16>(~infinite_inv);
    if (t == LB_DTYPE_FP8_E4M3)
      lines &= _mm512_cmp_ps_mask(_mm512_mul_ps(_mm512_mul_ps(b.inv, _mm512_set1_ps(kE4M3HalfScale)), _mm512_set1_ps(256.0f)), b.inv, _CMP_EQ_OQ);
    if (t == LB_DTYPE_FP8_E4M3) fp8_block_codes<true, kStream>(x, count, bc, b.inv, lines, range, ahead, q);
    else fp8_block_codes<false, kStream>(x, count, bc, b.inv, lines, range, ahead, q);
    return ranges.bad ? __builtin_ctz(ranges.bad) : -1;
  }
  const __mmask16 clamp_free = clamp_free16(t, ranges.lo, ranges.hi, b.inv, b.zero, range);
  for (int j = 0; j < count; ++j) {
    const __m512i lane = _mm512_set1_epi32(j);
    const __m512 inv = _mm512_permutexvar_ps(lane, b.inv), zero_point = _mm512_permutexvar_ps(lane, b.zero);
    const E *g = x + j * bc;
    const float *next = ahead ? ahead + j * bc : nullptr;
    uint8_t *out = q + (packed ? j * bc / 2 : j * bc);
    const bool finite_inv = ((infinite_inv >> j) & 1) == 0;
    if ((clamp_free >> j) & 1) int_block_codes<kStream, false>(g, bc, t, finite_inv, inv, zero_point, range, next, out);
    else int_block_codes<kStream, true>(g, bc, t, finite_inv, inv, zero_point, range, next, out);
  }
  return ranges.bad ? __builtin_ctz(ranges.bad) : -1;
}

template <class E>
int quantize_groups_as(const void *x, int count, const lb_quant_params *p, void *scales, void *zeros, uint8_t *q, int *bad_scale,
                       const float *ahead, bool stream) {
  const E *v = static_cast<const E *>(x);
  return stream ? quantize_groups<true>(v, count, p, scales, zeros, q, bad_scale, ahead)
                : quantize_groups<false>(v, count, p, scales, zeros, q, bad_scale, ahead);
}

}  // namespace

int quantize_groups_avx512(const void *x, lb_dtype x_dtype, int count, const lb_quant_params *p, void *scales, void *zeros, uint8_t *q,
                           int *bad_scale, const float *ahead, bool stream) {
  switch (x_dtype) {
    case LB_DTYPE_F16: return quantize_groups_as<F16Bits>(x, count, p, scales, zeros, q, bad_scale, ahead, stream);
    case LB_DTYPE_BF16: return quantize_groups_as<Bf16Bits>(x, count, p, scales, zeros, q, bad_scale, ahead, stream);
    default: return quantize_groups_as<float>(x, count, p, scales, zeros, q, bad_scale, ahead, stream);
  }
}

namespace {

// The values of up to 16 blocks, each through dequantize_run (dequant_avx512.h).
struct DequantizeGroups {
  template <class Put, bool kStream>
  static void run(const uint8_t *q, int count, const lb_quant_params *p, const void *scales, const void *zeros, void *y) {
    const int64_t bc = p->block_cols;
    const lb_dtype t = p->qtype;
    const __mmask16 valid = tail_mask(count);
    __m512 scale;
    if (p->scale_dtype == LB_DTYPE_F32) scale = _mm512_maskz_loadu_ps(valid, scales);
    else if (p->scale_dtype == LB_DTYPE_F16) scale = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(valid, scales));
    else scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(valid, scales)), 16));
    __m512 zero = _mm512_setzero_ps();
    if (t == LB_DTYPE_U4) {
      if (p->zero_dtype == LB_DTYPE_F16) {
        zero = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(valid, zeros));
      } else {  // (count + 1) / 2 bytes of two nibbles, low = even block
        uint8_t bytes[8] = {};
        for (int i = 0; i < (count + 1) / 2; ++i) bytes[i] = static_cast<const uint8_t *>(zeros)[i];
        zero = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(nibbles16(bytes)));
      }
    }
    const bool packed = t == LB_DTYPE_I4 || t == LB_DTYPE_U4;
    for (int j = 0; j < count; ++j) {
      const __m512i lane = _mm512_set1_epi32(j);
      dequantize_run<Put, kStream, true>(t, _mm512_permutexvar_ps(lane, scale), _mm512_permutexvar_ps(lane, zero), q + (packed ? j * bc / 2 : j * bc),
                                   bc, y, j * bc);
    }
  }
};

}  // namespace

void dequantize_groups_avx512(const uint8_t *q, int count, const lb_quant_params *p, const void *scales, const void *zeros,
                              void *y, lb_dtype y_dtype, bool stream) {
  with_put<DequantizeGroups>(y_dtype, stream, q, count, p, scales, zeros, y);
}

}  // namespace lb::cpu
