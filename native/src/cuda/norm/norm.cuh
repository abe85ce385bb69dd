// CUDA backend of lb_layer_norm: the CPU's operations in the CPU's order, hence the same bits.
#pragma once
#include "../runtime/stream_type.h"

#include "lowbit.h"

namespace lb::cuda {

// Validates nothing (the C ABI layer did) and expects the device to be current.
lb_status layer_norm(const float *x, const float *residual, const float *gamma, const float *beta, float eps, int64_t rows,
                     int64_t cols, float *out, lb_stream stream, cudaStream_t s);

}  // namespace lb::cuda
