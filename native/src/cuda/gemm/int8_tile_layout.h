// Shared-memory layout of one pipeline stage of the CUDA int8 GEMM (W8A8), as plain index
// functions so that a host test (native/tests/int8_tile_layout_test.cpp) can check the two
// properties the kernel relies on: every 16-byte chunk lands in its own slot, and the 32 lanes of
// a warp reading an mma.sync m16n8k32 fragment hit 32 different banks (no bank conflicts).
//
// A stage holds kBM rows of A x kBK bytes of k, and kBN columns of B x kBK bytes of k, as 32-bit
// words (4 int8 values along k). Fragment reads are 32-bit: lane (g = lane / 4, t = lane % 4)
// reads A word t (+4) of rows g and g + 8, and B word (quad t (+4), column g) of an 8-column
// block. Without a swizzle, the rows an A fragment touches are 16 words apart (rows of equal
// parity share banks: 4-way conflicts) and the B quads t and t + 2 are 32 words apart (2-way).
#pragma once
#include "../../common/host_device.h"

namespace lb::cuda_int8 {

constexpr int kBM = 128;       // rows of A per thread block
constexpr int kBN = 128;       // columns of B per thread block (8 packed blocks of 16)
constexpr int kBK = 64;        // int8 values of k per stage (16 quads)
constexpr int kStages = 3;     // cp.async pipeline depth: 3 x 16 KiB of shared memory
constexpr int kThreads = 256;  // 8 warps: 2 along m (64 rows each) x 4 along n (32 columns each)
constexpr int kRowWords = kBK / 4;                      // 16 words per row of A
constexpr int kAWords = kBM * kRowWords;                // 2048
constexpr int kBWords = (kBN / 16) * (kBK / 4) * 16;    // 2048: [8 blocks][16 quads][16 columns]

// Word of A's row `row`, k-word `word` (0..15): the row's four 16-byte chunks are permuted by
// ((row >> 1) & 3), which spreads the 8 rows g = 0..7 of a fragment over the 8 bank groups.
LB_HD int a_word(int row, int word) {
  return row * kRowWords + ((((word >> 2) ^ ((row >> 1) & 3)) << 2) | (word & 3));
}

// Word of B's packed column block `jb` (0..7), k-quad `kq` (0..15), column `jj` (0..15): the
// 16 columns of quads 2, 3 (mod 4) are stored with their halves swapped, so quads t and t + 2 of
// one fragment read fall in different banks. 4-column chunks stay whole (cp.async writes 16 bytes).
LB_HD int b_word(int jb, int kq, int jj) {
  return (jb * (kBK / 4) + kq) * 16 + (jj ^ (((kq >> 1) & 1) << 3));
}

}  // namespace lb::cuda_int8
