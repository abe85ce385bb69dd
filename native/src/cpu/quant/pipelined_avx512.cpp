// code_widen for AVX-512 (pipelined.inc): steps of 64 values (one line of byte codes) or 128 (one line of
// packed nibbles), codes through fp8_codes64 / codes64 / packed128 as the one-pass kernels make them.
// Per row and 128 x 128 blocks had reached 0.45-0.66 of the copy with a range pass and then a code pass,
// where the grouped kernel, which prefetches the next blocks while it codes, reached 0.74-0.87 (Zen 5
// host, 2026-11-27).
#include <immintrin.h>

#include <type_traits>

#include "../../common/half.h"
#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx512.h"
#include "lanes_avx512.h"

struct Isa {
  template <lb_dtype Q>
  static constexpr int64_t kStep = Q == LB_DTYPE_I4 || Q == LB_DTYPE_U4 ? 128 : 64;

  static constexpr int kLanes = 16;
  static __m512 f16_vector(const uint16_t *p) { return F16::load_raw(p, 0); }
  static __m512 bf16_vector(const uint16_t *p) { return BF16::load_raw(p, 0); }

  // fp8 steps go through fp8_codes64 where codes_run would (a finite inverse, E4M3's 2^-8 folding into it).
  template <lb_dtype Q, bool kStream, bool kClamp = true>
  struct Coder {
    static constexpr bool kFp8 = Q == LB_DTYPE_FP8_E4M3 || Q == LB_DTYPE_FP8_E5M2;
    __m512 inv, zero, inv64;
    CodeRange range;
    bool fp8_lines;
    Coder(const lb_quant_params &p, const BlockParams &b)
        : inv(_mm512_set1_ps(b.inv)), zero(_mm512_set1_ps(b.zero)),
          inv64(Q == LB_DTYPE_FP8_E4M3 ? _mm512_set1_ps(b.inv * kE4M3HalfScale) : inv), range(p),
          fp8_lines(fp8_binary16_route(b.inv, Q == LB_DTYPE_FP8_E4M3)) {}
    bool lines() const { return !kFp8 || fp8_lines; }
    template <class E>
    void step(const E *x, uint8_t *out) const {
      if constexpr (Q == LB_DTYPE_I4 || Q == LB_DTYPE_U4) {
        packed128<kStream, kClamp>(x, Q, inv, zero, range, out);
      } else if constexpr (kFp8) {
        store_line<kStream>(out, fp8_line<Q == LB_DTYPE_FP8_E4M3>(x, inv64));
      } else {
        store_line<kStream>(out, codes64<true, false, kClamp>(x, Q, inv, zero, range));
      }
    }
  };
};

#include "pipelined.inc"

}  // namespace

void code_widen_avx512(const void *a, const BlockParams *params, const float *lo, const float *hi, uint8_t *qa, const void *b, int64_t C,
                       const lb_quant_params *p, lb_dtype x_dtype, BlockLanes *lanes, bool stream, int64_t ahead) {
  code_widen_isa(a, params, lo, hi, qa, b, C, p, x_dtype, lanes, stream, ahead);
}

}  // namespace lb::cpu
