// The launch geometry of the CUDA Hadamard fast kernel (hadamard.cu's fwht8_kernel), as functions the
// host test native/tests/fwht8_geometry_test.cpp checks for every row length the kernel takes: threads
// per row, rows per block, and for the fused rotate + quantize the lanes a quant block's groups of 8
// span in its shuffle reduction.
#pragma once
#include <stdint.h>

#include "../../common/host_device.h"

namespace lb::cuda_fwht8 {

constexpr int64_t kGroup = 8;         // values a thread loads and rotates as one run
constexpr int64_t kLoads = 4;         // groups a thread has in flight
constexpr int64_t kMaxThreads = 1024;  // the kernel's __launch_bounds__, plain and fused

// Shared-memory slot of row element i: 8 floats of padding after every 64, so that the radix-8
// pass at stride 8 (lanes 8 apart read elements 64 apart) hits 32 different banks. Runs of 8
// aligned elements stay contiguous and 16-byte aligned.
LB_HD int slot(int i) { return i + ((i >> 6) << 3); }

// A pass of radix R (8, or 4 / 2 for the last) at stride s = 2^log_s reads elements lo + j s (j < R)
// of a set starting at lo = ((g >> log_s) << (log_s + log2 R)) + (g & (s - 1)). Passes start at
// log_s = 3, 6, 9, 12, so s is 8 (the set inside one 64-element chunk: slots 8 apart) or a multiple
// of 64 (whole chunks apart: s + s / 8 slots): either way slot(lo + j s) = slot(lo) + j
// radix8_slot_step(log_s), one address computation for the set (fwht8_geometry_test checks it).
LB_HD int radix8_slot_step(int log_s) {
  const int s = 1 << log_s;
  return s < 64 ? s : s + (s >> 3);
}

// Lanes of one quant block's groups that one shuffle reduction merges: the largest power of two that
// divides the block's group count, at most a warp.
LB_HD int64_t quant_block_lanes(int64_t block_cols) {
  const int64_t per = block_cols / kGroup, low = per & -per;
  return low < 32 ? low : 32;
}

// Quant blocks of a row as a shift and a mask where they can be: the fused kernel found a group's block
// and whether it starts one with 32-bit divisions and remainders by block_cols — four a group of 8
// values, ~20 instructions each (the PTX, 2026-11-27); without them the fused kernel went from 2.44-2.65x
// to 2.13-2.40x the plain rotation's time on an H200. block_cols a power of two: i >> log2; one block a
// row (block_cols == n < 2^31): i >> 31, which is 0. Any other width (e.g. 96) divides.
struct BlockCols {
  int32_t width;  // block_cols
  int32_t shift;  // -1: divide
  uint32_t mask;  // i starts a block iff (i & mask) == 0
  LB_HD_MEMBER int32_t block(int32_t i) const { return shift >= 0 ? i >> shift : i / width; }
  LB_HD_MEMBER bool starts(int32_t i) const { return shift >= 0 ? (static_cast<uint32_t>(i) & mask) == 0 : i % width == 0; }
};

LB_HD BlockCols block_cols_of(int64_t n, int64_t block_cols) {
  const int32_t w = static_cast<int32_t>(block_cols);
  if ((block_cols & (block_cols - 1)) == 0) {
    int32_t shift = 0;
    while ((int64_t{1} << shift) < block_cols) ++shift;
    return {w, shift, static_cast<uint32_t>(w - 1)};
  }
  if (block_cols == n) return {w, 31, 0x7fffffffu};
  return {w, -1, 0};
}

// Threads per row: enough for `held` groups each, rounded up to a multiple of `lanes` (1 for the plain
// kernel), at most 1024 (longer rows take several passes).
LB_HD int64_t threads_per_row(int64_t n, int64_t held, int64_t lanes) {
  const int64_t groups = n / kGroup, wanted = ((groups + held - 1) / held + lanes - 1) / lanes * lanes;
  return wanted < 1024 ? wanted : 1024;
}

// Rows a thread block holds: about 256 threads of short rows.
LB_HD int64_t rows_per_block(int64_t per_row) { return per_row >= 256 ? 1 : 256 / per_row; }

}  // namespace lb::cuda_fwht8
