// Bit-exact conversions between binary32 and the 16-bit formats (IEEE binary16, bfloat16).
// Integer-only so that every backend (scalar C++, CUDA) rounds identically: round to
// nearest, ties to even; overflow to +-Inf; subnormals kept; NaN keeps its sign and top
// payload bits and becomes quiet. SIMD variants must produce exactly these bits (tested).
#pragma once
#include "host_device.h"

namespace lb {

constexpr uint32_t kF32SignMask = 0x80000000u;
constexpr uint32_t kF32AbsMask = 0x7fffffffu;
constexpr uint32_t kF32Inf = 0x7f800000u;
constexpr uint32_t kF32QuietBit = 0x00400000u;

// On the GPU the conversions of non-NaN values use the hardware's cvt, which is the same IEEE
// operation (round to nearest even, overflow to Inf, subnormals kept, no flushing without .ftz)
// and so gives the same bits in one instruction instead of a dozen; NaN, where PTX leaves the
// payload unspecified, gets the integer path's bits by a select, not a branch: with a branch per
// element (the first form) the SASS of a kernel converting 8 loaded f16 values waited for each
// load before issuing the next (W4A16's GEMV, 8 dependent loads a chunk).

LB_HD uint16_t f32_to_f16_bits(float f) {
  const uint32_t x = float_bits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t ax = x & kF32AbsMask;
  const uint16_t nan = static_cast<uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
#if defined(__CUDA_ARCH__)
  uint16_t h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return ax > kF32Inf ? nan : h;
#else
  if (ax > kF32Inf) return nan;
  // 65520 = 0x477ff000 is the midpoint between 65504 (max, odd mantissa) and 2^16: ties to
  // even go up, so everything from there on is infinity.
  if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (ax >= 0x38800000u) {  // result is normal (>= 2^-14)
    // Re-bias the exponent (127 -> 15: subtract 112 << 23) and round the 13 dropped bits
    // to nearest even in one add; a carry out of the mantissa bumps the exponent correctly.
    ax += 0xc8000fffu + ((ax >> 13) & 1u);
    return static_cast<uint16_t>(sign | (ax >> 13));
  }
  // Subnormal result: value = m * 2^(e-150); f16 subnormal unit is 2^-24.
  const uint32_t e = ax >> 23;
  if (e < 102) return static_cast<uint16_t>(sign);  // below 2^-25: rounds to zero
  const uint32_t m = (ax & 0x7fffffu) | 0x800000u;
  const uint32_t shift = 126u - e;  // 14..24
  uint32_t r = m >> shift;
  const uint32_t rem = m & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1u);
  if (rem > half || (rem == half && (r & 1u))) ++r;  // may carry into the smallest normal
  return static_cast<uint16_t>(sign | r);
#endif
}

LB_HD float f16_bits_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t m = h & 0x3ffu;
#if defined(__CUDA_ARCH__)
  float f;  // exact for every non-NaN (infinities included)
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return (h & 0x7fffu) > 0x7c00u ? bits_float(sign | kF32Inf | kF32QuietBit | (m << 13)) : f;
#else
  const uint32_t e = (h >> 10) & 0x1fu;
  if (e == 0x1fu) return bits_float(m == 0 ? (sign | kF32Inf) : (sign | kF32Inf | kF32QuietBit | (m << 13)));
  if (e != 0) return bits_float(sign | ((e + 112u) << 23) | (m << 13));
  if (m == 0) return bits_float(sign);
  uint32_t e32 = 113;  // exponent field of 2^-14, decremented while normalising
  while ((m & 0x400u) == 0) {
    m <<= 1;
    --e32;
  }
  return bits_float(sign | (e32 << 23) | ((m & 0x3ffu) << 13));
#endif
}

LB_HD uint16_t f32_to_bf16_bits(float f) {
  const uint32_t x = float_bits(f);
  const uint16_t nan = static_cast<uint16_t>((x >> 16) | 0x40u);
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint16_t b;
  asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(b) : "f"(f));
  return (x & kF32AbsMask) > kF32Inf ? nan : b;
#else
  if ((x & kF32AbsMask) > kF32Inf) return nan;
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
#endif
}

LB_HD float bf16_bits_to_f32(uint16_t b) {
  uint32_t x = static_cast<uint32_t>(b) << 16;
  if ((x & kF32AbsMask) > kF32Inf) x |= kF32QuietBit;
  return bits_float(x);
}

}  // namespace lb
