// The blocked driver of the bf16 GEMMs (FP8, W4A8): work items of (96 rows of A) x (a 32-column
// panel of B) spread over the pool; inside an item, k in chunks whose panel slice is decoded from
// the packed weights to bf16 once and then swept by every row block of the item (so decoding
// costs one pass over B per 96 rows), and k blocks that carry their own scales (FP8 128 x 128
// blocks, W4A8 groups) summed into the item's accumulators through the caller's policy. With at
// most 4 rows a decoding pass per call would dominate, so a direct tile decodes in registers.
#pragma once
#include <algorithm>
#include <cstring>

#include "../../core/scratch.h"
#include "../../core/thread_pool.h"
#include "../convert/convert.h"
#include "bf16_tile.h"

namespace lb::cpu {

struct Bf16Problem {
  const uint16_t *a;        // bf16 [m][2 * k2]: rows of A, zero past k
  const uint8_t *b_packed;  // [ceil(n/16)][k2][16][2] weights in the caller's code, zero past n and k
  int64_t pair_bytes;       // bytes of one k pair of a 16-column block (32 weights)
  ConvertFn decode;         // packed bytes -> bf16, elementwise
  int64_t m, n, k2;
  int64_t block_pairs;      // k pairs per separately scaled k block; 0: all of k is one block
  Bf16DirectTile direct;    // decodes in registers (used for m <= kBf16DirectRows); nullptr: none
};

constexpr int64_t kBf16DirectRows = 4;

// Policy:
//   void block(float *total, const float *partial, int rows, int64_t i0, int64_t j0, int64_t kb) const
//     adds the k-block-kb partial sums of rows i0.. (32 columns from j0, rows kBf16Panel apart) into total;
//   void finish(const float *acc, int64_t i, int64_t j0, int64_t cols, float *row_buffer) const
//     writes row i, columns j0 .. j0 + cols - 1 of D from its accumulators (row_buffer: kBf16Panel floats).
constexpr int64_t kBf16Panel = 2 * kBf16ColBlock;

template <class Policy>
void bf16_gemm(const Bf16Problem &p, const Policy &policy) {
  constexpr int kRows = 8;             // micro-kernel rows (the tiles take up to 12)
  constexpr int64_t kGroupBlocks = 12;  // row blocks per work item
  constexpr int64_t kChunk = 256;       // k pairs per decoded chunk (32 KiB of bf16 panel)
  const Bf16Tile tile = bf16_tile();
  const int64_t lda = 2 * p.k2, n16 = (p.n + kBf16ColBlock - 1) / kBf16ColBlock;
  const int64_t panels = (p.n + kBf16Panel - 1) / kBf16Panel, row_blocks = (p.m + kRows - 1) / kRows;
  const int64_t groups = (row_blocks + kGroupBlocks - 1) / kGroupBlocks;
  const bool scaled_blocks = p.block_pairs > 0;
  const int64_t block = scaled_blocks ? p.block_pairs : p.k2;
  const bool direct = p.direct && p.m <= kBf16DirectRows;
  parallel_for(groups * panels, 1, [&](int64_t w0, int64_t w1) {
    // Per-thread scratch, reused (as the int8 driver's): zeroed vectors per chunk, 44 KiB of them,
    // were a visible share of a MiniLM-sized call. Every k block's first chunk overwrites its
    // accumulators, and `total` is cleared below where blocks are summed into it.
    const int64_t acc_size = kGroupBlocks * kRows * kBf16Panel;
    float *total = thread_scratch<float>(kScratchTileAcc, acc_size);
    float *partial = scaled_blocks ? thread_scratch<float>(kScratchTilePartial, acc_size) : nullptr;
    uint16_t *panel = thread_scratch<uint16_t>(kScratchTilePanel, 2 * kChunk * 32);
    float row_buffer[kBf16Panel];
    for (int64_t w = w0; w < w1; ++w) {
      const int64_t g = w / panels, j0 = (w % panels) * kBf16Panel, jb0 = j0 / kBf16ColBlock;
      const int nb = static_cast<int>(std::min<int64_t>(2, n16 - jb0));
      const int64_t rb0 = g * kGroupBlocks, rb1 = std::min(row_blocks, rb0 + kGroupBlocks);
      if (scaled_blocks) std::fill(total, total + acc_size, 0.0f);
      for (int64_t kb = 0, b0 = 0; b0 < p.k2; ++kb, b0 += block) {
        const int64_t b1 = std::min(p.k2, b0 + block);
        float *sums = scaled_blocks ? partial : total;
        for (int64_t c0 = b0; c0 < b1; c0 += kChunk) {
          const int64_t kq = std::min(kChunk, b1 - c0);
          const bool accumulate = scaled_blocks ? c0 > b0 : c0 > 0;
          if (direct) {  // one row block: read the packed codes in place
            p.direct(p.a + 2 * c0, lda, p.b_packed + (jb0 * p.k2 + c0) * p.pair_bytes, p.k2 * p.pair_bytes, kq, static_cast<int>(p.m), nb,
                     sums, kBf16Panel, accumulate);
            continue;
          }
          for (int c = 0; c < nb; ++c)
            p.decode(p.b_packed + ((jb0 + c) * p.k2 + c0) * p.pair_bytes, panel + c * kChunk * 32, kq * 32);
          for (int64_t rb = rb0; rb < rb1; ++rb) {
            const int64_t i0 = rb * kRows;
            const int mr = static_cast<int>(std::min<int64_t>(kRows, p.m - i0));
            tile(p.a + i0 * lda + 2 * c0, lda, panel, kChunk * 32, kq, mr, nb, sums + (rb - rb0) * kRows * kBf16Panel,
                 kBf16Panel, accumulate);
          }
        }
        if (scaled_blocks)
          for (int64_t rb = rb0; rb < rb1; ++rb) {
            const int64_t off = (rb - rb0) * kRows * kBf16Panel;
            const int rows = static_cast<int>(std::min<int64_t>(kRows, p.m - rb * kRows));
            policy.block(total + off, partial + off, rows, rb * kRows, j0, kb);
          }
      }
      const int64_t cols = std::min<int64_t>(p.n - j0, nb * kBf16ColBlock);
      for (int64_t row = rb0 * kRows; row < std::min(p.m, rb1 * kRows); ++row)
        policy.finish(total + (row - rb0 * kRows) * kBf16Panel, row, j0, cols, row_buffer);
    }
  });
}

}  // namespace lb::cpu
