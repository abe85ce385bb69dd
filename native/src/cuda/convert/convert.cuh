// CUDA backend of the convert family.
#pragma once
#include <cuda_runtime_api.h>

#include "lowbit.h"

namespace lb::cuda {

// Launches the conversion of `count` contiguous elements on `stream`; the caller has
// validated arguments and selected the device.
void launch_convert(const void *src, lb_dtype src_dtype, void *dst, lb_dtype dst_dtype, int64_t count,
                    bool saturate, cudaStream_t stream);

}  // namespace lb::cuda
