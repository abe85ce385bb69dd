// Maps a (src, dst) dtype pair to the kernel of one ISA file. Each ISA file defines, in its
// anonymous namespace, element codecs F32, F16 and BF16 and a template kernel<Src, Dst>.
#pragma once

#define LB_CONVERT_PAIRS(src, dst) LB_CONVERT_PAIRS_OF(kernel, src, dst)

// The same with the kernel template K (the AVX-512 file's streamed_kernel too).
#define LB_CONVERT_PAIRS_OF(K, src, dst)                                   \
  do {                                                                     \
    if (src == LB_DTYPE_F32 && dst == LB_DTYPE_F16) return K<F32, F16>;    \
    if (src == LB_DTYPE_F32 && dst == LB_DTYPE_BF16) return K<F32, BF16>;  \
    if (src == LB_DTYPE_F16 && dst == LB_DTYPE_F32) return K<F16, F32>;    \
    if (src == LB_DTYPE_BF16 && dst == LB_DTYPE_F32) return K<BF16, F32>;  \
    if (src == LB_DTYPE_F16 && dst == LB_DTYPE_BF16) return K<F16, BF16>;  \
    if (src == LB_DTYPE_BF16 && dst == LB_DTYPE_F16) return K<BF16, F16>;  \
    return nullptr;                                                        \
  } while (0)
