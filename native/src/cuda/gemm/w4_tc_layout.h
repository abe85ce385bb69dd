// The swapped-operand tensor-core kernels for 4-bit weights (w4_tc.cu: W4A16 with F16/BF16 x, W4A8
// with FP8 x) as plain index functions, so a host test (native/tests/w4_tc_layout_test.cpp) can
// check them: it emulates one pipeline stage of each kernel on the CPU from these maps and PTX's
// fragment layouts, and counts the banks of every shared-memory read.
//
// The kernels compute y^T = W . x^T ("swapped" operands): the mma's A is 16 weight columns (one
// packed 16-column block) by one k step, its B is that k step by 8 rows of x, so a decode batch of
// up to 8 rows fills an mma and x rows, contiguous in k, are B's natural column-major layout. The
// packed weights are lowbit.h's W4A16 layout, the same bytes the CPU reads: per column block, one
// 16-byte "pair-row" per k-pair (byte jj = column jj's codes of k 2p (low nibble) and 2p + 1 (high
// nibble)). A's rows are assigned to columns so that a lane's two rows (g and g + 8) are columns 2g
// and 2g + 1: both come from one 16-bit shared load per pair-row.
//   - 16-bit x (mma.m16n8k16, W4A16): an A register is 2 k of one column — one byte of codes.
//   - 8-bit x (mma.m16n8k32 fp8, W4A8): an A register is 4 k of one column — the same byte of two
//     consecutive pair-rows, its 4 codes turned into E4M3 by byte permutes (e4m3_codes4).
// Either way a stage of x is 128 bytes per row (64 or 128 k) and a stage is 4 mma k steps.
#pragma once
#include <stdint.h>

#include "../../common/host_device.h"
#include "tile_layout.h"

namespace lb::cuda_w4tc {

constexpr int kWarps = 4;   // one packed 16-column block per warp
constexpr int kThreads = 32 * kWarps;
constexpr int kStages = 4;  // cp.async pipeline depth
constexpr int kXChunks = 8; // 16-byte chunks of an x row per stage (128 bytes)

// One pipeline stage for x elements of kXBytes bytes (2: F16/BF16, 1: FP8).
template <int kXBytes>
struct Stage {
  static constexpr int kK = 128 / kXBytes;       // k per stage
  static constexpr int kStepK = 32 / kXBytes;    // k per mma step (16 or 32): 4 steps per stage
  static constexpr int kPairs = kK / 2;          // pair-rows of a column block per stage, 16 bytes each
  static constexpr int kWBytes = kWarps * kPairs * 16;
};

// Byte `byte` of pair-row `pr` of warp w's column block in a stage. The pair-rows a fragment read
// touches are consecutive 16-byte rows (checked: no bank conflicts), so no swizzle is needed.
template <int kXBytes>
LB_HD int w_byte(int w, int pr, int byte) {
  return (w * Stage<kXBytes>::kPairs + pr) * 16 + byte;
}

// 16-byte slot of x row r, chunk c (0..7) in a stage. Rows are 128 bytes, so the 8 rows an
// ldmatrix phase reads would share 4 banks; the chunk index XOR the row spreads them over all 32.
LB_HD int x_slot(int r, int c) { return r * kXChunks + (c ^ (r & 7)); }

// Lane (g = lane / 4, t = lane % 4). A register e (PTX, m16n8k16 16-bit and m16n8k32 8-bit alike):
// rows g + 8 (e & 1), the k half e >> 1. Row g is column 2g of the block, row g + 8 column 2g + 1.
LB_HD int a_col(int g, int e) { return 2 * g + (e & 1); }
// 16-bit A: k 2t, 2t + 1 (+ 8 for e >> 1) — pair-row a_pair of the k16 step.
LB_HD int a_pair(int t, int e) { return t + 4 * (e >> 1); }
// 8-bit A: k 4t .. 4t + 3 (+ 16 for e >> 1) — pair-rows a8_pair and a8_pair + 1 of the k32 step.
LB_HD int a8_pair(int t, int e) { return 2 * t + 8 * (e >> 1); }

// Accumulator register e: D[g + 8 (e >> 1)][2t + (e & 1)], i.e. column d_col of the block and x
// row d_row of the 8-row tile (the same for both mma shapes).
LB_HD int d_col(int g, int e) { return 2 * g + (e >> 1); }
LB_HD int d_row(int t, int e) { return 2 * t + (e & 1); }

// ldmatrix.x4 for mma step s (0..3 in a stage) of x tiles `tile` and `tile + 1`: lane L gives the
// row address of matrix L / 8 — tile + (L / 8) / 2, chunk 2s + (L / 8) % 2 — row L % 8. Lane (g, t)
// then receives, of matrix q, the 4 bytes at 4t of row g: B[k][g] for the k half q % 2 of the step
// (2 k of 16-bit x, 4 k of 8-bit x), i.e. b0 (q even) and b1 (q odd) of the two tiles.
// (ldmatrix.x2, for a single tile, reads the first two matrices: lanes 0..15's addresses.)
LB_HD int ldm_row(int tile, int lane) { return 8 * (tile + ((lane >> 3) >> 1)) + (lane & 7); }
LB_HD int ldm_chunk(int s, int lane) { return 2 * s + ((lane >> 3) & 1); }

// Sums of x rows on the tensor cores (what takes the zero points out at each fold). The B registers
// ldmatrix.x4 gives for a pair of tiles — b[0], b[1]: tile 0's k halves, b[2], b[3]: tile 1's —
// hold, reordered, the A fragment of the 16 rows (row g = tile 0's row g, row g + 8 = tile 1's):
// A register e (rows g + 8 (e & 1), k half e >> 1) is b[sum_a_reg(e)]. Times a B of ones, D's row r
// is the sum of x row r over the step's k in every column, so lane (g, t) holds tile 0's row g in
// d[0] (and d[1]) and tile 1's row g in d[2] (and d[3]). The lane that folds accumulator e of tile h
// needs row d_row(t, e) of tile h: register 2h of lane sum_lane(d_row(t, e)).
LB_HD int sum_a_reg(int e) { return 2 * (e & 1) + (e >> 1); }
LB_HD int sum_lane(int row) { return 4 * row; }

// The copies of one stage, as each thread issues them (w4_tc.cu's StageCopies): thread tid's
// code chunk c is pair-row tid % kPairs of column block tid / kPairs + c kWPass, its x chunk c is
// 16-byte piece tid % kXChunks of row tid / kXChunks + c kXPass. Chunk c's shared slot is chunk
// 0's plus c times a constant step (checked on the host: x_slot's swizzle repeats every 8 rows and
// kXPass is a multiple of 8), so a thread keeps one offset per kind.
template <int kXBytes>
struct CopyPlan {
  static constexpr int kPairs = Stage<kXBytes>::kPairs;
  static constexpr int kWPass = kThreads / kPairs, kW = kWarps / kWPass;  // code chunks a thread: 1 (16-bit x) or 2 (8-bit)
  static constexpr int kXPass = kThreads / kXChunks;                       // x rows one pass of the threads covers
  static constexpr int kWSlotStep = kWPass * kPairs * 16, kXSlotStep = 16 * kXPass * kXChunks;
  static_assert(kThreads % kPairs == 0 && kWarps % kWPass == 0 && kXPass % 8 == 0, "whole blocks and rows a pass");
  LB_HD_MEMBER static int w_block(int tid, int c) { return tid / kPairs + c * kWPass; }
  LB_HD_MEMBER static int w_pair(int tid) { return tid % kPairs; }
  LB_HD_MEMBER static int x_row(int tid, int c) { return tid / kXChunks + c * kXPass; }
  LB_HD_MEMBER static int x_chunk(int tid) { return tid % kXChunks; }
};

// The weight group of each fold unit of a split, followed unit by unit (w4_tc.cu's FoldParams)
// instead of dividing: a split starts at a unit boundary k_begin, and a unit divides its group.
struct FoldCursor {
  int64_t group;  // index along k of the current unit's weight group
  int unit_in_group, units_per_group;
  LB_HD_MEMBER FoldCursor(int64_t k_begin, int64_t unit, int64_t group_size)
      : group(k_begin / group_size), unit_in_group(static_cast<int>((k_begin / unit) % (group_size / unit))),
        units_per_group(static_cast<int>(group_size / unit)) {}
  // To the next unit; true when it starts a new group.
  LB_HD_MEMBER bool advance() {
    if (++unit_in_group < units_per_group) return false;
    unit_in_group = 0;
    ++group;
    return true;
  }
};

// The two codes of byte `byte` (0 or 1) of a 16-bit word — low nibble = even k, high = odd k — as
// the 16-bit float pair {magic + low, magic + high} (low k in the low half), magic = 1024 (f16,
// whose ulp there is 1) or 128 (bf16, ulp 1 too). The kernel subtracts the magic pair: exact u.
constexpr uint32_t kF16Magic = 0x64006400u;
constexpr uint32_t kBF16Magic = 0x43004300u;
LB_HD uint32_t biased_pair(uint32_t word16, int byte, uint32_t magic) {
  const uint32_t spread = word16 | (word16 << 12);  // bits 16..19 (24..27) = the word's bits 4..7 (12..15)
  return lb::and_or(spread >> (8 * byte), 0x000F000Fu, magic);
}

// Byte `byte` of two 16-bit words (pair-rows p and p + 1 of one lane): the 4 codes of k 4t .. 4t+3,
// nibble i = code of k 4t + i.
LB_HD uint32_t code_nibbles(uint32_t v0, uint32_t v1, int byte) {
  return ((v0 >> (8 * byte)) & 0xffu) | (((v1 >> (8 * byte)) & 0xffu) << 8);
}

// E4M3 encodings of the integers 0..15 (all exact), four to a word: 0..3, 4..7, 8..11, 12..15.
constexpr uint32_t kE4M3Codes[4] = {0x44403800u, 0x4E4C4A48u, 0x53525150u, 0x57565554u};

// Four codes (nibbles of `nibbles`, low first) as four E4M3 bytes: two 8-entry byte permutes
// (codes 0..7 and 8..15, each selected by the nibble's low 3 bits) and a third that turns bit 3
// of each nibble into a byte mask choosing between them.
LB_HD uint32_t e4m3_codes4(uint32_t nibbles) {
  using lb::cuda_tile::pick_bytes;
  const uint32_t sel = nibbles & 0x7777u;
  const uint32_t low = pick_bytes(kE4M3Codes[0], kE4M3Codes[1], sel), high = pick_bytes(kE4M3Codes[2], kE4M3Codes[3], sel);
  const uint32_t mask = pick_bytes(0x00000000u, 0xffffffffu, (nibbles >> 1) & 0x4444u);
  return (high & mask) | (low & ~mask);
}

// The fold unit: weight groups are folded (y += scale (acc - zero . sum x)) every `unit` k. A group
// of at most 256 is its own unit; longer groups (one per row) are halved while they stay multiples
// of the mma step (16 or 32), so split-K can cut k at unit boundaries. Needs group % step == 0.
LB_HD int64_t fold_unit(int64_t group, int step) {
  int64_t u = group;
  while (u > 256 && u % (2 * step) == 0) u /= 2;
  return u;
}

}  // namespace lb::cuda_w4tc
