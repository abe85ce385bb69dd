// Shared-memory layout of one pipeline stage of the CUDA tensor-core GEMMs (W8A8 int8, FP8), as
// plain index functions so that a host test (native/tests/tile_layout_test.cpp) can check the
// properties the kernels rely on: every 16-byte cp.async chunk lands whole in its own slot, and the
// fragment reads of a warp hit 32 different banks (no bank conflicts).
//
// A stage holds kBM rows of A x kBK bytes of k (both GEMMs: 8-bit A, row-major) and kBN columns
// of B x kBK bytes of k in the GEMM's packed order. Fragment reads of A are 32-bit: lane (g =
// lane / 4, t = lane % 4) reads A word t (+4) of rows g and g + 8. Without a swizzle, the rows of a
// fragment are 16 words apart, so rows of equal parity share banks (4-way conflicts).
#pragma once
#include "../../common/host_device.h"

namespace lb::cuda_tile {

constexpr int kBM = 128;       // rows of A per thread block
constexpr int kBN = 128;       // columns of B per thread block (8 packed blocks of 16)
constexpr int kBK = 64;        // 8-bit values of k per stage
constexpr int kStages = 3;     // cp.async pipeline depth: 3 x 16 KiB of shared memory
constexpr int kThreads = 256;  // 8 warps: 2 along m (64 rows each) x 4 along n (32 columns each)
constexpr int kRowWords = kBK / 4;         // 16 words per row of A
constexpr int kAWords = kBM * kRowWords;   // 2048
constexpr int kBBytes = kBN * kBK;         // 8192

// Word of A's row `row`, k-word `word` (0..15): the row's four 16-byte chunks are permuted by
// ((row >> 1) & 3), which spreads the 8 rows g = 0..7 of a fragment over the 8 bank groups.
LB_HD int a_word(int row, int word) {
  return row * kRowWords + ((((word >> 2) ^ ((row >> 1) & 3)) << 2) | (word & 3));
}

// W8A8's B (packed in quads: one 32-bit word = 4 k of one column, an mma B-fragment register):
// word of column block `jb` (0..7), k-quad `kq` (0..15), column `jj` (0..15). A fragment read takes
// quads t and t + 4 of 8 columns; quads t and t + 2 are 32 words apart, so the 16 columns of quads
// 2, 3 (mod 4) are stored with their halves swapped. 4-column chunks (16 bytes) stay whole.
LB_HD int int8_b_word(int jb, int kq, int jj) {
  return (jb * (kBK / 4) + kq) * 16 + (jj ^ (((kq >> 1) & 1) << 3));
}

// FP8's B (packed in pairs: 16 bits = 2 k of one column): byte offset of column block `jb` (0..7),
// k-pair `kp` (0..31), column `jj` (0..15). Each k-pair row is 32 bytes: columns 0..7 then 8..15,
// 16 bytes each (a cp.async chunk, and an ldmatrix row). Fragments come from ldmatrix.trans over 8
// consecutive k-pairs of one 8-column half; those 8 rows are 32 bytes apart, so without a swizzle
// two of them share each 16-byte bank group. The halves of pairs 4..7 (mod 8) are swapped.
LB_HD int fp8_b_byte(int jb, int kp, int jj) {
  return (jb * (kBK / 2) + kp) * 32 + (((jj >> 3) ^ ((kp >> 2) & 1)) << 4) + (jj & 7) * 2;
}

}  // namespace lb::cuda_tile
