// Eight consecutive values of one quant block <-> their codes, for the kernels that give each
// thread a run of 8 (the quant family's vector kernels, the fused rotate + quantize): the
// per-element helpers of common/quant.h (hence the CPU's bits), with one 4-byte (I4/U4: 8
// nibbles) or 8-byte store or load of the codes.
#pragma once
#include <cstdint>

#include "../../common/quant.h"
#include "lowbit.h"

namespace lb::cuda {

__host__ __device__ __forceinline__ bool packed_qtype(lb_dtype t) { return t == LB_DTYPE_I4 || t == LB_DTYPE_U4; }

// Whether runs of 8 fit the call: cols and block_cols multiples of 8, x (or y) 16-byte aligned, the
// codes aligned for their 4-byte (I4/U4) or 8-byte stores, and rows under 2^31 columns (the run
// walks of quant.cu find block columns by 32-bit division).
inline bool vector_ok(const lb_quant_params &p, int64_t cols, const void *x, const void *q) {
  const uintptr_t qa = packed_qtype(p.qtype) ? 3 : 7;
  return cols % 8 == 0 && cols < (int64_t{1} << 31) && p.block_cols % 8 == 0 && (reinterpret_cast<uintptr_t>(x) & 15) == 0 &&
         (reinterpret_cast<uintptr_t>(q) & qa) == 0;
}

// Records that block `block` failed a check: *first keeps the lowest such index (it starts at all ones),
// so the report names the first bad block whatever the scheduling.
__device__ __forceinline__ void note_failure(unsigned long long *first, int64_t block) {
  atomicMin(first, static_cast<unsigned long long>(block));
}

// Block b's scale (rounded to the scale dtype) and, for U4 with F16 zero points, its zero point; a
// scale that overflows its dtype is noted in *bad_scale (the first such block wins). Zero points
// packed two blocks a byte are the caller's: they need the neighbouring block's.
__device__ __forceinline__ void store_block_params(const lb_quant_params &p, const BlockParams &bp, int64_t b, void *scales,
                                                   void *zeros, unsigned long long *bad_scale) {
  if (!(fabsf(bp.scale) <= 3.40282347e38f)) note_failure(bad_scale, b);
  const uint32_t bits = scale_store_bits(bp.scale, p.scale_dtype);
  if (p.scale_dtype == LB_DTYPE_F32) static_cast<uint32_t *>(scales)[b] = bits;
  else static_cast<uint16_t *>(scales)[b] = static_cast<uint16_t>(bits);
  if (p.qtype == LB_DTYPE_U4 && p.zero_dtype == LB_DTYPE_F16) static_cast<uint16_t *>(zeros)[b] = f32_to_f16_bits(bp.zero);
}

#ifdef LB_FP8_CVT
// The fp8 codes of x[0..7] * inv, two a cvt.rn.satfinite (low byte: the second operand). The same
// codes as quantize_value's f32_to_e4m3 / f32_to_e5m2 (which take that instruction one value at a
// time) for every value but NaN, whose code it leaves to the hardware: a block holding NaN fails the
// call, and its codes are unspecified.
template <bool kE5M2>
__device__ __forceinline__ uint2 fp8_codes8(const float x[8], float inv) {
  uint32_t pair[4];
#pragma unroll
  for (int h = 0; h < 4; ++h) {
    const float lo = mul_rn(x[2 * h], inv), hi = mul_rn(x[2 * h + 1], inv);
    uint16_t bits;
    if constexpr (kE5M2) asm("cvt.rn.satfinite.e5m2x2.f32 %0, %1, %2;" : "=h"(bits) : "f"(hi), "f"(lo));
    else asm("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(bits) : "f"(hi), "f"(lo));
    pair[h] = bits;
  }
  return make_uint2(pair[0] | pair[1] << 16, pair[2] | pair[3] << 16);
}
#endif

// Codes of v[0..7] under b, stored at element e0 of q (e0 a multiple of 8; q 4-byte aligned for
// I4/U4, 8-byte aligned otherwise).
__device__ __forceinline__ void quantize8(const lb_quant_params &p, const BlockParams &b, const float v[8], uint8_t *q, int64_t e0) {
#ifdef LB_FP8_CVT
  if (p.qtype == LB_DTYPE_FP8_E4M3 || p.qtype == LB_DTYPE_FP8_E5M2) {
    *reinterpret_cast<uint2 *>(q + e0) = p.qtype == LB_DTYPE_FP8_E4M3 ? fp8_codes8<false>(v, b.inv) : fp8_codes8<true>(v, b.inv);
    return;
  }
#endif
  const bool restrict_range = (p.flags & LB_QUANT_RESTRICT_RANGE) != 0;
  int32_t code[8];
#pragma unroll
  for (int e = 0; e < 8; ++e) code[e] = quantize_value(v[e], p.qtype, b, restrict_range);
  if (packed_qtype(p.qtype)) {
    uint32_t word = 0;
#pragma unroll
    for (int e = 0; e < 8; ++e) word |= nibble_of(code[e]) << (4 * e);
    *reinterpret_cast<uint32_t *>(q + e0 / 2) = word;
  } else {
    uint32_t w0 = 0, w1 = 0;
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      w0 |= (static_cast<uint32_t>(code[e]) & 0xffu) << (8 * e);
      w1 |= (static_cast<uint32_t>(code[e + 4]) & 0xffu) << (8 * e);
    }
    *reinterpret_cast<uint2 *>(q + e0) = make_uint2(w0, w1);
  }
}

// The values of the 8 codes at element e0 of q under b (alignment as quantize8).
__device__ __forceinline__ void dequantize8(const lb_quant_params &p, const BlockParams &b, const uint8_t *q, int64_t e0, float v[8]) {
  if (packed_qtype(p.qtype)) {
    const uint32_t word = *reinterpret_cast<const uint32_t *>(q + e0 / 2);
#pragma unroll
    for (int e = 0; e < 8; ++e) v[e] = dequantize_value(value_of_nibble((word >> (4 * e)) & 0xfu, p.qtype), p.qtype, b);
    return;
  }
  const uint2 w = *reinterpret_cast<const uint2 *>(q + e0);
#pragma unroll
  for (int e = 0; e < 8; ++e) {
    const uint32_t byte = ((e < 4 ? w.x : w.y) >> (8 * (e & 3))) & 0xffu;
    const int32_t c = p.qtype == LB_DTYPE_I8 ? static_cast<int32_t>(static_cast<int8_t>(byte)) : static_cast<int32_t>(byte);
    v[e] = dequantize_value(c, p.qtype, b);
  }
}

}  // namespace lb::cuda
