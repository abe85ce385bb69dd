// CPU backend of the convert family: one kernel per (src, dst) dtype pair and ISA.
// Kernels convert one contiguous range on the calling thread; dispatch.cpp splits the
// work over the pool. ISA files contain no inline STL code (see common/host_device.h).
#pragma once
#include <stdint.h>

#include "lowbit.h"

namespace lb::cpu {

using ConvertFn = void (*)(const void *src, void *dst, int64_t count);

// nullptr when the pair is not F32/F16/BF16.
ConvertFn convert_kernel_scalar(lb_dtype src, lb_dtype dst);
// stream (AVX2, AVX-512): the kernel writes with non-temporal stores once (AVX2: if) its destination is
// aligned for them (simd/streaming.h); the caller fences.
ConvertFn convert_kernel_avx2(lb_dtype src, lb_dtype dst, bool stream = false);
ConvertFn convert_kernel_avx512(lb_dtype src, lb_dtype dst, bool stream = false);

// Pairs with an FP8 side (the other F32/F16/BF16 or FP8); nullptr otherwise (fp8.inc).
ConvertFn fp8_kernel_scalar(lb_dtype src, lb_dtype dst, bool saturate);
ConvertFn fp8_kernel_avx2(lb_dtype src, lb_dtype dst, bool saturate, bool stream = false);
ConvertFn fp8_kernel_avx512(lb_dtype src, lb_dtype dst, bool saturate, bool stream = false);

// The kernel of the active ISA for a pair (nullptr for same-dtype or unsupported pairs); `stream`: its
// streamed form where the ISA has one (AVX2, AVX-512), else the ordinary one.
ConvertFn convert_kernel(lb_dtype src, lb_dtype dst, bool saturate = false, bool stream = false);

// Converts `count` elements with the active ISA on all pool threads; outputs of kStreamBytes and more
// (simd/streaming.h) are streamed.
void convert(const void *src, lb_dtype src_dtype, void *dst, lb_dtype dst_dtype, int64_t count, bool saturate);

}  // namespace lb::cpu
