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

inline float vexp(float x) {
  const float hi = 88.0f, lo = -87.3f;
  const float xc = x > hi ? hi : (x < lo ? lo : x);  // NaN passes through both compares
  // Round to nearest by adding 1.5 · 2^23: the sum's low mantissa bits are round(xc · log2 e).
  const float shifter = 12582912.0f;
  const float t = xc * 1.44269504088896341f + shifter;
  const float n = t - shifter;
  float r = xc - n * 0.693145751953125f;  // ln 2's first 16 bits: n · this is exact
  r = r - n * 1.42860682030941723e-6f;     // the rest of ln 2
  float p = 1.0f / 5040.0f + r * (1.0f / 40320.0f);
  p = 1.0f / 720.0f + r * p;
  p = 1.0f / 120.0f + r * p;
  p = 1.0f / 24.0f + r * p;
  p = 1.0f / 6.0f + r * p;
  p = 0.5f + r * p;
  p = 1.0f + r * p;
  p = 1.0f + r * p;
  int32_t bits;
  memcpy(&bits, &t, sizeof bits);
  const int32_t e = ((bits - 0x4B400000) + 127) << 23;  // t's integer part n, biased, in the exponent field
  float scale;
  memcpy(&scale, &e, sizeof scale);
  const float y = p * scale;
  return x < lo ? 0.0f : y;
}

#if defined(__AVX512F__)
// vexp on 16 lanes with intrinsics, the same operations in the same order (so the same bits),
// for kernels that interleave several independent exp chains by hand.
inline __m512 vexp512(__m512 x) {
  const __m512 hi = _mm512_set1_ps(88.0f), lo = _mm512_set1_ps(-87.3f), shifter = _mm512_set1_ps(12582912.0f);
  // max/min with x as the second operand return x when it is NaN, like the scalar compares.
  const __m512 xc = _mm512_max_ps(lo, _mm512_min_ps(hi, x));
  const __m512 t = _mm512_add_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)), shifter);
  const __m512 n = _mm512_sub_ps(t, shifter);
  __m512 r = _mm512_sub_ps(xc, _mm512_mul_ps(n, _mm512_set1_ps(0.693145751953125f)));
  r = _mm512_sub_ps(r, _mm512_mul_ps(n, _mm512_set1_ps(1.42860682030941723e-6f)));
  __m512 p = _mm512_add_ps(_mm512_set1_ps(1.0f / 5040.0f), _mm512_mul_ps(r, _mm512_set1_ps(1.0f / 40320.0f)));
  p = _mm512_add_ps(_mm512_set1_ps(1.0f / 720.0f), _mm512_mul_ps(r, p));
  p = _mm512_add_ps(_mm512_set1_ps(1.0f / 120.0f), _mm512_mul_ps(r, p));
  p = _mm512_add_ps(_mm512_set1_ps(1.0f / 24.0f), _mm512_mul_ps(r, p));
  p = _mm512_add_ps(_mm512_set1_ps(1.0f / 6.0f), _mm512_mul_ps(r, p));
  p = _mm512_add_ps(_mm512_set1_ps(0.5f), _mm512_mul_ps(r, p));
  p = _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(r, p));
  p = _mm512_add_ps(_mm512_set1_ps(1.0f), _mm512_mul_ps(r, p));
  const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000)),
                                                       _mm512_set1_epi32(127)), 23);
  const __m512 y = _mm512_mul_ps(p, _mm512_castsi512_ps(e));
  return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, lo, _CMP_NLT_UQ), y);  // 0 where x < lo (not for NaN)
}
#endif

#if defined(__AVX2__) && defined(__FMA__)
// vexp on 8 lanes, as vexp512 (the same operations in the same order, so the same bits).
inline __m256 vexp256(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.0f), lo = _mm256_set1_ps(-87.3f), shifter = _mm256_set1_ps(12582912.0f);
  const __m256 xc = _mm256_max_ps(lo, _mm256_min_ps(hi, x));  // x second: NaN passes through
  const __m256 t = _mm256_add_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)), shifter);
  const __m256 n = _mm256_sub_ps(t, shifter);
  __m256 r = _mm256_sub_ps(xc, _mm256_mul_ps(n, _mm256_set1_ps(0.693145751953125f)));
  r = _mm256_sub_ps(r, _mm256_mul_ps(n, _mm256_set1_ps(1.42860682030941723e-6f)));
  __m256 p = _mm256_add_ps(_mm256_set1_ps(1.0f / 5040.0f), _mm256_mul_ps(r, _mm256_set1_ps(1.0f / 40320.0f)));
  p = _mm256_add_ps(_mm256_set1_ps(1.0f / 720.0f), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(_mm256_set1_ps(1.0f / 120.0f), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(_mm256_set1_ps(1.0f / 24.0f), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(_mm256_set1_ps(1.0f / 6.0f), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(_mm256_set1_ps(0.5f), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_mul_ps(r, p));
  p = _mm256_add_ps(_mm256_set1_ps(1.0f), _mm256_mul_ps(r, p));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(t), _mm256_set1_epi32(0x4B400000)),
                                                       _mm256_set1_epi32(127)), 23);
  const __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
  return _mm256_and_ps(_mm256_cmp_ps(x, lo, _CMP_NLT_UQ), y);  // 0 where x < lo (not for NaN)
}
#endif

}  // namespace lb::cpu
