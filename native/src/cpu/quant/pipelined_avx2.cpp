// code_widen for AVX2 (pipelined.inc): steps of 32 values (32 byte codes, or 16 packed bytes), coded as
// avx2.cpp's row kernels code them (IntCoder, fp8_bytes32), 8 lanes of each BlockLanes field (the rest
// stay zero: the empty range).
#include <immintrin.h>

#include <cfloat>

#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx2.h"
#include "lanes_avx2.h"

struct Isa {
  template <lb_dtype Q>
  static constexpr int64_t kStep = 32;

  // As AVX-512's (pipelined_avx512.cpp): integer maxes of |v|'s bits for the symmetric formats, else
  // min, max and the probe; each four vectors combined in a tree first.
  template <bool kSym>
  struct Lanes {
    __m256 lo, hi, probe;
    explicit Lanes(const BlockLanes &l) : lo(_mm256_loadu_ps(l.lo)), hi(_mm256_loadu_ps(l.hi)), probe(_mm256_loadu_ps(l.probe)) {}
    template <int64_t kN>
    void widen(const float *x) {
      static_assert(kN == 32);
      const __m256 v0 = _mm256_loadu_ps(x), v1 = _mm256_loadu_ps(x + 8), v2 = _mm256_loadu_ps(x + 16), v3 = _mm256_loadu_ps(x + 24);
      if constexpr (kSym) {
        const __m256i m = _mm256_set1_epi32(0x7fffffff);
        const auto mag = [&](__m256 v) { return _mm256_and_si256(_mm256_castps_si256(v), m); };
        const __m256i top = _mm256_max_epu32(_mm256_max_epu32(mag(v0), mag(v1)), _mm256_max_epu32(mag(v2), mag(v3)));
        hi = _mm256_castsi256_ps(_mm256_max_epu32(_mm256_castps_si256(hi), top));
      } else {
        const __m256 zero = _mm256_setzero_ps();
        lo = _mm256_min_ps(lo, _mm256_min_ps(_mm256_min_ps(v0, v1), _mm256_min_ps(v2, v3)));
        hi = _mm256_max_ps(hi, _mm256_max_ps(_mm256_max_ps(v0, v1), _mm256_max_ps(v2, v3)));
        const __m256 p01 = _mm256_fmadd_ps(v0, zero, _mm256_mul_ps(v1, zero)), p23 = _mm256_fmadd_ps(v2, zero, _mm256_mul_ps(v3, zero));
        probe = _mm256_add_ps(probe, _mm256_add_ps(p01, p23));
      }
    }
    void store(BlockLanes &l) const {
      _mm256_storeu_ps(l.lo, lo);
      _mm256_storeu_ps(l.hi, hi);
      _mm256_storeu_ps(l.probe, probe);
    }
  };

  // fp8 steps only with a finite inverse scale (and E4M3's 2^-8 folding into it), as quantize_codes8.
  template <lb_dtype Q, bool kStream>
  struct Coder {
    static constexpr bool kFp8 = Q == LB_DTYPE_FP8_E4M3 || Q == LB_DTYPE_FP8_E5M2;
    IntCoder ints;
    __m256 inv32;
    bool fp8_lines;
    Coder(const lb_quant_params &p, const BlockParams &b)
        : ints(p, b), inv32(_mm256_set1_ps(Q == LB_DTYPE_FP8_E4M3 ? b.inv * kE4M3HalfScale : b.inv)),
          fp8_lines(__builtin_fabsf(b.inv) <= FLT_MAX && (Q != LB_DTYPE_FP8_E4M3 || e4m3_half_scale_folds(b.inv))) {}
    bool lines() const { return !kFp8 || fp8_lines; }
    void step(const float *x, uint8_t *out) const {
      if constexpr (Q == LB_DTYPE_I4 || Q == LB_DTYPE_U4) store_codes16(out, ints.packed16(x), kStream);
      else if constexpr (kFp8) store32(out, fp8_bytes32<Q == LB_DTYPE_FP8_E4M3>(x, inv32), kStream);
      else store32(out, ints.bytes32(x), kStream);
    }
  };
};

#include "pipelined.inc"

}  // namespace

void code_widen_avx2(const float *a, const BlockParams *params, uint8_t *qa, const float *b, int64_t C, const lb_quant_params *p,
                     BlockLanes *lanes, bool stream) {
  if (stream) code_widen_isa<true>(a, params, qa, b, C, *p, lanes);
  else code_widen_isa<false>(a, params, qa, b, C, *p, lanes);
}

}  // namespace lb::cpu
