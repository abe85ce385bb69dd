// The swapped-operand tensor-core kernels for 4-bit weights (w4_tc.cu), which lb::cuda::w4a16_gemm
// and lb::cuda::w4a8_gemm take where they apply.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "lowbit.h"

namespace lb::cuda {

// F16 / BF16 x with 16-byte aligned rows (k % 16 == 0 and an aligned base), 2 <= m <= 65535 * 64
// (m = 1 too with LOWBIT_CUDA_W4A16_M1=tc), weight groups a multiple of 16 (one per row included
// when k is).
bool w4a16_tc_applies(const void *x, lb_dtype x_dtype, int64_t m, int64_t k, int64_t group);

// Enqueues y = x . dequant(W)^T (+ bias) on `s` (the packed layout's codes, scales and zeros).
lb_status w4a16_tc_gemm(const void *x, lb_dtype x_dtype, const uint8_t *codes, const float *scales, const float *zeros,
                        const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k, int64_t group,
                        cudaStream_t s);

// FP8 activations, m <= 64 (decode sizes; larger m is better served by the 128 x 128 tiles), groups
// and k multiples of 32, 16-byte aligned a. The caller checked the device is sm_89+.
bool w4a8_tc_applies(const void *a, int64_t m, int64_t k, int64_t group);

// Enqueues y = (a . dequant(W)^T) * a_scale[row] (+ bias) on `s`.
lb_status w4a8_tc_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const uint8_t *codes, const float *scales,
                       const float *zeros, const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k,
                       int64_t group, cudaStream_t s);

}  // namespace lb::cuda
