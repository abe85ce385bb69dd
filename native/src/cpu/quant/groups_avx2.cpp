// Many blocks at once on AVX2 (8 lanes): the ranges of up to 16 blocks with one transposing
// reduction per 8, and block_params of 8 blocks in the lanes of one vector. The block-by-block
// path spent as long on each small block's horizontal min/max and its scalar parameters (three
// divisions) as on its codes: int4 g32 quantized at half the AVX-512 rate (Zen 4 host,
// LOWBIT_ISA=avx2). Each lane does common/quant.h's operations in its order, one rounding each:
// the same parameters as block_params bit for bit.
#include <immintrin.h>

#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx2.h"
#include "lanes_avx2.h"

struct MinOp {
  __m256 operator()(__m256 a, __m256 b) const { return _mm256_min_ps(a, b); }
};
struct MaxOp {
  __m256 operator()(__m256 a, __m256 b) const { return _mm256_max_ps(a, b); }
};
struct AddOp {
  __m256 operator()(__m256 a, __m256 b) const { return _mm256_add_ps(a, b); }
};
struct MagnitudeMaxOp {  // of |value| bits (magnitudes8), carried in float vectors
  __m256 operator()(__m256 a, __m256 b) const {
    return _mm256_castsi256_ps(_mm256_max_epu32(_mm256_castps_si256(a), _mm256_castps_si256(b)));
  }
};

// Lane j of the result = op over the 8 lanes of v[j] (min / max: exact, so the order does not
// matter, up to a zero's sign, which block_params normalises; add: only to find a NaN).
template <class Op>
__m256 reduce8(const __m256 *v, Op op) {
  __m256 a[4], b[2];
  for (int k = 0; k < 4; ++k)  // a[k]: block 2k in the low 128 bits, 2k+1 in the high, 4 partials each
    a[k] = op(_mm256_permute2f128_ps(v[2 * k], v[2 * k + 1], 0x20), _mm256_permute2f128_ps(v[2 * k], v[2 * k + 1], 0x31));
  for (int k = 0; k < 2; ++k)  // b[k], half h: lanes 0-1 block 4k+h, lanes 2-3 block 4k+2+h
    b[k] = op(_mm256_shuffle_ps(a[2 * k], a[2 * k + 1], _MM_SHUFFLE(1, 0, 1, 0)),
              _mm256_shuffle_ps(a[2 * k], a[2 * k + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  // half h, lane i: block 2i + h; the permutation puts block j in lane j.
  const __m256 r = op(_mm256_shuffle_ps(b[0], b[1], _MM_SHUFFLE(2, 0, 2, 0)), _mm256_shuffle_ps(b[0], b[1], _MM_SHUFFLE(3, 1, 3, 1)));
  return _mm256_permutevar8x32_ps(r, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

// The ranges of up to 8 blocks of bc (a multiple of 16) values at x into lo / hi (from 0, as
// minmax); bit j set: block j holds NaN or Inf (v * 0 is NaN exactly for those).
uint32_t ranges8(const float *x, int count, int64_t bc, float *lo_out, float *hi_out) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 lo[8], hi[8], probe[8];
  // Unrolled: as a loop, GCC zeroed the arrays with `rep stos`, 40% of the call at 32 columns.
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    if (j >= count) {
      lo[j] = hi[j] = probe[j] = zero;
      continue;
    }
    const LaneRange8 r = lane_range8(x + j * bc, bc, zero, zero);
    lo[j] = r.lo;
    hi[j] = r.hi;
    probe[j] = r.probe;
  }
  alignas(32) float l[8], h[8];
  _mm256_store_ps(l, reduce8(lo, MinOp{}));
  _mm256_store_ps(h, reduce8(hi, MaxOp{}));
  for (int j = 0; j < count; ++j) {
    lo_out[j] = l[j];
    hi_out[j] = h[j];
  }
  const __m256 p = reduce8(probe, AddOp{});
  return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(p, p, _CMP_UNORD_Q))) & ((1u << count) - 1u);
}

// ranges8 for the symmetric formats (RangeForm::kMagnitude), as [-amax, amax]: |v|'s bits order
// as unsigned integers like the magnitudes, NaN and Inf above every finite one, so an and and an
// unsigned max a vector find the maximum and NaN / Inf at once (groups_avx512.cpp's absmax16, at 8
// lanes): the range step was a fifth (fp8) to a quarter (int8) of a g128 span's time in cache.
uint32_t magnitudes8(const float *x, int count, int64_t bc, float *lo_out, float *hi_out) {
  const __m256i magnitude = _mm256_set1_epi32(0x7fffffff), zero = _mm256_setzero_si256();
  __m256 amax[8];
#pragma GCC unroll 8
  for (int j = 0; j < 8; ++j) {
    __m256i a = zero, a2 = zero;  // two chains, or the loop waits on the max latency
    if (j < count)
      for (int64_t i = 0; i < bc; i += 16) {  // bc: a multiple of 16
        a = _mm256_max_epu32(a, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + j * bc + i)), magnitude));
        a2 = _mm256_max_epu32(a2, _mm256_and_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(x + j * bc + i + 8)), magnitude));
      }
    amax[j] = _mm256_castsi256_ps(_mm256_max_epu32(a, a2));
  }
  const __m256 m = reduce8(amax, MagnitudeMaxOp{});
  alignas(32) float h[8];
  _mm256_store_ps(h, m);
  for (int j = 0; j < count; ++j) {
    lo_out[j] = 0.0f - h[j];
    hi_out[j] = h[j];
  }
  // Bits at or above +Inf's (no sign bit, so the signed compare serves).
  const __m256i bad = _mm256_cmpgt_epi32(_mm256_castps_si256(m), _mm256_set1_epi32(0x7f7fffff));
  return static_cast<uint32_t>(_mm256_movemask_ps(_mm256_castsi256_ps(bad))) & ((1u << count) - 1u);
}

// block_params(p, lo, hi, 1) of 8 blocks (not for LB_QUANT_POW2_SCALE). F16 rounds with F16C's
// converter (RNE, subnormals included), BF16 with common/half.h's integer trick.
void params8(const lb_quant_params *p, __m256 lo, __m256 hi, __m256 &scale, __m256 &inv, __m256 &zero_point) {
  const __m256 zero = _mm256_setzero_ps();
  const lb_dtype t = p->qtype;
  lo = _mm256_add_ps(lo, zero);  // -0 -> +0, as block_params
  hi = _mm256_add_ps(hi, zero);
  const __m256 neg_lo = _mm256_sub_ps(zero, lo);
  __m256 s;
  if (t == LB_DTYPE_U4) {
    s = _mm256_div_ps(_mm256_add_ps(hi, neg_lo), _mm256_set1_ps(15.0f));
  } else if (t == LB_DTYPE_I4 && !(p->flags & LB_QUANT_RESTRICT_RANGE)) {
    s = _mm256_max_ps(_mm256_div_ps(hi, _mm256_set1_ps(7.0f)), _mm256_div_ps(neg_lo, _mm256_set1_ps(8.0f)));
  } else {
    s = _mm256_div_ps(_mm256_max_ps(neg_lo, hi), _mm256_set1_ps(qmax_of(t)));
  }
  if (p->scale_dtype == LB_DTYPE_F16) {
    s = _mm256_cvtph_ps(_mm256_cvtps_ph(s, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  } else if (p->scale_dtype == LB_DTYPE_BF16) {
    const __m256i x = _mm256_castps_si256(s);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    const __m256i r = _mm256_add_epi32(_mm256_add_epi32(x, _mm256_set1_epi32(0x7fff)), lsb);
    s = _mm256_castsi256_ps(_mm256_and_si256(r, _mm256_set1_epi32(static_cast<int>(0xffff0000u))));
  }
  scale = s;
  inv = _mm256_blendv_ps(_mm256_div_ps(_mm256_set1_ps(1.0f), s), zero, _mm256_cmp_ps(s, zero, _CMP_EQ_OQ));
  zero_point = zero;
  if (t != LB_DTYPE_U4) return;
  const __m256 z = _mm256_mul_ps(neg_lo, inv);
  if (p->zero_dtype == LB_DTYPE_U4) {
    const __m256 r = _mm256_round_ps(z, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // r < 0 -> 0, r > 15 -> 15 (a NaN r stays NaN, as the scalar compare chain leaves it)
    const __m256 low = _mm256_blendv_ps(r, zero, _mm256_cmp_ps(r, zero, _CMP_LT_OQ));
    zero_point = _mm256_blendv_ps(low, _mm256_set1_ps(15.0f), _mm256_cmp_ps(low, _mm256_set1_ps(15.0f), _CMP_GT_OQ));
  } else {
    zero_point = _mm256_cvtph_ps(_mm256_cvtps_ph(z, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
}

}  // namespace

int ranges_groups_avx2(const float *x, int count, int64_t bc, RangeForm form, float *lo, float *hi) {
  // kBits as kFloat: a bits8 (groups_avx512.cpp's bits16 at 8 lanes) was within the noise here (int4 / uint4 g128,
  // LOWBIT_ISA=avx2, Zen 5 host: +1-4% in cache, -5 to +3% from memory; 2026-11-27).
  const auto eight = form == RangeForm::kMagnitude ? magnitudes8 : ranges8;
  uint32_t bad = eight(x, count < 8 ? count : 8, bc, lo, hi);
  if (count > 8) bad |= eight(x + 8 * bc, count - 8, bc, lo + 8, hi + 8) << 8;
  return bad ? __builtin_ctz(bad) : -1;
}

void block_params_avx2(const lb_quant_params *p, const float *lo, const float *hi, int64_t count, BlockParams *out) {
  int64_t i = 0;
  if (!(p->flags & LB_QUANT_POW2_SCALE))  // pow2 scales (rare): all scalar
    for (; i + 8 <= count; i += 8) {
      __m256 s, inv, z;
      params8(p, _mm256_loadu_ps(lo + i), _mm256_loadu_ps(hi + i), s, inv, z);
      alignas(32) float sv[8], iv[8], zv[8];
      _mm256_store_ps(sv, s);
      _mm256_store_ps(iv, inv);
      _mm256_store_ps(zv, z);
      for (int j = 0; j < 8; ++j) out[i + j] = BlockParams{sv[j], iv[j], zv[j]};
    }
  for (; i < count; ++i) out[i] = block_params(*p, lo[i], hi[i], 1.0f);
}

}  // namespace lb::cpu
