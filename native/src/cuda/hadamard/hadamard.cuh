// CUDA backend of the hadamard family: the transform of lowbit.h with the stage order and float
// operations of the CPU kernels (common/hadamard.h), hence the same bits.
#pragma once
#include <cuda_runtime_api.h>

#include "lowbit.h"

namespace lb::cuda {

// Both validate nothing (the C ABI layer did; n <= 32768) and expect the device to be current.
lb_status hadamard_transform(const lb_hadamard_params &p, const void *x, lb_dtype x_dtype, void *y, lb_dtype y_dtype,
                             int64_t rows, lb_stream stream, cudaStream_t s);
// Rotates into an f32 scratch matrix, then quantizes it with the quant family's kernels (two
// passes over memory; the one-pass kernel waits for a GPU to be measured on). Waits for `s`.
lb_status hadamard_quantize(const lb_hadamard_params &p, const lb_quant_params &quant, const void *x, lb_dtype x_dtype,
                            int64_t rows, void *q, void *scales, void *zeros, lb_stream stream, cudaStream_t s);

}  // namespace lb::cuda
