// OCP FP8 formats, bit-exact and shared by every backend.
//   E4M3 ("E4M3FN"): bias 7, no Inf, max 448 (0x7E), NaN = S.1111.111, min subnormal 2^-9.
//   E5M2: bias 15, IEEE-like (Inf = S.11111.00), max 57344 (0x7B), min subnormal 2^-16.
// Encoding rounds to nearest even and matches CUDA's __nv_cvt_float_to_fp8 (checked by
// native/tests/fp8_oracle_test.cpp against cuda_fp8.h): NaN -> 0x7F; past the overflow
// midpoint -> signed max (saturate) or NaN/Inf (not saturating).
//
// On sm_89 and later, saturating encodes use the hardware's cvt.rn.satfinite (the operation
// __nv_cvt_float_to_fp8 compiles to there, which the oracle test holds these functions to), one
// instruction where the integer path is about ten with a branch per range; NaN gets 0x7F by a select,
// since the instruction's NaN bits are not documented.
#pragma once
#include "half.h"

namespace lb {

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
#  define LB_FP8_CVT 1
// The low byte of cvt.rn.satfinite.{e4m3x2, e5m2x2}.f32 of (0, x): x's code.
__device__ __forceinline__ uint8_t e4m3_satfinite(float x) {
  uint16_t pair;
  asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(pair) : "f"(0.0f), "f"(x));
  return static_cast<uint8_t>(pair);
}
__device__ __forceinline__ uint8_t e5m2_satfinite(float x) {
  uint16_t pair;
  asm("cvt.rn.satfinite.e5m2x2.f32 %0, %1, %2;" : "=h"(pair) : "f"(0.0f), "f"(x));
  return static_cast<uint8_t>(pair);
}
#endif

LB_HD uint8_t f32_to_e4m3(float x, bool saturate) {
  const uint32_t u = float_bits(x);
  const uint32_t sign = (u >> 24) & 0x80u;
  const uint32_t a = u & kF32AbsMask;
#ifdef LB_FP8_CVT
  if (saturate) return a > kF32Inf ? 0x7f : e4m3_satfinite(x);
#endif
  if (a > kF32Inf) return 0x7f;
  // 464 = 448 + half an ulp: a tie there rounds to 448 (even mantissa); beyond overflows.
  if (a > 0x43e80000u) return static_cast<uint8_t>(sign | (saturate ? 0x7eu : 0x7fu));
  if (a >= 0x3c800000u) {  // >= 2^-6: normal; round the 20 dropped mantissa bits to even
    const uint32_t r = a + 0x7ffffu + ((a >> 20) & 1u);
    return static_cast<uint8_t>(sign | ((r >> 20) - (120u << 3)));  // re-bias 127 -> 7
  }
  // Subnormal: a multiple of 2^-9, exact in float; 8 * 2^-9 rounds up into the min normal.
  return static_cast<uint8_t>(sign | static_cast<uint32_t>(rint_even(bits_float(a) * 512.0f)));
}

LB_HD uint8_t f32_to_e5m2(float x, bool saturate) {
  const uint32_t u = float_bits(x);
  const uint32_t sign = (u >> 24) & 0x80u;
  const uint32_t a = u & kF32AbsMask;
#ifdef LB_FP8_CVT
  if (saturate) return a > kF32Inf ? 0x7f : e5m2_satfinite(x);
#endif
  if (a > kF32Inf) return 0x7f;
  // 61440 = 57344 + half an ulp: a tie there rounds up (odd mantissa), i.e. overflows.
  if (a >= 0x47700000u) return static_cast<uint8_t>(sign | (saturate ? 0x7bu : 0x7cu));
  if (a >= 0x38800000u) {  // >= 2^-14: normal
    const uint32_t r = a + 0xfffffu + ((a >> 21) & 1u);
    return static_cast<uint8_t>(sign | ((r >> 21) - (112u << 2)));  // re-bias 127 -> 15
  }
  return static_cast<uint8_t>(sign | static_cast<uint32_t>(rint_even(bits_float(a) * 65536.0f)));
}

LB_HD float e4m3_to_f32(uint8_t b) {
  const uint32_t sign = static_cast<uint32_t>(b & 0x80u) << 24;
#ifdef LB_FP8_CVT
  // The hardware's decode to f16 (exact: every E4M3 value is a binary16), then to f32 (exact).
  uint32_t h2;  // the code in both bytes, so both halves hold its value whichever byte maps where
  asm("cvt.rn.f16x2.e4m3x2 %0, %1;" : "=r"(h2) : "h"(static_cast<uint16_t>(b * 0x0101u)));
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(static_cast<uint16_t>(h2 & 0xffffu)));
  return (b & 0x7fu) == 0x7fu ? bits_float(sign | kF32Inf | kF32QuietBit) : f;
#endif
  const uint32_t e = (b >> 3) & 0xfu, m = b & 7u;
  if ((b & 0x7fu) == 0x7fu) return bits_float(sign | kF32Inf | kF32QuietBit);
  if (e == 0) return bits_float(sign | float_bits(static_cast<float>(m) * 0.001953125f));  // m * 2^-9
  return bits_float(sign | ((e + 120u) << 23) | (m << 20));
}

// E5M2 is the top byte of an IEEE binary16.
LB_HD float e5m2_to_f32(uint8_t b) { return f16_bits_to_f32(static_cast<uint16_t>(b << 8)); }

// E4M3's fields, shifted into place, are the binary16 of its value times this (subnormals included):
// the CPU's vector codecs go through binary16 with it (cpu/simd/fp8_avx512.h, fp8_avx2.h).
constexpr float kE4M3HalfScale = 1.0f / 256.0f;
// Whether an encoder may fold kE4M3HalfScale into the inverse scale `inv`: the product is exact (inv is
// not so small that it leaves the normal range), so x * (inv * 2^-8) == (x * inv) * 2^-8 for every x.
LB_HD bool e4m3_half_scale_folds(float inv) { return inv * kE4M3HalfScale * 256.0f == inv; }
// Whether the CPU's vector encoders may code a block under inverse scale `inv` through binary16, a
// line of 64 values at a time (cpu/simd/fp8_*.h): a finite inverse (an infinite one makes 0 * inv NaN,
// which the per-value path encodes) and, for E4M3, kE4M3HalfScale folding into it.
LB_HD bool fp8_binary16_route(float inv, bool e4m3) {
  return (float_bits(inv) & kF32AbsMask) < kF32Inf && (!e4m3 || e4m3_half_scale_folds(inv));
}

#undef LB_FP8_CVT

}  // namespace lb
