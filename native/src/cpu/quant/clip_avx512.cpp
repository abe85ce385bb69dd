// The MSE clip search's errors on AVX-512: the 21 candidate parameters of a block in the lanes of two
// vectors, each value broadcast and quantized, dequantized and its squared error added under all of
// them at once. Every lane adds its candidate's errors in element order, as the scalar loop does, with
// common/quant.h's operations (one rounding each), so each sum, and the candidate chosen, is the
// scalar path's bit for bit. The scalar search spent ~120 ns an element (21 sequential sums), 700x
// the quantize itself (int4 g128, 4096 x 4096, Zen 4 host).
#include <immintrin.h>

#include <type_traits>

#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx512.h"
#include "clip_lanes.h"
#include "per_qtype.h"

constexpr int kLanes = 16, kVectors = (kMseSteps + kLanes - 1) / kLanes;

template <lb_dtype Q>
void clip_errors_as(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *cands, int count, float *err) {
  CandidateLanes<kVectors * kLanes> lanes(cands, count, err);
  const CodeBounds bounds = code_bounds(Q, (p->flags & LB_QUANT_RESTRICT_RANGE) != 0);
  const __m512 low = _mm512_set1_ps(bounds.low), high = _mm512_set1_ps(bounds.high);
  __m512 vinv[kVectors], vscale[kVectors], vzero[kVectors], vacc[kVectors];
  for (int v = 0; v < kVectors; ++v) {
    vinv[v] = _mm512_load_ps(lanes.inv + v * kLanes);
    vscale[v] = _mm512_load_ps(lanes.scale + v * kLanes);
    vzero[v] = _mm512_load_ps(lanes.zero + v * kLanes);
    vacc[v] = _mm512_load_ps(lanes.acc + v * kLanes);
  }
  for (int64_t i = 0; i < n; ++i) {
    const __m512 xv = _mm512_set1_ps(x[i]);
    for (int v = 0; v < kVectors; ++v) {
      const __m512 t = _mm512_mul_ps(xv, vinv[v]);
      __m512 xhat;
      if constexpr (Q == LB_DTYPE_FP8_E4M3) {
        xhat = _mm512_mul_ps(e4m3_decode16(e4m3_encode16(t, true)), vscale[v]);
      } else if constexpr (Q == LB_DTYPE_FP8_E5M2) {
        xhat = _mm512_mul_ps(e5m2_decode16(e5m2_encode16(t, true)), vscale[v]);
      } else {
        // quantize_value: rint_even(t [+ zero]), then v < low ? low : (v > high ? high : v) — compares,
        // not min / max, so a NaN stays NaN and converts as the scalar cast does (0x80000000).
        const __m512 r = _mm512_roundscale_ps(Q == LB_DTYPE_U4 ? _mm512_add_ps(t, vzero[v]) : t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512 c = _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(r, low, _CMP_LT_OQ), low);
        c = _mm512_mask_mov_ps(c, _mm512_cmp_ps_mask(c, high, _CMP_GT_OQ), high);
        const __m512 q = _mm512_cvtepi32_ps(_mm512_cvttps_epi32(c));
        xhat = _mm512_mul_ps(Q == LB_DTYPE_U4 ? _mm512_sub_ps(q, vzero[v]) : q, vscale[v]);
      }
      const __m512 d = _mm512_sub_ps(xv, xhat);
      vacc[v] = _mm512_add_ps(vacc[v], _mm512_mul_ps(d, d));
    }
  }
  for (int v = 0; v < kVectors; ++v) _mm512_store_ps(lanes.acc + v * kLanes, vacc[v]);
  for (int j = 0; j < count; ++j) err[j] = lanes.acc[j];
}

}  // namespace

void clip_errors_avx512(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *cands, int count, float *err) {
  with_qtype(p->qtype, [&](auto q) { clip_errors_as<decltype(q)::value>(x, n, p, cands, count, err); });
}

}  // namespace lb::cpu
