// code_widen for AVX-512 (pipelined.inc): steps of 64 values (one line of byte codes) or 128 (one line of
// packed nibbles), codes through fp8_codes64 / codes64 / packed128 as the one-pass kernels make them.
// Per row and 128 x 128 blocks had reached 0.45-0.66 of the copy with a range pass and then a code pass,
// where the grouped kernel, which prefetches the next blocks while it codes, reached 0.74-0.87 (Zen 5
// host, 2026-11-27).
#include <immintrin.h>

#include <cfloat>

#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx512.h"
#include "lanes_avx512.h"

struct Isa {
  template <lb_dtype Q>
  static constexpr int64_t kStep = Q == LB_DTYPE_I4 || Q == LB_DTYPE_U4 ? 128 : 64;

  static constexpr int kLanes = 16;

  // fp8 steps go through fp8_codes64 where codes_run would (a finite inverse, E4M3's 2^-8 folding into it).
  template <lb_dtype Q, bool kStream>
  struct Coder {
    static constexpr bool kFp8 = Q == LB_DTYPE_FP8_E4M3 || Q == LB_DTYPE_FP8_E5M2;
    __m512 inv, zero, inv64;
    CodeRange range;
    bool fp8_lines;
    Coder(const lb_quant_params &p, const BlockParams &b)
        : inv(_mm512_set1_ps(b.inv)), zero(_mm512_set1_ps(b.zero)),
          inv64(Q == LB_DTYPE_FP8_E4M3 ? _mm512_set1_ps(b.inv * kE4M3HalfScale) : inv), range(p),
          fp8_lines(__builtin_fabsf(b.inv) <= FLT_MAX && (Q != LB_DTYPE_FP8_E4M3 || e4m3_half_scale_folds(b.inv))) {}
    bool lines() const { return !kFp8 || fp8_lines; }
    void step(const float *x, uint8_t *out) const {
      if constexpr (Q == LB_DTYPE_I4 || Q == LB_DTYPE_U4) {
        packed128<kStream>(x, Q, inv, zero, range, out);
      } else {
        __m512i c;
        if constexpr (kFp8) {
          c = fp8_codes64<Q == LB_DTYPE_FP8_E4M3>(_mm512_mul_ps(_mm512_loadu_ps(x), inv64), _mm512_mul_ps(_mm512_loadu_ps(x + 16), inv64),
                                                  _mm512_mul_ps(_mm512_loadu_ps(x + 32), inv64), _mm512_mul_ps(_mm512_loadu_ps(x + 48), inv64));
        } else {
          c = codes64<true>(x, Q, inv, zero, range);
        }
        if (kStream && (reinterpret_cast<uintptr_t>(out) & 63) == 0) _mm512_stream_si512(reinterpret_cast<__m512i *>(out), c);
        else _mm512_storeu_si512(out, c);
      }
    }
  };
};

#include "pipelined.inc"

}  // namespace

void code_widen_avx512(const float *a, const BlockParams *params, uint8_t *qa, const float *b, int64_t C, const lb_quant_params *p,
                       BlockLanes *lanes, bool stream) {
  if (stream) code_widen_isa<true>(a, params, qa, b, C, *p, lanes);
  else code_widen_isa<false>(a, params, qa, b, C, *p, lanes);
}

}  // namespace lb::cpu
