// A quant block's range over runs of 8 values held by the lanes of a warp, as the one-pass quantize
// kernels (one_pass.cu) and the fused rotate + quantize (hadamard.cu) find it: from the values' bits,
// in integer maxes (common/quant.h: BitsRange for [min(x, 0), max(x, 0)]; for the formats that need
// only the largest |value|, symmetric_range, that magnitude alone and one shuffle chain). Both kernels
// were issue-bound (ncu, H200, 2026-11-27 (20)), where float compares, selects and a finiteness test
// took about five operations a value; the ctest one_pass_layout holds these ranges to the float one.
#pragma once
#include <cstdint>

#include "../../common/quant.h"

namespace lb::cuda {

// A block's range so far, as bits: by_mag (symmetric_range(p), the same for every thread of a call)
// only `mag`, the largest magnitude's; else `bits`. settle() turns them into lo, hi and the finiteness
// (by magnitude, [-amax, amax]: block_params gives the true range's parameters).
struct BlockRange {
  BitsRange bits;
  uint32_t mag = 0;
  float lo = 0.0f, hi = 0.0f;
  bool finite = true;
};

__device__ __forceinline__ void widen(BlockRange &r, const float v[8], bool by_mag) {
#pragma unroll
  for (int e = 0; e < 8; ++e) {
    if (by_mag) r.mag = max(r.mag, magnitude_bits(v[e]));
    else bits_range_widen(r.bits, v[e]);
  }
}

// Merges the ranges of lanes that differ in the bits of `span - 1` (span a power of two <= 32; all 32
// lanes of the warp take part).
__device__ __forceinline__ void merge_lanes(BlockRange &r, int span, bool by_mag) {
  for (int off = 1; off < span; off <<= 1) {
    if (by_mag) {
      r.mag = max(r.mag, __shfl_xor_sync(0xffffffffu, r.mag, off));
    } else {
      BitsRange o;
      o.hi = __shfl_xor_sync(0xffffffffu, r.bits.hi, off);
      o.lo = __shfl_xor_sync(0xffffffffu, r.bits.lo, off);
      bits_range_merge(r.bits, o);
    }
  }
}

// After the last merge: lo, hi and the finiteness. A NaN / Inf block's parameters are computed and
// unused: the call fails and its outputs are unspecified.
__device__ __forceinline__ void settle(BlockRange &r, bool by_mag) {
  if (by_mag) {
    r.finite = magnitude_finite(r.mag);
    const float amax = r.finite ? bits_float(r.mag) : 0.0f;
    r.lo = -amax;
    r.hi = amax;
  } else {
    r.finite = bits_range_finite(r.bits);
    r.lo = bits_range_lo(r.bits);
    r.hi = bits_range_hi(r.bits);
  }
}

}  // namespace lb::cuda
