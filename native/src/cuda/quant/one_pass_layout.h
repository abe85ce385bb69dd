// Where the one-pass quantize kernels' threads work (one_pass.cu), as functions the host test
// native/tests/one_pass_layout_test.cpp checks: every element of the matrix taken once, by the block
// it belongs to, one leader per block, and the packed U4 zero bytes' two blocks on neighbouring tiles
// of one warp.
#pragma once
#include <stdint.h>

#include "../../common/host_device.h"

namespace lb::cuda_quant1 {

// n / d for a divisor fixed for a launch, as a multiply-high, an add and a shift (Granlund and
// Montgomery's round-up method: l = ceil(log2 d), m = floor(2^32 (2^l - d) / d) + 1, then
// n / d = (mulhi(m, n) + n) >> l for every 32-bit n; the add is done in 64 bits so it cannot wrap).
// The tile kernel divided a 64-bit slot index by the row's slot count for every run of 8 values, a
// software division of ~70 instructions (the PTX, 2026-11-27).
struct FastDiv {
  uint32_t m;
  int32_t l;
  LB_HD_MEMBER uint32_t div(uint32_t n) const {
    const uint32_t t = static_cast<uint32_t>((static_cast<uint64_t>(m) * n) >> 32);
    return static_cast<uint32_t>((static_cast<uint64_t>(t) + n) >> l);
  }
};
LB_HD FastDiv fast_div(uint32_t d) {  // d >= 1
  int32_t l = 0;
  while ((uint64_t{1} << l) < d) ++l;
  return {static_cast<uint32_t>(((uint64_t{1} << 32) * ((uint64_t{1} << l) - d)) / d + 1), l};
}

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
// cp_div: fast_div(Cp), used while the slot index fits 32 bits (`small`).
LB_HD TileLane tile_lane(int64_t base, int lane, int G, int64_t Cp, int64_t C, int64_t rows, int64_t cols, FastDiv cp_div, bool small) {
  TileLane t{};
  t.slot = base + lane / G;
  t.r = small ? static_cast<int64_t>(cp_div.div(static_cast<uint32_t>(t.slot))) : t.slot / Cp;
  t.cb = t.slot - t.r * Cp;
  t.live = t.slot < rows * Cp && t.cb < C;
  t.e0 = t.r * cols + t.cb * (8 * G) + (lane % G) * 8;
  t.leader = t.live && lane % G == 0;
  return t;
}

// The byte of packed U4 zero points that holds block (r, cb): the low nibble for even cb.
LB_HD int64_t zero_byte(int64_t r, int64_t cb, int64_t C) { return r * ((C + 1) / 2) + cb / 2; }

// Runs of 8 in a block row (block_cols / 8), as a shift and a mask when a power of two: the warp and
// block kernels split a run index into block row and column for every run of 8 values in each pass,
// two 32-bit divisions of ~20 instructions (the PTX, 2026-11-27).
struct RunCols {
  int32_t count, shift;  // shift -1: divide
  LB_HD_MEMBER int32_t row(int32_t j) const { return shift >= 0 ? j >> shift : j / count; }
  LB_HD_MEMBER int32_t col(int32_t j) const { return shift >= 0 ? j & (count - 1) : j % count; }
};
LB_HD RunCols run_cols_of(int64_t block_cols) {
  const int32_t count = static_cast<int32_t>(block_cols / 8);
  if (count & (count - 1)) return {count, -1};
  int32_t shift = 0;
  while ((1 << shift) < count) ++shift;
  return {count, shift};
}

// Warp and block kernels: the first element of run j (8 values) of block (rb, cb), runs row-major over
// the block's block_rows x block_cols / 8 runs.
LB_HD int64_t block_run_element(int64_t rb, int64_t cb, int j, int64_t block_rows, RunCols rc, int64_t cols) {
  return rb * block_rows * cols + cb * (int64_t{8} * rc.count) + static_cast<int64_t>(rc.row(j)) * cols + rc.col(j) * 8;
}

}  // namespace lb::cuda_quant1
