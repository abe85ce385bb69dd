// Shared-memory layout of one pipeline stage of the Hopper (sm_90a) wgmma GEMMs (wg_gemm.cuh: W8A8
// and FP8 when the output has enough 128 x 128 tiles to fill the GPU), as plain index functions, so
// that a host test (native/tests/wg_layout_test.cpp) can emulate a stage: every 16-byte cp.async
// chunk lands whole in its own slot, the weight fragment reads are free of bank conflicts, the
// activation tile reads back through the wgmma matrix descriptor as the rows it was copied from, and
// the fragments give the direct sums.
//
// Operands are swapped: wgmma's A (64 rows per warpgroup, held in registers) is the packed weight
// matrix B of lowbit.h, and wgmma's B (read by the tensor cores from shared memory through a matrix
// descriptor) is the activation matrix A. So the weights keep lowbit.h's packed layouts, read with
// the same fragment loads as the mma.sync kernels (tile_layout.h), and the activations, already
// K-major rows, only need the 128-byte swizzle the descriptor names; nothing is re-packed.
//
// A stage: kWgM activation rows x kWgK bytes of k (a 1024-byte swizzle atom per 8 rows, 16 KiB),
// then kWgN weight columns x kWgK k in the packed order (16 KiB). Stages start 1024-aligned, as the
// 128-byte swizzle requires (its XOR reads address bits 7..9).
#pragma once
#include <stdint.h>

#include "../../common/host_device.h"

namespace lb::cuda_wg {

constexpr int kWgM = 128;        // activation rows per thread block: wgmma's N
constexpr int kWgN = 128;        // weight columns per thread block: 2 warpgroups x wgmma's M (64)
constexpr int kWgK = 128;        // 8-bit k per stage: four wgmma k32 steps, one FP8 scale block
constexpr int kWgStages = 4;     // cp.async pipeline depth: 4 x 32 KiB (one more when wgmmas stay in flight)
constexpr int kWgThreads = 256;  // 2 warpgroups
constexpr int kXBytes = kWgM * kWgK;
constexpr int kWBytes = kWgN * kWgK;
constexpr int kStageBytes = kXBytes + kWBytes;
// Per-stage scales an Op may copy with the stage (FP8 128 x 128 block scales): one word per activation
// row and one for the tile's weight column block, rounded up to 16 bytes.
constexpr int kScaleWords = kWgM + 4;
constexpr int kScaleBytes = kScaleWords * 4;
constexpr int kOutPitch = kWgN + 4;  // words per row of the epilogue's staging tile (no bank conflicts)

// Byte of activation row `row` (0..127), k byte `kb` (0..127) in the stage: the row's 16-byte chunk c
// goes to chunk c ^ (row % 8) — the SWIZZLE_128B pattern.
LB_HD int x_byte(int row, int kb) { return row * kWgK + ((((kb >> 4) ^ row) & 7) << 4) + (kb & 15); }

// The byte the tensor cores read for element (n, kb) (kb < 32) of a K-major SWIZZLE_128B operand
// whose descriptor starts `start` bytes past a 1024-aligned base (32 s for k32 step s): rows 128
// bytes apart, 8-row groups `SBO` = 1024 apart, then address bits 4..6 XORed with bits 7..9.
LB_HD int sw128_read_byte(int start, int n, int kb) {
  const int lin = start + (n >> 3) * 1024 + (n & 7) * 128 + kb;
  return lin ^ (((lin >> 7) & 7) << 4);
}

// The wgmma shared-memory matrix descriptor of such an operand at shared address `addr`: start
// address >> 4 (bits 0..13), leading byte offset 1 (unused for K-major swizzled operands whose k32
// step fits in one 128-byte row), stride byte offset 1024 >> 4 (bits 32..45), base offset 0, swizzle
// mode 1 = 128B (bits 62..63).
LB_HD uint64_t sw128_desc(uint32_t addr) {
  return static_cast<uint64_t>((addr & 0x3FFFFu) >> 4) | (uint64_t{1} << 16) | (uint64_t{1024 >> 4} << 32) | (uint64_t{1} << 62);
}

// FP8 weights (lowbit.h's pairs: 16 bits = 2 k of one column): byte of column block `jb` (0..7),
// k-pair `kp` (0..63), column `jj` (0..15). Each k-pair row is 32 bytes (columns 0..7, 8..15: a
// cp.async chunk and an ldmatrix row each); the halves of pairs 4..7 (mod 8) are swapped so the 8
// rows of an ldmatrix matrix hit 8 different bank groups (as tile_layout.h's fp8_b_byte).
LB_HD int w_fp8_byte(int jb, int kp, int jj) {
  return (jb * (kWgK / 2) + kp) * 32 + (((jj >> 3) ^ ((kp >> 2) & 1)) << 4) + (jj & 7) * 2;
}

// Int8 weights (lowbit.h's quads: one 32-bit word = 4 k of one column = one wgmma A register):
// word of column block `jb`, k-quad `kq` (0..31), column `jj`; the 16 columns of quads 2, 3 (mod 4)
// are stored with their halves swapped so a fragment read hits 32 banks (as tile_layout.h's
// int8_b_word).
LB_HD int w_int8_word(int jb, int kq, int jj) { return (jb * (kWgK / 4) + kq) * 16 + (jj ^ (((kq >> 1) & 1) << 3)); }

// Where 16-byte chunk c (0..127) of column block jb's 2 KiB run of a stage goes: FP8: k-pair c / 2,
// columns 8 (c % 2) ..; int8: quad c / 4, columns 4 (c % 4) ...
LB_HD int w_fp8_chunk_byte(int jb, int c) { return w_fp8_byte(jb, c >> 1, (c & 1) * 8); }
LB_HD int w_int8_chunk_byte(int jb, int c) { return w_int8_word(jb, c >> 2, (c & 3) * 4) * 4; }

// The warp-specialised kernel (wg_ws_gemm.cuh) fills the same stage layout with two TMA loads instead
// of the threads' cp.async chunks. TMA writes a box densely (dimension 0 fastest) and then moves each
// 16-byte chunk by the tensor map's swizzle, a function of the shared-memory address: SWIZZLE_128B
// XORs address bits 7..9 into bits 4..6, SWIZZLE_32B bit 7 into bit 4 (the box placed at a multiple
// of 1024 bytes). Activations: box {kWgK bytes, kWgM rows} of the [m][k] matrix, SWIZZLE_128B — x_byte
// exactly. FP8 weights: lowbit.h's packed matrix seen as [n / 16 column blocks][k / 2 pairs][32 bytes],
// box {32 bytes, kWgK / 2 pairs, kWgN / 16 blocks}, SWIZZLE_32B — w_fp8_byte exactly (its pair rows
// of 32 bytes swap halves when pair bit 2, address bit 7, is set). wg_layout_test checks both maps
// byte for byte. (The int8 quads' swap — bit 5 from bit 7 — is no TMA pattern: W8A8 keeps cp.async.)
constexpr int kTmaWPairs = kWgK / 2, kTmaWBlocks = kWgN / 16;
LB_HD int tma_swizzle128(int off) { return off ^ ((off >> 3) & 0x70); }
LB_HD int tma_swizzle32(int off) { return off ^ ((off >> 3) & 0x10); }
// Where the activation box puts row `row`, k byte `kb`; where the weight box puts byte `b` (0..31)
// of k-pair `kp` of column block `jb` (relative to the stage's weight area).
LB_HD int tma_x_byte(int row, int kb) { return tma_swizzle128(row * kWgK + kb); }
LB_HD int tma_w_fp8_byte(int jb, int kp, int b) { return tma_swizzle32((jb * kTmaWPairs + kp) * 32 + b); }

// How the warp-specialised kernel gets a stage's weights (Op::kWsWeights): its producer threads'
// cp.async chunks (W8A8's quads), one TMA box of lowbit.h's FP8 pairs (above), or one TMA box of a
// K-major copy of the weights (below).
enum class WsWeights { kCpAsync, kTmaPairs, kTmaKMajor };

// K-major weights (LOWBIT_CUDA_KMAJOR=1; an experiment, docs/gemm.md). wgmma reads both operands from
// shared memory when the weights, like the activations, keep each column's k bytes contiguous: B as
// [n][k] row-major. A box {kWgK bytes, kWgN columns} of it with SWIZZLE_128B lands as the activation box
// does (x_byte, with the column in the tile for the row), so warpgroup wg's A (weight columns 64 wg ..
// 64 wg + 63 of the tile) at k32 step s is the SWIZZLE_128B operand whose descriptor starts
// kmajor_a_start(wg, s) bytes into the stage's weight area — no fragment loads. lowbit.h's packed forms
// are turned into it per call (kmajor_copy.cu): a thread takes one column block and 16 k — 256
// contiguous bytes of its run, read as words in[r][w] (8 rows of 8 words) — and writes each column's
// 16 bytes as 4 words, word q = k 4q .. 4q + 3:
//   FP8 pairs: row r = pair row r (word w: columns 2w (low half) and 2w + 1), word q = pairs 2q, 2q + 1;
//   int8 quads: quad row q is rows 2q, 2q + 1 (words 0..7, 8..15 = columns), word q = its column's word.
LB_HD int kmajor_a_start(int wg, int s) { return x_byte(64 * wg, 32 * s); }
LB_HD uint32_t kmajor_pair_word(const uint32_t (&in)[8][8], int jj, int q) {
  const uint32_t lo = in[2 * q][jj >> 1], hi = in[2 * q + 1][jj >> 1];
  return (jj & 1) ? (lo >> 16) | (hi & 0xFFFF0000u) : (lo & 0xFFFFu) | (hi << 16);
}
LB_HD uint32_t kmajor_quad_word(const uint32_t (&in)[8][8], int jj, int q) { return in[2 * q + (jj >> 3)][jj & 7]; }

// Which 16-byte chunks of a stage thread `tid` copies (wg_gemm.cuh's WgCopies): kCopies activation
// chunks — row x_row(tid, it), k bytes 16 x_chunk(tid).. — and kCopies weight chunks — chunk
// w_chunk(tid) of column block w_block(tid, it)'s 2 KiB run — for it = 0 .. kCopies - 1. A thread's
// chunks differ only in the row / column block, by constant steps, and land kSlotStep bytes apart in
// the stage (x_byte's swizzle repeats every 8 rows; w_*_chunk_byte puts a column block's run 2 KiB
// after the previous one's), so the loader keeps one source and one slot per kind and steps them
// instead of recomputing 64-bit addresses, bounds and swizzles for every chunk of every stage (on the
// H200 the kernels issued ~300 instructions a warp a stage for that, W8A8 issue-bound). Checked by
// wg_layout_test.
struct WgCopyPlan {
  static constexpr int kXChunks = kWgK / 16;       // chunks of an activation row's stage bytes
  static constexpr int kWChunks = kWgK * 16 / 16;  // chunks of a column block's stage run
  static constexpr int kCopies = kXBytes / 16 / kWgThreads;
  static constexpr int kXRowStep = kWgThreads / kXChunks, kWBlockStep = kWgThreads / kWChunks;
  static constexpr int kSlotStep = kXRowStep * kWgK;
  static_assert(kWBytes / 16 / kWgThreads == kCopies && kXRowStep % 8 == 0 && kWBlockStep * kWChunks * 16 == kSlotStep,
                "a thread's chunks are whole rows / column blocks apart, kSlotStep bytes in the stage");
  LB_HD_MEMBER static int x_row(int tid, int it) { return tid / kXChunks + it * kXRowStep; }
  LB_HD_MEMBER static int x_chunk(int tid) { return tid % kXChunks; }
  LB_HD_MEMBER static int w_block(int tid, int it) { return tid / kWChunks + it * kWBlockStep; }
  LB_HD_MEMBER static int w_chunk(int tid) { return tid % kWChunks; }
};

// The FP8 weight fragment of k32 step s for the warp that owns column block jb: lane L gives the
// address of row L % 8 of ldmatrix matrix q = L / 8 — k-pairs 16 s + 8 (q / 2) + L % 8, columns
// 8 (q % 2) .. + 7 — so that .trans hands lane (g, t) wgmma's A registers in order: a0 = W-row g,
// k 4t..4t+3; a1 = row g + 8; a2 = row g, k 16 + 4t..; a3 = row g + 8, k 16 + 4t.. .
LB_HD int w_fp8_ldmatrix_byte(int jb, int s, int lane) {
  const int q = lane >> 3;
  return w_fp8_byte(jb, 16 * s + 8 * (q >> 1) + (lane & 7), (q & 1) * 8);
}

// The int8 weight fragment of k32 step s, register r (0..3) of lane (g, t): the quad word of W-row
// g (+8 for r odd), k 4t (+16 for r >= 2).
LB_HD int w_int8_fragment_word(int jb, int s, int lane, int r) {
  return w_int8_word(jb, 8 * s + 4 * (r >> 1) + (lane & 3), (lane >> 2) + 8 * (r & 1));
}

// wgmma's m64nNk* accumulator layout: register 4 q + e of lane (g, t) in warp w of a warpgroup holds
// D[M = 16 w + g + 8 (e / 2)][N = 8 q + 2 t + e % 2]. Here M is the weight column, N the activation
// row: the output's (row, column) within the thread block's tile, for warpgroup wg.
struct TileIndex {
  int row, col;
};
LB_HD TileIndex acc_position(int wg, int warp, int lane, int reg) {
  const int q = reg >> 2, e = reg & 3;
  return {8 * q + 2 * (lane & 3) + (e & 1), 64 * wg + 16 * warp + (lane >> 2) + 8 * (e >> 1)};
}

// The output tile (row tile, column tile) of thread block `id` of a rows x cols grid. Blocks start
// roughly in launch order, so consecutive blocks take kWgGroupRows row tiles column by column
// (column-major within the group) instead of sweeping whole rows: the ~132 resident blocks of an
// H100 then share 8 activation row tiles and ~17 weight column tiles (8192 x 8192 x 8192 FP8:
// 25 MiB, inside the 50 MiB L2) instead of 2 row tiles and all 64 weight column tiles (66 MiB,
// streamed from memory again for every row tile).
struct WgTile {
  unsigned row, col;
};
constexpr unsigned kWgGroupRows = 8;
LB_HD WgTile tile_of_block(unsigned id, unsigned rows, unsigned cols) {
  const unsigned group = id / (kWgGroupRows * cols), first = group * kWgGroupRows, in_group = id % (kWgGroupRows * cols);
  const unsigned height = rows - first < kWgGroupRows ? rows - first : kWgGroupRows;
  return {first + in_group % height, in_group / height};
}

// The clustered warp-specialised kernel (LOWBIT_CUDA_WS=2): thread blocks go in clusters of two along
// the column tiles, the two sharing their activation rows, each loading half of them (kWgM / 2 rows)
// for both through TMA multicast. Cluster q = id / 2 takes tile_of_block's order over (rows, pairs)
// column pairs; its block of rank id % 2 takes column 2 * pair + rank — past the last column tile
// when the column count is odd: a padding block, which loads and multicasts its half of the rows but
// has no outputs.
constexpr int kWsClusterBlocks = 2;
LB_HD WgTile tile_of_cluster_block(unsigned id, unsigned rows, unsigned pairs) {
  const WgTile t = tile_of_block(id / kWsClusterBlocks, rows, pairs);
  return {t.row, kWsClusterBlocks * t.col + id % kWsClusterBlocks};
}

}  // namespace lb::cuda_wg
