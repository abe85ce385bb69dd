// CUDA backend of lb_gelu: common/gelu.h per element, hence the CPU's bits.
#pragma once
#include "../runtime/stream_type.h"

#include "lowbit.h"

namespace lb::cuda {

// Validates nothing (the C ABI layer did) and expects the device to be current.
lb_status gelu(const float *x, int64_t n, float *out, lb_stream stream, cudaStream_t s);

}  // namespace lb::cuda
