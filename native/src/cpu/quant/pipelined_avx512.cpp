// Quantize's two passes over rows in one loop (AVX-512): the codes of row a — in cache, its range
// pass has just run — and the range of the row after it, b, from memory, a step of each at a time.
// Ranging a row and then coding it leaves memory idle while the codes are made, and the code pass is
// the costly one for fp8 (~45 instructions for 64 values): per-row and 128 x 128 blocks reached
// 0.45-0.66 of the copy where the grouped kernel, which prefetches the next blocks while it codes,
// reached 0.74-0.87 (Zen 5 host, 2026-11-27). The codes are codes_run's and packed128's and the
// ranges exact (min / max, or integer maxes of |v|'s bits), so the results are the same bits as the
// two-pass path's.
#include <immintrin.h>

#include <cfloat>

#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx512.h"
#include "lanes_avx512.h"

// One block's lanes while a row of it is widened into them (BlockLanes). kSym: one integer max of
// |v|'s bits a value, in `hi` (NaN and Inf order above every finite magnitude); else min, max and the
// probe v * 0 (NaN iff a value was not finite). Each step's vectors are combined in a tree first, so
// the accumulators' dependency chains grow by one operation a step, not one a vector.
template <bool kSym>
struct Lanes {
  __m512 lo, hi, probe;
  explicit Lanes(const BlockLanes &l) : lo(_mm512_loadu_ps(l.lo)), hi(_mm512_loadu_ps(l.hi)), probe(_mm512_loadu_ps(l.probe)) {}
  // Four consecutive vectors at x.
  void widen4(const float *x) {
    const __m512 v0 = _mm512_loadu_ps(x), v1 = _mm512_loadu_ps(x + 16), v2 = _mm512_loadu_ps(x + 32), v3 = _mm512_loadu_ps(x + 48);
    if constexpr (kSym) {
      const __m512i m = _mm512_set1_epi32(0x7fffffff);
      const __m512i a01 = _mm512_max_epu32(_mm512_and_si512(_mm512_castps_si512(v0), m), _mm512_and_si512(_mm512_castps_si512(v1), m));
      const __m512i a23 = _mm512_max_epu32(_mm512_and_si512(_mm512_castps_si512(v2), m), _mm512_and_si512(_mm512_castps_si512(v3), m));
      hi = _mm512_castsi512_ps(_mm512_max_epu32(_mm512_castps_si512(hi), _mm512_max_epu32(a01, a23)));
    } else {
      const __m512 zero = _mm512_setzero_ps();
      lo = _mm512_min_ps(lo, _mm512_min_ps(_mm512_min_ps(v0, v1), _mm512_min_ps(v2, v3)));
      hi = _mm512_max_ps(hi, _mm512_max_ps(_mm512_max_ps(v0, v1), _mm512_max_ps(v2, v3)));
      const __m512 p01 = _mm512_fmadd_ps(v0, zero, _mm512_mul_ps(v1, zero)), p23 = _mm512_fmadd_ps(v2, zero, _mm512_mul_ps(v3, zero));
      probe = _mm512_add_ps(probe, _mm512_add_ps(p01, p23));
    }
  }
  void store(BlockLanes &l) const {
    _mm512_storeu_ps(l.lo, lo);
    _mm512_storeu_ps(l.hi, hi);
    _mm512_storeu_ps(l.probe, probe);
  }
};

// The codes of a block of bc values (a multiple of 128) at a into qa, and the widening of the lanes
// by the block of the next row at b, a step at a time: 64 values (one line of byte codes) or 128 (one
// line of packed nibbles). kCode / kWiden: which of the two this call does (the first row of a run is
// only ranged, the last only coded). Q is a compile-time format, so codes16's switch folds away.
template <lb_dtype Q, bool kSym, bool kStream, bool kCode, bool kWiden>
void block_step_loop(const float *a, const float *b, int64_t bc, const BlockParams &bp, const CodeRange &range, uint8_t *qa,
                     BlockLanes *lanes) {
  constexpr bool kPacked = Q == LB_DTYPE_I4 || Q == LB_DTYPE_U4;
  constexpr bool kFp8 = Q == LB_DTYPE_FP8_E4M3 || Q == LB_DTYPE_FP8_E5M2;
  Lanes<kSym> l(*lanes);
  const __m512 inv = _mm512_set1_ps(bp.inv), zero = _mm512_set1_ps(bp.zero);
  // fp8 lines go through fp8_codes64 where codes_run would (a finite inverse, E4M3's 2^-8 folding);
  // other blocks are coded by codes_run itself and only ranged here.
  bool lines = true;
  if constexpr (kCode && kFp8) lines = __builtin_fabsf(bp.inv) <= FLT_MAX && (Q == LB_DTYPE_FP8_E5M2 || e4m3_half_scale_folds(bp.inv));
  if (kCode && !lines) codes_run<kStream>(false, a, bc, Q, inv, zero, range, nullptr, qa);
  const __m512 inv64 = Q == LB_DTYPE_FP8_E4M3 ? _mm512_mul_ps(inv, _mm512_set1_ps(kE4M3HalfScale)) : inv;
  constexpr int64_t kStep = kPacked ? 128 : 64;
  for (int64_t i = 0; i < bc; i += kStep) {
    if constexpr (kWiden) {
      l.widen4(b + i);
      if constexpr (kPacked) l.widen4(b + i + 64);
    }
    if constexpr (kCode) {
      if constexpr (kPacked) {
        packed128<kStream>(a + i, Q, inv, zero, range, qa + i / 2);
      } else if (lines) {
        __m512i c;
        if constexpr (kFp8) {
          const float *v = a + i;
          c = fp8_codes64<Q == LB_DTYPE_FP8_E4M3>(_mm512_mul_ps(_mm512_loadu_ps(v), inv64), _mm512_mul_ps(_mm512_loadu_ps(v + 16), inv64),
                                                  _mm512_mul_ps(_mm512_loadu_ps(v + 32), inv64), _mm512_mul_ps(_mm512_loadu_ps(v + 48), inv64));
        } else {
          c = codes64<true>(a + i, Q, inv, zero, range);
        }
        if (kStream && (reinterpret_cast<uintptr_t>(qa + i) & 63) == 0) _mm512_stream_si512(reinterpret_cast<__m512i *>(qa + i), c);
        else _mm512_storeu_si512(qa + i, c);
      }
    }
  }
  if constexpr (kWiden) l.store(*lanes);
}

template <lb_dtype Q, bool kSym, bool kStream, bool kCode, bool kWiden>
void blocks_of_row(const float *a, const float *b, int64_t C, int64_t bc, const BlockParams *params, const CodeRange &range, uint8_t *qa,
                   BlockLanes *lanes) {
  constexpr int64_t kPerByte = Q == LB_DTYPE_I4 || Q == LB_DTYPE_U4 ? 2 : 1;
  for (int64_t cb = 0; cb < C; ++cb) {
    const BlockParams bp = kCode ? params[cb] : BlockParams{};
    block_step_loop<Q, kSym, kStream, kCode, kWiden>(kCode ? a + cb * bc : nullptr, kWiden ? b + cb * bc : nullptr, bc, bp, range,
                                                      kCode ? qa + cb * bc / kPerByte : nullptr, lanes + cb);
  }
}

template <lb_dtype Q, bool kSym, bool kStream>
void code_widen_as(const float *a, const BlockParams *params, uint8_t *qa, const float *b, int64_t C, int64_t bc, const CodeRange &range,
                   BlockLanes *lanes) {
  if (a && b) blocks_of_row<Q, kSym, kStream, true, true>(a, b, C, bc, params, range, qa, lanes);
  else if (a) blocks_of_row<Q, kSym, kStream, true, false>(a, b, C, bc, params, range, qa, lanes);
  else if (b) blocks_of_row<Q, kSym, kStream, false, true>(a, b, C, bc, params, range, qa, lanes);
}

template <bool kStream>
void code_widen_stream(const float *a, const BlockParams *params, uint8_t *qa, const float *b, int64_t C, const lb_quant_params *p,
                       BlockLanes *lanes) {
  const int64_t bc = p->block_cols;
  const CodeRange range(*p);
  switch (p->qtype) {
    case LB_DTYPE_I8: return code_widen_as<LB_DTYPE_I8, true, kStream>(a, params, qa, b, C, bc, range, lanes);
    case LB_DTYPE_FP8_E4M3: return code_widen_as<LB_DTYPE_FP8_E4M3, true, kStream>(a, params, qa, b, C, bc, range, lanes);
    case LB_DTYPE_FP8_E5M2: return code_widen_as<LB_DTYPE_FP8_E5M2, true, kStream>(a, params, qa, b, C, bc, range, lanes);
    case LB_DTYPE_I4:
      if (symmetric_range(*p)) return code_widen_as<LB_DTYPE_I4, true, kStream>(a, params, qa, b, C, bc, range, lanes);
      return code_widen_as<LB_DTYPE_I4, false, kStream>(a, params, qa, b, C, bc, range, lanes);
    default: return code_widen_as<LB_DTYPE_U4, false, kStream>(a, params, qa, b, C, bc, range, lanes);
  }
}

}  // namespace

void code_widen_avx512(const float *a, const BlockParams *params, uint8_t *qa, const float *b, int64_t C, const lb_quant_params *p,
                       BlockLanes *lanes, bool stream) {
  if (stream) code_widen_stream<true>(a, params, qa, b, C, p, lanes);
  else code_widen_stream<false>(a, params, qa, b, C, p, lanes);
}

int lanes_ranges_avx512(const BlockLanes *lanes, int64_t C, const lb_quant_params *p, float *lo, float *hi) {
  int bad = -1;
  const bool sym = symmetric_range(*p);
  for (int64_t cb = 0; cb < C; ++cb) {
    bool finite;
    if (sym) {
      const uint32_t m = _mm512_reduce_max_epu32(_mm512_castps_si512(_mm512_loadu_ps(lanes[cb].hi)));
      float amax;
      __builtin_memcpy(&amax, &m, sizeof amax);
      lo[cb] = -amax;
      hi[cb] = amax;
      finite = magnitude_finite(m);
    } else {
      const __m512 probe = _mm512_loadu_ps(lanes[cb].probe);
      lo[cb] = _mm512_reduce_min_ps(_mm512_loadu_ps(lanes[cb].lo));
      hi[cb] = _mm512_reduce_max_ps(_mm512_loadu_ps(lanes[cb].hi));
      finite = _mm512_cmp_ps_mask(probe, probe, _CMP_UNORD_Q) == 0;
    }
    if (!finite && bad < 0) bad = static_cast<int>(cb);
  }
  return bad;
}

}  // namespace lb::cpu
