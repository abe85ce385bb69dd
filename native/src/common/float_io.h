// Element access to F32 / F16 / BF16 arrays by dtype, for the element-by-element paths of every
// backend (CUDA kernels, the CPU's narrow-row fallbacks). Vector paths use their own codecs.
#pragma once
#include "half.h"
#include "lowbit.h"

namespace lb {

LB_HD float load_float(const void *x, lb_dtype t, int64_t i) {
  if (t == LB_DTYPE_F16) return f16_bits_to_f32(static_cast<const uint16_t *>(x)[i]);
  if (t == LB_DTYPE_BF16) return bf16_bits_to_f32(static_cast<const uint16_t *>(x)[i]);
  return static_cast<const float *>(x)[i];
}

LB_HD void store_float(void *y, lb_dtype t, int64_t i, float v) {
  if (t == LB_DTYPE_F16) static_cast<uint16_t *>(y)[i] = f32_to_f16_bits(v);
  else if (t == LB_DTYPE_BF16) static_cast<uint16_t *>(y)[i] = f32_to_bf16_bits(v);
  else static_cast<float *>(y)[i] = v;
}

}  // namespace lb
