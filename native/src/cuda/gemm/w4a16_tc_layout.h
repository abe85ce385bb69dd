// The tensor-core W4A16 kernel's (w4a16_tc.cu) shared-memory layout, fragment roles and nibble
// dequantization as plain index functions, so a host test (native/tests/w4a16_tc_layout_test.cpp)
// can check them: it emulates the kernel's mma steps on the CPU from these maps and the PTX
// fragment definitions, and counts the banks of every shared-memory read.
//
// The kernel computes y^T = W . x^T ("swapped" operands): mma.m16n8k16's A (16 x 16) is 16 weight
// columns (one packed 16-column block) by 16 k, its B (16 x 8) is 16 k by 8 rows of x, so a decode
// batch of up to 8 rows fills an mma and x rows, contiguous in k, are B's natural column-major
// layout. The packed weights are lowbit.h's W4A16 layout, the same bytes the CPU reads: per column
// block, one 16-byte "pair-row" per k-pair (byte jj = column jj's codes of k 2p (low nibble) and
// 2p + 1 (high nibble)). An A register holds two consecutive k of one column — exactly one byte.
// A's rows are assigned to columns so that a lane's two rows (g and g + 8) are columns 2g and
// 2g + 1: both bytes come from one 16-bit shared load.
#pragma once
#include <stdint.h>

#include "../../common/host_device.h"

namespace lb::cuda_w4tc {

constexpr int kWarps = 4;                  // one packed 16-column block per warp
constexpr int kThreads = 32 * kWarps;
constexpr int kStageK = 64;                // k per pipeline stage (4 mma k16 steps)
constexpr int kStagePairs = kStageK / 2;   // pair-rows of a column block per stage, 16 bytes each
constexpr int kStages = 4;                 // cp.async pipeline depth
constexpr int kXChunks = kStageK / 8;      // 16-byte chunks (8 halves) of an x row per stage
constexpr int kWStageBytes = kWarps * kStagePairs * 16;  // 2 KiB

// Byte `byte` of pair-row `pr` (0..31) of warp w's column block in a stage. The pair-rows a
// fragment read touches are 16 consecutive words (checked), so no swizzle is needed.
LB_HD int w_byte(int w, int pr, int byte) { return (w * kStagePairs + pr) * 16 + byte; }

// 16-byte slot of x row r, chunk c (0..7) in a stage. Rows are 128 bytes, so the 8 rows an
// ldmatrix phase reads would share 4 banks; the chunk index XOR the row spreads them over all 32.
LB_HD int x_slot(int r, int c) { return r * kXChunks + (c ^ (r & 7)); }

// Lane (g = lane / 4, t = lane % 4). A register e (PTX m16n8k16, 16-bit A): e0 = A[g][2t, 2t+1],
// e1 = A[g+8][2t, 2t+1], e2 = A[g][2t+8, 2t+9], e3 = A[g+8][2t+8, 2t+9]. Row g is column 2g of the
// block and row g + 8 column 2g + 1 (a_col); the k-pair within the k16 step is a_pair.
LB_HD int a_col(int g, int e) { return 2 * g + (e & 1); }
LB_HD int a_pair(int t, int e) { return t + 4 * (e >> 1); }

// Accumulator register e: D[g + 8 (e >> 1)][2t + (e & 1)], i.e. column d_col of the block and x
// row d_row of the 8-row tile.
LB_HD int d_col(int g, int e) { return 2 * g + (e >> 1); }
LB_HD int d_row(int t, int e) { return 2 * t + (e & 1); }

// ldmatrix.x4 for the k16 step s (0..3 in a stage) of x tiles `tile` and `tile + 1`: lane L gives
// the row address of matrix L / 8 — tile + (L / 8) / 2, chunk 2s + (L / 8) % 2 — row L % 8. Lane
// (g, t) then receives, of matrix q, x[8 (tile + q / 2) + g][16 s + 8 (q % 2) + 2t, + 1]: B[2t..][g]
// of the k-half q % 2, i.e. b0 (q even) and b1 (q odd) of the two tiles. (ldmatrix.x2, for a
// single tile, reads the first two matrices: lanes 0..15's addresses.)
LB_HD int ldm_row(int tile, int lane) { return 8 * (tile + ((lane >> 3) >> 1)) + (lane & 7); }
LB_HD int ldm_chunk(int s, int lane) { return 2 * s + ((lane >> 3) & 1); }

// The two codes of byte `byte` (0 or 1) of a 16-bit word — low nibble = even k, high = odd k — as
// the 16-bit float pair {magic + low, magic + high} (low k in the low half), magic = 1024 (f16,
// whose ulp there is 1) or 128 (bf16, ulp 1 too). The kernel subtracts the magic pair: exact u.
constexpr uint32_t kF16Magic = 0x64006400u;
constexpr uint32_t kBF16Magic = 0x43004300u;
LB_HD uint32_t biased_pair(uint32_t word16, int byte, uint32_t magic) {
  const uint32_t spread = word16 | (word16 << 12);  // bits 16..19 (24..27) = the word's bits 4..7 (12..15)
  return ((spread >> (8 * byte)) & 0x000F000Fu) | magic;
}

// The fold unit: weight groups are folded (y += scale (acc - zero . sum x)) every `unit` k. A group
// of at most 256 is its own unit; longer groups (one per row) are halved while they stay multiples
// of 16, so split-K can cut k at unit boundaries. Needs group % 16 == 0.
LB_HD int64_t fold_unit(int64_t group) {
  int64_t u = group;
  while (u > 256 && u % 32 == 0) u /= 2;
  return u;
}

}  // namespace lb::cuda_w4tc
