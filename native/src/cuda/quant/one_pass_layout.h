// Where the one-pass quantize kernels' threads work (one_pass.cu), as functions the host test
// native/tests/one_pass_layout_test.cpp checks: every element of the matrix taken once, by the block
// it belongs to, one leader per block, and the packed U4 zero bytes' two blocks on neighbouring tiles
// of one warp.
#pragma once
#include <stdint.h>

#include "../../common/host_device.h"

namespace lb::cuda_quant1 {

// Tile kernel: block slots per row — C, rounded up to even when U4 zero points are packed two blocks a
// byte, so that a byte's blocks are always an even slot and the next.
LB_HD int64_t tile_row_slots(int64_t C, bool paired_zeros) { return paired_zeros ? C + (C & 1) : C; }

// Tile kernel: what lane `lane` of a warp works on in the warp's batch of slots starting at `base` (a
// multiple of 32 / G): slot base + lane / G, elements e0 .. e0 + 7 of its block (G lanes of 8 values
// per block of 8 G columns). A padding slot (cb >= C) or one past the matrix is not live.
struct TileLane {
  int64_t slot, r, cb, e0;
  bool live, leader;
};
LB_HD TileLane tile_lane(int64_t base, int lane, int G, int64_t Cp, int64_t C, int64_t rows, int64_t cols) {
  TileLane t{};
  t.slot = base + lane / G;
  t.r = t.slot / Cp;
  t.cb = t.slot - t.r * Cp;
  t.live = t.slot < rows * Cp && t.cb < C;
  t.e0 = t.r * cols + t.cb * (8 * G) + (lane % G) * 8;
  t.leader = t.live && lane % G == 0;
  return t;
}

// The byte of packed U4 zero points that holds block (r, cb): the low nibble for even cb.
LB_HD int64_t zero_byte(int64_t r, int64_t cb, int64_t C) { return r * ((C + 1) / 2) + cb / 2; }

// Warp kernel: the first element of run j (8 values) of block (rb, cb), runs row-major over the
// block's block_rows x block_cols / 8 runs.
LB_HD int64_t block_run_element(int64_t rb, int64_t cb, int j, int64_t block_rows, int64_t block_cols, int64_t cols) {
  const int run_cols = static_cast<int>(block_cols / 8);
  return rb * block_rows * cols + cb * block_cols + static_cast<int64_t>(j / run_cols) * cols + (j % run_cols) * 8;
}

}  // namespace lb::cuda_quant1
