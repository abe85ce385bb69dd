// Quantize in one pass over x, for the common shapes: the four-kernel path of quant.cu reads x twice
// (range, then codes), which held it to ~0.5 of the H100's copy bandwidth (the bound of reading 4 + 4
// bytes to move 4 + 1). Here each quant block's values stay in registers between its range and its codes.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "lowbit.h"

namespace lb::cuda {

// Whether the one-pass kernels take this call: not with the MSE clip, block widths or columns that are
// not multiples of 8, unaligned bases (vector_ok), blocks of more than 16384 values, or U4 zero points
// packed two blocks a byte with blocks wider than 128 columns (or spanning rows).
// LOWBIT_CUDA_QUANT_ONE_PASS=0 in the environment (read at every call) says no to all: the
// four-kernel path of quant.cu then runs.
bool quantize_one_pass_takes(const lb_quant_params &p, const void *x, int64_t cols, const void *q);

// Queues the one-pass kernels on `s` for a call quantize_one_pass_takes took. `bad` as in quant.cu
// ([0] first NaN/Inf block, [1] first overflowing scale, both preset to ~0).
void quantize_one_pass(const lb_quant_params &p, const void *x, lb_dtype t, int64_t rows, int64_t cols, void *q, void *scales,
                       void *zeros, unsigned long long *bad, cudaStream_t s);

}  // namespace lb::cuda
