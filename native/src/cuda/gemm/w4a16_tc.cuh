// The tensor-core W4A16 path (w4a16_tc.cu), which lb::cuda::w4a16_gemm takes where it applies.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "lowbit.h"

namespace lb::cuda {

// F16 / BF16 x with 16-byte aligned rows (k % 16 == 0 and an aligned base), 2 <= m <= 65535 * 64,
// weight groups a multiple of 16 (one per row included when k is).
bool w4a16_tc_applies(const void *x, lb_dtype x_dtype, int64_t m, int64_t k, int64_t group);

// Enqueues y = x . dequant(W)^T (+ bias) on `s` (the packed layout's codes, scales and zeros).
lb_status w4a16_tc_gemm(const void *x, lb_dtype x_dtype, const uint8_t *codes, const float *scales, const float *zeros,
                        const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k, int64_t group,
                        cudaStream_t s);

}  // namespace lb::cuda
