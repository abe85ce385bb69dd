// The MSE clip search's errors on AVX2: clip_avx512.cpp's scheme on 8 lanes — the 21 candidates in three
// vectors, each value's squared error added under all of them at once, every lane in element order with
// common/quant.h's operations, so the sums and the candidate chosen are the scalar path's bit for bit.
#include <immintrin.h>

#include <type_traits>

#include "../../common/fp8.h"
#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx2.h"
#include "clip_lanes.h"
#include "per_qtype.h"

constexpr int kLanes = 8, kVectors = (kMseSteps + kLanes - 1) / kLanes;

// Dequantized fp8 of t0 (lanes 0-7) and t1 (8-15): common/fp8.h's saturating encoder (NaN -> 0x7F, as
// quantize_value's), then the code's value.
template <bool kE4M3>
inline void fp8_round_trip16(__m256 t0, __m256 t1, __m256 (&out)[2]) {
  const __m256i codes = fp8_convert16_avx2<kE4M3, true>(t0, t1);  // low byte of each 16-bit lane
  fp8_halves_to_f32<kE4M3>(fp8_half_of_high_byte<kE4M3>(_mm256_slli_epi16(codes, 8)), out);
}

template <lb_dtype Q>
void clip_errors_as(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *cands, int count, float *err) {
  CandidateLanes<kVectors * kLanes> lanes(cands, count, err);
  const CodeBounds bounds = code_bounds(Q, (p->flags & LB_QUANT_RESTRICT_RANGE) != 0);
  const __m256 low = _mm256_set1_ps(bounds.low), high = _mm256_set1_ps(bounds.high);
  __m256 vinv[kVectors], vscale[kVectors], vzero[kVectors], vacc[kVectors];
  for (int v = 0; v < kVectors; ++v) {
    vinv[v] = _mm256_load_ps(lanes.inv + v * kLanes);
    vscale[v] = _mm256_load_ps(lanes.scale + v * kLanes);
    vzero[v] = _mm256_load_ps(lanes.zero + v * kLanes);
    vacc[v] = _mm256_load_ps(lanes.acc + v * kLanes);
  }
  constexpr bool kFp8 = Q == LB_DTYPE_FP8_E4M3 || Q == LB_DTYPE_FP8_E5M2;
  for (int64_t i = 0; i < n; ++i) {
    const __m256 xv = _mm256_set1_ps(x[i]);
    __m256 xhat[kVectors + 1];
    if constexpr (kFp8) {
      // Two vectors a call: (0, 1), then (2, 2).
      for (int v = 0; v < kVectors; v += 2) {
        const __m256 t0 = _mm256_mul_ps(xv, vinv[v]), t1 = v + 1 < kVectors ? _mm256_mul_ps(xv, vinv[v + 1]) : t0;
        __m256 d[2];
        fp8_round_trip16<Q == LB_DTYPE_FP8_E4M3>(t0, t1, d);
        xhat[v] = _mm256_mul_ps(d[0], vscale[v]);
        if (v + 1 < kVectors) xhat[v + 1] = _mm256_mul_ps(d[1], vscale[v + 1]);
      }
    } else {
      for (int v = 0; v < kVectors; ++v) {
        // quantize_value: rint_even(t [+ zero]), then v < low ? low : (v > high ? high : v) — compares,
        // not min / max, so a NaN stays NaN and converts as the scalar cast does (0x80000000).
        const __m256 t = _mm256_mul_ps(xv, vinv[v]);
        const __m256 r = _mm256_round_ps(Q == LB_DTYPE_U4 ? _mm256_add_ps(t, vzero[v]) : t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m256 c = _mm256_blendv_ps(r, low, _mm256_cmp_ps(r, low, _CMP_LT_OQ));
        c = _mm256_blendv_ps(c, high, _mm256_cmp_ps(c, high, _CMP_GT_OQ));
        const __m256 q = _mm256_cvtepi32_ps(_mm256_cvttps_epi32(c));
        xhat[v] = _mm256_mul_ps(Q == LB_DTYPE_U4 ? _mm256_sub_ps(q, vzero[v]) : q, vscale[v]);
      }
    }
    for (int v = 0; v < kVectors; ++v) {
      const __m256 d = _mm256_sub_ps(xv, xhat[v]);
      vacc[v] = _mm256_add_ps(vacc[v], _mm256_mul_ps(d, d));
    }
  }
  for (int v = 0; v < kVectors; ++v) _mm256_store_ps(lanes.acc + v * kLanes, vacc[v]);
  for (int j = 0; j < count; ++j) err[j] = lanes.acc[j];
}

}  // namespace

void clip_errors_avx2(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *cands, int count, float *err) {
  with_qtype(p->qtype, [&](auto q) { clip_errors_as<decltype(q)::value>(x, n, p, cands, count, err); });
}

}  // namespace lb::cpu
