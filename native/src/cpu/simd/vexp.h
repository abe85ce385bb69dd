// exp(x) for float written so that a loop calling it vectorises (no libm call, no branch, no
// table): glibc's expf is a scalar call of ~5 ns, and softmax over short sequences spent most
// of its time there. Accuracy: within 1 ulp of expf on [-87.3, 88] (checked exhaustively over
// every float there when this was written); exact 0 below -87.3 (where expf only has subnormals
// left), exp(88) = 1.65e38 above 88 (softmax feeds it x <= 0), NaN in -> NaN out.
//
// exp(x) = 2^n · exp(r), n = round(x · log2 e), r = x − n · ln 2 in two parts (Cody–Waite, so r
// keeps its low bits), exp(r) by its Taylor series to degree 7 on |r| ≤ ln2/2 (truncation error
// 0.347^8 / 8! = 5e-9 relative, below float's 6e-8 half-ulp), and 2^n built in the exponent
// field. Every step is a plain float operation, so the scalar, AVX2 and AVX-512 builds of a
// kernel round identically (with -ffp-contract=off).
#pragma once
#include <stdint.h>
#include <string.h>

#if defined(__AVX2__) || defined(__AVX512F__)
#  include <immintrin.h>
#endif

namespace lb::cpu {

// The operations over a value type T (float or a vector of floats): Ops::set1, add, sub, mul (each
// rounded once), clamp(x) = min(88, max(-87.3, x)) with NaN passing through, pow2(t) = the float whose
// exponent field is t's low integer bits n (t = n + 1.5 * 2^23) biased, and zero_below(x, y) = x < -87.3
// ? 0 : y (y for NaN). One list of constants and steps for the scalar, AVX2 and AVX-512 forms.
template <class Ops, class T>
inline T vexp_ops(T x) {
  const T xc = Ops::clamp(x);
  // Round to nearest by adding 1.5 · 2^23: the sum's low mantissa bits are round(xc · log2 e).
  const T shifter = Ops::set1(12582912.0f);
  const T t = Ops::add(Ops::mul(xc, Ops::set1(1.44269504088896341f)), shifter);
  const T n = Ops::sub(t, shifter);
  T r = Ops::sub(xc, Ops::mul(n, Ops::set1(0.693145751953125f)));  // ln 2's first 16 bits: n · this is exact
  r = Ops::sub(r, Ops::mul(n, Ops::set1(1.42860682030941723e-6f)));  // the rest of ln 2
  T p = Ops::add(Ops::set1(1.0f / 5040.0f), Ops::mul(r, Ops::set1(1.0f / 40320.0f)));
  p = Ops::add(Ops::set1(1.0f / 720.0f), Ops::mul(r, p));
  p = Ops::add(Ops::set1(1.0f / 120.0f), Ops::mul(r, p));
  p = Ops::add(Ops::set1(1.0f / 24.0f), Ops::mul(r, p));
  p = Ops::add(Ops::set1(1.0f / 6.0f), Ops::mul(r, p));
  p = Ops::add(Ops::set1(0.5f), Ops::mul(r, p));
  p = Ops::add(Ops::set1(1.0f), Ops::mul(r, p));
  p = Ops::add(Ops::set1(1.0f), Ops::mul(r, p));
  return Ops::zero_below(x, Ops::mul(p, Ops::pow2(t)));
}

constexpr float kVexpHi = 88.0f, kVexpLo = -87.3f;
constexpr int32_t kVexpShifterBits = 0x4B400000;  // the bits of 1.5 · 2^23

struct VexpFloatOps {
  static float set1(float c) { return c; }
  static float add(float a, float b) { return a + b; }
  static float sub(float a, float b) { return a - b; }
  static float mul(float a, float b) { return a * b; }
  static float clamp(float x) { return x > kVexpHi ? kVexpHi : (x < kVexpLo ? kVexpLo : x); }  // NaN passes through both compares
  static float pow2(float t) {
    int32_t bits;
    memcpy(&bits, &t, sizeof bits);
    const int32_t e = ((bits - kVexpShifterBits) + 127) << 23;
    float scale;
    memcpy(&scale, &e, sizeof scale);
    return scale;
  }
  static float zero_below(float x, float y) { return x < kVexpLo ? 0.0f : y; }
};

inline float vexp(float x) { return vexp_ops<VexpFloatOps>(x); }

#if defined(__AVX512F__)
// vexp on 16 lanes, for kernels that interleave several independent exp chains by hand.
struct VexpAvx512Ops {
  static __m512 set1(float c) { return _mm512_set1_ps(c); }
  static __m512 add(__m512 a, __m512 b) { return _mm512_add_ps(a, b); }
  static __m512 sub(__m512 a, __m512 b) { return _mm512_sub_ps(a, b); }
  static __m512 mul(__m512 a, __m512 b) { return _mm512_mul_ps(a, b); }
  // max/min with x as the second operand return x when it is NaN, like the scalar compares.
  static __m512 clamp(__m512 x) { return _mm512_max_ps(set1(kVexpLo), _mm512_min_ps(set1(kVexpHi), x)); }
  static __m512 pow2(__m512 t) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(
        _mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(kVexpShifterBits)), _mm512_set1_epi32(127)), 23));
  }
  static __m512 zero_below(__m512 x, __m512 y) { return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, set1(kVexpLo), _CMP_NLT_UQ), y); }
};
inline __m512 vexp512(__m512 x) { return vexp_ops<VexpAvx512Ops>(x); }
#endif

#if defined(__AVX2__)
// vexp on 8 lanes.
struct VexpAvx2Ops {
  static __m256 set1(float c) { return _mm256_set1_ps(c); }
  static __m256 add(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
  static __m256 sub(__m256 a, __m256 b) { return _mm256_sub_ps(a, b); }
  static __m256 mul(__m256 a, __m256 b) { return _mm256_mul_ps(a, b); }
  static __m256 clamp(__m256 x) { return _mm256_max_ps(set1(kVexpLo), _mm256_min_ps(set1(kVexpHi), x)); }  // NaN x passes through
  static __m256 pow2(__m256 t) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(
        _mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(kVexpShifterBits)), _mm256_set1_epi32(127)), 23));
  }
  static __m256 zero_below(__m256 x, __m256 y) { return _mm256_and_ps(_mm256_cmp_ps(x, set1(kVexpLo), _CMP_NLT_UQ), y); }
};
inline __m256 vexp256(__m256 x) { return vexp_ops<VexpAvx2Ops>(x); }
#endif

}  // namespace lb::cpu
