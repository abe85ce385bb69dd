// Maps a (src, dst) dtype pair to the kernel of one ISA file. Included by each ISA file
// after it defines, in its anonymous namespace, the six kernels named below.
#pragma once

#define LB_CONVERT_PAIRS(src, dst)                                         \
  do {                                                                     \
    if (src == LB_DTYPE_F32 && dst == LB_DTYPE_F16) return f32_to_f16;     \
    if (src == LB_DTYPE_F32 && dst == LB_DTYPE_BF16) return f32_to_bf16;   \
    if (src == LB_DTYPE_F16 && dst == LB_DTYPE_F32) return f16_to_f32;     \
    if (src == LB_DTYPE_BF16 && dst == LB_DTYPE_F32) return bf16_to_f32;   \
    if (src == LB_DTYPE_F16 && dst == LB_DTYPE_BF16) return f16_to_bf16;   \
    if (src == LB_DTYPE_BF16 && dst == LB_DTYPE_F16) return bf16_to_f16;   \
    return nullptr;                                                        \
  } while (0)
