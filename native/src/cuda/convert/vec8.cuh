// Eight consecutive elements as f32 in registers, for kernels that give each thread a run of 8:
// F32 / F16 / BF16 <-> f32 with 16-byte loads and stores (the element-wise common/float_io.h does
// one 2- or 4-byte access per element).
#pragma once
#include <cstdint>

#include "../../common/half.h"
#include "lowbit.h"

namespace lb::cuda {

// Whether any of v[0..7] is NaN. The 8-element codecs below convert with the hardware (exact for
// every other value) and take common/half.h's per-element path, whose NaN bits are the CPU's, only
// for a run that holds a NaN: the per-element select cost ~5 instructions an element (SASS,
// 2026-11-26), the test a little under one.
__device__ __forceinline__ bool any_nan8(const float v[8]) {
  bool any = false;
#pragma unroll
  for (int j = 0; j < 8; j += 2) any |= isnan(v[j]) | isnan(v[j + 1]);
  return any;
}

// The pair {lo, hi} rounded to nearest even as F16 / BF16 (lo in the low half): one cvt for two.
__device__ __forceinline__ uint32_t f16x2_rn(float lo, float hi) {
  uint32_t d;
  asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
  return d;
}
__device__ __forceinline__ uint32_t bf16x2_rn(float lo, float hi) {
  uint32_t d;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(hi), "f"(lo));
  return d;
}

// 8 F16 / BF16 elements (the 16-byte word w, low halves first) as f32.
__device__ __forceinline__ void decode_halves8(uint4 w, lb_dtype t, float v[8]) {
  const uint32_t u[4] = {w.x, w.y, w.z, w.w};
  if (t == LB_DTYPE_BF16) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      v[2 * j] = __uint_as_float(u[j] << 16);
      v[2 * j + 1] = __uint_as_float(u[j] & 0xffff0000u);
    }
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      asm("cvt.f32.f16 %0, %1;" : "=f"(v[2 * j]) : "h"(static_cast<uint16_t>(u[j] & 0xffffu)));
      asm("cvt.f32.f16 %0, %1;" : "=f"(v[2 * j + 1]) : "h"(static_cast<uint16_t>(u[j] >> 16)));
    }
  }
  if (!any_nan8(v)) return;
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const uint16_t lo = static_cast<uint16_t>(u[j] & 0xffffu), hi = static_cast<uint16_t>(u[j] >> 16);
    v[2 * j] = t == LB_DTYPE_F16 ? f16_bits_to_f32(lo) : bf16_bits_to_f32(lo);
    v[2 * j + 1] = t == LB_DTYPE_F16 ? f16_bits_to_f32(hi) : bf16_bits_to_f32(hi);
  }
}

// 8 consecutive elements at x[i0] (i0 a multiple of 8, x 16-byte aligned) as f32. Not written as
// decode8(load_raw8(...)): through the Raw8 the compiler kept extra register moves in the kernels
// that load and use at once (their PTX differed), so those keep this direct form.
__device__ __forceinline__ void load8(const void *x, lb_dtype t, int64_t i0, float v[8]) {
  if (t == LB_DTYPE_F32) {
    const float4 *p = reinterpret_cast<const float4 *>(static_cast<const float *>(x) + i0);
    const float4 a = p[0], b = p[1];
    v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
    return;
  }
  const uint4 w = *reinterpret_cast<const uint4 *>(static_cast<const uint16_t *>(x) + i0);  // one 16-byte load
  decode_halves8(w, t, v);
}

// The same 8 elements' raw bits (F32: both words; F16 / BF16: w[0]), loaded now and decoded at use
// (decode8): a kernel can then keep loads in flight across work that would wait on their conversion.
struct Raw8 {
  uint4 w[2];
};

__device__ __forceinline__ Raw8 load_raw8(const void *x, lb_dtype t, int64_t i0) {
  Raw8 r;
  if (t == LB_DTYPE_F32) {
    const uint4 *p = reinterpret_cast<const uint4 *>(static_cast<const float *>(x) + i0);
    r.w[0] = p[0];
    r.w[1] = p[1];
  } else {
    r.w[0] = *reinterpret_cast<const uint4 *>(static_cast<const uint16_t *>(x) + i0);
    r.w[1] = r.w[0];  // unused
  }
  return r;
}

__device__ __forceinline__ void decode8(const Raw8 &r, lb_dtype t, float v[8]) {
  if (t != LB_DTYPE_F32) {
    decode_halves8(r.w[0], t, v);
    return;
  }
  v[0] = __uint_as_float(r.w[0].x), v[1] = __uint_as_float(r.w[0].y), v[2] = __uint_as_float(r.w[0].z), v[3] = __uint_as_float(r.w[0].w);
  v[4] = __uint_as_float(r.w[1].x), v[5] = __uint_as_float(r.w[1].y), v[6] = __uint_as_float(r.w[1].z), v[7] = __uint_as_float(r.w[1].w);
}

__device__ __forceinline__ void store8(void *y, lb_dtype t, int64_t i0, const float v[8]) {
  if (t == LB_DTYPE_F32) {
    float4 *p = reinterpret_cast<float4 *>(static_cast<float *>(y) + i0);
    p[0] = make_float4(v[0], v[1], v[2], v[3]);
    p[1] = make_float4(v[4], v[5], v[6], v[7]);
    return;
  }
  uint32_t u[4];
  if (!any_nan8(v)) {
    if (t == LB_DTYPE_F16) {
#pragma unroll
      for (int j = 0; j < 4; ++j) u[j] = f16x2_rn(v[2 * j], v[2 * j + 1]);
    } else {
#pragma unroll
      for (int j = 0; j < 4; ++j) u[j] = bf16x2_rn(v[2 * j], v[2 * j + 1]);
    }
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint32_t lo = t == LB_DTYPE_F16 ? f32_to_f16_bits(v[2 * j]) : f32_to_bf16_bits(v[2 * j]);
      const uint32_t hi = t == LB_DTYPE_F16 ? f32_to_f16_bits(v[2 * j + 1]) : f32_to_bf16_bits(v[2 * j + 1]);
      u[j] = lo | (hi << 16);
    }
  }
  *reinterpret_cast<uint4 *>(static_cast<uint16_t *>(y) + i0) = make_uint4(u[0], u[1], u[2], u[3]);
}

}  // namespace lb::cuda
