// Quantize in one pass over DRAM, for the common shapes: the four-kernel path of quant.cu reads x twice
// (range, then codes), which held it to ~0.5 of the H100's copy bandwidth (the bound of reading 4 + 4
// bytes to move 4 + 1). Here each quant block of up to 2048 values stays in registers between its range
// and its codes, and a longer one is read again from L2 while it is still there.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "lowbit.h"

namespace lb::cuda {

// Which one-pass kernel takes this call: Tile (blocks of one row and <= 256 columns, a power-of-two
// number of runs of 8), Warp (other blocks of <= 2048 values), Block (other blocks of <= 65536 values,
// when there are at least as many as SMs), or None — with the MSE clip, block widths or columns that
// are not multiples of 8, unaligned bases (vector_ok), bigger or fewer blocks, or U4 zero points packed
// two blocks a byte with blocks wider than 128 columns (or spanning rows).
// LOWBIT_CUDA_QUANT_ONE_PASS=0 in the environment (read at every call) says None to all: the
// four-kernel path of quant.cu then runs.
enum class OnePassShape { None, Tile, Warp, Block };
OnePassShape one_pass_shape(const lb_quant_params &p, const void *x, int64_t rows, int64_t cols, const void *q);

// Queues the one-pass kernel of `shape` (not None: what one_pass_shape gave for this call) on `s`.
// `bad` as in quant.cu ([0] first NaN/Inf block, [1] first overflowing scale, both preset to ~0).
void quantize_one_pass(OnePassShape shape, const lb_quant_params &p, const void *x, lb_dtype t, int64_t rows, int64_t cols, void *q,
                       void *scales, void *zeros, unsigned long long *bad, cudaStream_t s);

}  // namespace lb::cuda
