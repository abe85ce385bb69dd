// code_widen for AVX2 (pipelined.inc): steps of 32 values (32 byte codes, or 16 packed bytes), coded as
// avx2.cpp's row kernels code them (IntCoder, fp8_bytes32), 8 lanes of each BlockLanes field (the rest
// stay zero: the empty range).
#include <immintrin.h>

#include <type_traits>

#include "../../common/half.h"
#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx2.h"
#include "../simd/half_avx2.h"
#include "lanes_avx2.h"

struct Isa {
  template <lb_dtype Q>
  static constexpr int64_t kStep = 32;

  static constexpr int kLanes = 8;
  static __m256 f16_vector(const uint16_t *p) { return F16::load_raw(p); }
  static __m256 bf16_vector(const uint16_t *p) { return BF16::load_raw(p); }

  // fp8 steps only with a finite inverse scale (and E4M3's 2^-8 folding into it), as quantize_codes8.
  template <lb_dtype Q, bool kStream, bool kClamp = true>
  struct Coder {
    static constexpr bool kFp8 = Q == LB_DTYPE_FP8_E4M3 || Q == LB_DTYPE_FP8_E5M2;
    IntCoder<kClamp> ints;
    __m256 inv32;
    bool fp8_lines;
    Coder(const lb_quant_params &p, const BlockParams &b)
        : ints(p, b), inv32(_mm256_set1_ps(Q == LB_DTYPE_FP8_E4M3 ? b.inv * kE4M3HalfScale : b.inv)),
          fp8_lines(fp8_binary16_route(b.inv, Q == LB_DTYPE_FP8_E4M3)) {}
    bool lines() const { return !kFp8 || fp8_lines; }
    // 16-bit values are widened into a line of the step's f32 values first (the code kernels read f32).
    template <class E>
    void step(const E *x, uint8_t *out) const {
      if constexpr (std::is_same_v<E, float>) {
        step_f32(x, out);
      } else {
        alignas(32) float line[kStep<Q>];
        for (int k = 0; k < kStep<Q>; k += 8)
          _mm256_store_ps(line + k, std::is_same_v<E, F16Bits> ? f16_vector(&x[k].bits) : bf16_vector(&x[k].bits));
        step_f32(line, out);
      }
    }
    void step_f32(const float *x, uint8_t *out) const {
      if constexpr (Q == LB_DTYPE_I4 || Q == LB_DTYPE_U4) store_codes16(out, ints.packed16(x), kStream);
      else if constexpr (kFp8) store32(out, fp8_bytes32<Q == LB_DTYPE_FP8_E4M3>(x, inv32), kStream);
      else store32(out, ints.bytes32(x), kStream);
    }
  };
};

#include "pipelined.inc"

}  // namespace

void code_widen_avx2(const void *a, const BlockParams *params, const float *lo, const float *hi, uint8_t *qa, const void *b, int64_t C,
                     const lb_quant_params *p, lb_dtype x_dtype, BlockLanes *lanes, bool stream, int64_t ahead) {
  code_widen_isa(a, params, lo, hi, qa, b, C, p, x_dtype, lanes, stream, ahead);
}

}  // namespace lb::cpu
