// lb_w8a8_* on the CPU (and the int8 driver W4A4 shares). The tiles read A in place when k is a
// whole number of quads (they flip its sign bits into A + 128 themselves), else from a copy
// padded to quads; then work items of (96 rows of A) x (a 32-column panel of packed B), blocked along k,
// through the micro-kernel, spread over the pool; each item's accumulators get the offset * colsum
// correction (128 for the tiles that add 128 to A; see tile_for) and the epilogue before
// they leave the thread.
#include <algorithm>
#include <cstring>

#include "../../core/cpu_features.h"
#include "../../core/scratch.h"
#include "../../core/thread_pool.h"
#include "../convert/convert.h"
#include "w8a8.h"

namespace lb::cpu {
namespace {

constexpr int kRows = 8;  // micro-kernel rows: 12 (24 accumulators) measured 10-25% slower than 8
constexpr int64_t kPanel = 2 * kW8A8ColBlock;  // micro-kernel columns
constexpr int64_t kGroupBlocks = 12;          // row blocks per work item (96 rows of A)
constexpr int64_t kKQuads = 256;              // k-quads per block (1024 k: 32 KiB of the B panel)

// The micro-kernel for this call, and the offset its sums carry on A (corrected by offset * colsum).
// Without VPDPBUSD (AVX2, and AVX-512 without VNNI: Skylake-SP) there are three: W4A4's operands take
// the int4 tile ((A + 8) * B); otherwise the signed tile when A holds no -128 (never, when lowbit
// quantized it: int8 codes are -127..127: no offset); a call with -128 somewhere in A takes the AVX2
// tile that adds 128 to A, as the VNNI and scalar ones do. AVX-512 runs the first two at 64 bytes
// (w8a8_bw_avx512.cpp).
struct TileChoice {
  W8A8Tile tile;
  int32_t offset;
};
TileChoice tile_for(const Int8Weights &b, const uint8_t *a8, int64_t a_bytes) {
  if (avx512_vnni()) return {w8a8_tile_avx512(), 128};  // VPDPBUSD
  if (current_isa() == LB_ISA_SCALAR) return {w8a8_tile_scalar(), 128};
  const bool wide = current_isa() == LB_ISA_AVX512;
  if (b.int4_operands) return {wide ? w8a8_tile_avx512bw_int4() : w8a8_tile_avx2_int4(), 8};
  if (!std::memchr(a8, 0x80, static_cast<size_t>(a_bytes))) return {wide ? w8a8_tile_avx512bw_signed() : w8a8_tile_avx2_signed(), 0};
  return {w8a8_tile_avx2(), 128};
}

const int32_t *colsums(const void *packed, int64_t n, int64_t k) {
  return reinterpret_cast<const int32_t *>(static_cast<const char *>(packed) + w8a8_n16(n) * kW8A8ColBlock * w8a8_k4(k) * 4);
}

}  // namespace

void w8a8_prepack(const int8_t *b, int64_t n, int64_t k, void *packed) {
  const int64_t K4 = w8a8_k4(k), N16 = w8a8_n16(n);
  auto *dst = static_cast<int8_t *>(packed);
  auto *sums = const_cast<int32_t *>(colsums(packed, n, k));
  parallel_for(N16, 1, [&](int64_t jb0, int64_t jb1) {
    for (int64_t jb = jb0; jb < jb1; ++jb) {
      std::memset(dst + jb * K4 * 64, 0, static_cast<size_t>(K4 * 64));
      for (int64_t jj = 0; jj < kW8A8ColBlock; ++jj) {
        const int64_t j = jb * kW8A8ColBlock + jj;
        int32_t s = 0;
        if (j < n)
          for (int64_t l = 0; l < k; ++l) {
            dst[((jb * K4 + l / 4) * 16 + jj) * 4 + l % 4] = b[j * k + l];
            s += b[j * k + l];
          }
        sums[j] = s;
      }
    }
  });
}

lb_status w8a8_gemm(const int8_t *a, const float *a_scales, const void *b_packed, const float *b_scales,
                    const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k) {
  const Int8Weights b{static_cast<const uint8_t *>(b_packed), 64, nullptr, colsums(b_packed, n, k)};
  return int8_gemm(a, a_scales, b, b_scales, bias, d, d_dtype, m, n, k);
}

lb_status int8_gemm(const int8_t *a, const float *a_scales, const Int8Weights &b, const float *b_scales, const float *bias,
                    void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k) {
  const int64_t K4 = w8a8_k4(k), lda = K4 * 4;
  // k off the quads: a copy padded with A = 0, which meets B's zero padding.
  const uint8_t *a8 = reinterpret_cast<const uint8_t *>(a);
  if (lda != k) {
    uint8_t *padded = thread_scratch<uint8_t>(kScratchGemmA, m * lda);
    for (int64_t r = 0; r < m; ++r) {
      std::memcpy(padded + r * lda, a + r * k, static_cast<size_t>(k));
      std::memset(padded + r * lda + k, 0, static_cast<size_t>(lda - k));
    }
    a8 = padded;
  }
  const TileChoice choice = tile_for(b, a8, m * lda);  // not a structured binding: the lambda below captures them (C++17)
  const W8A8Tile tile = choice.tile;
  const int32_t offset = choice.offset;
  // F32 output on AVX-512: the last k block's tiles write d themselves (w8a8.h, F32Epilogue).
  const W8A8TileF32 fused = d_dtype == LB_DTYPE_F32 && avx512_vnni() ? w8a8_tile_f32_avx512() : nullptr;
  const int32_t *sums = b.colsums;
  const int64_t panels = (n + kPanel - 1) / kPanel, row_blocks = (m + kRows - 1) / kRows;
  const int64_t groups = (row_blocks + kGroupBlocks - 1) / kGroupBlocks;
  // Work item w: row group w / panels (its A slab stays in L2 across consecutive items) times
  // column panel w % panels; inside, k in blocks of kKQuads so the panel's B block stays in L1
  // while every row block of the group passes over it.
  const ConvertFn narrow = d_dtype == LB_DTYPE_F16 || d_dtype == LB_DTYPE_BF16 ? convert_kernel(LB_DTYPE_F32, d_dtype) : nullptr;
  parallel_for(groups * panels, 1, [&](int64_t w0, int64_t w1) {
    // Per-thread scratch, reused: a fresh zeroed vector per chunk cost ~1 us each, which at
    // MiniLM's batch-1 sizes (a GEMM of ~40 us) was a visible share of the call. The first k
    // block of every tile overwrites its accumulators; `decoded` is written before it is read.
    int32_t *acc = thread_scratch<int32_t>(kScratchTileAcc, kGroupBlocks * kRows * kPanel);
    int8_t *decoded = b.decode ? thread_scratch<int8_t>(kScratchTilePanel, 2 * kKQuads * 64) : nullptr;
    float row_buffer[kPanel];
    for (int64_t w = w0; w < w1; ++w) {
      const int64_t g = w / panels, p = w % panels;
      const int64_t j0 = p * kPanel;
      const int nb = static_cast<int>(std::min<int64_t>(2, w8a8_n16(n) - j0 / kW8A8ColBlock));
      const int64_t cols = std::min<int64_t>(n - j0, nb * kW8A8ColBlock);
      const int64_t rb0 = g * kGroupBlocks, rb1 = std::min(row_blocks, rb0 + kGroupBlocks);
      const uint8_t *panel = b.data + (j0 / kW8A8ColBlock) * K4 * b.quad_bytes;
      for (int64_t kq0 = 0; kq0 < K4; kq0 += kKQuads) {
        const int64_t kq = std::min(kKQuads, K4 - kq0);
        // The chunk of the panel in the VPDPBUSD layout: in place, or widened into `decoded` once
        // for all the row blocks of this item.
        const int8_t *chunk = reinterpret_cast<const int8_t *>(panel) + kq0 * 64;
        int64_t bstride = K4 * 64;
        if (b.decode) {
          for (int c = 0; c < nb; ++c) b.decode(panel + (c * K4 + kq0) * b.quad_bytes, decoded + c * kKQuads * 64, kq);
          chunk = decoded;
          bstride = kKQuads * 64;
        }
        const bool last = kq0 + kq == K4;
        for (int64_t rb = rb0; rb < rb1; ++rb) {
          const int64_t i0 = rb * kRows;
          const int mr = static_cast<int>(std::min<int64_t>(kRows, m - i0));
          int32_t *tile_acc = acc + (rb - rb0) * kRows * kPanel;
          if (fused && last) {
            const F32Epilogue ep{sums + j0, a_scales + i0, b_scales + j0, bias ? bias + j0 : nullptr, static_cast<float *>(d) + i0 * n + j0,
                                 n, cols};
            fused(a8 + i0 * lda + kq0 * 4, lda, chunk, bstride, kq, mr, nb, kq0 > 0 ? tile_acc : nullptr, kPanel, ep);
          } else {
            tile(a8 + i0 * lda + kq0 * 4, lda, chunk, bstride, kq, mr, nb, tile_acc, kPanel, kq0 > 0);
          }
        }
      }
      if (fused) continue;
      for (int64_t row = rb0 * kRows; row < std::min(m, rb1 * kRows); ++row) {
        const int32_t *arow = acc + (row - rb0 * kRows) * kPanel;
        if (d_dtype != LB_DTYPE_I32) {
          // Straight loops the compiler vectorises (a per-element store by dtype cost a quarter of
          // a MiniLM-sized GEMM): F32 straight into d; F16/BF16 through a row buffer and the convert
          // family's narrowing kernel (the same rounding as common/half.h). Same operations, same order.
          float *yrow = d_dtype == LB_DTYPE_F32 ? static_cast<float *>(d) + row * n + j0 : row_buffer;
          const float as = a_scales[row], *bs = b_scales + j0;
          const int32_t *cs = sums + j0;
          // The bias in the same loop: as a second loop re-reading yrow it took ~80% of this epilogue's time
          // (AVX2 encoder profile, 2026-11-27) — a stall on reloading the row just stored.
          if (bias) {
            const float *bb = bias + j0;
            for (int64_t jj = 0; jj < cols; ++jj) yrow[jj] = (static_cast<float>(arow[jj] - offset * cs[jj]) * as) * bs[jj] + bb[jj];
          } else {
            for (int64_t jj = 0; jj < cols; ++jj) yrow[jj] = (static_cast<float>(arow[jj] - offset * cs[jj]) * as) * bs[jj];
          }
          if (d_dtype != LB_DTYPE_F32) narrow(yrow, static_cast<uint16_t *>(d) + row * n + j0, cols);
          continue;
        }
        int32_t *drow = static_cast<int32_t *>(d) + row * n + j0;  // I32: the exact accumulators
        for (int64_t jj = 0; jj < cols; ++jj) drow[jj] = arow[jj] - offset * sums[j0 + jj];
      }
    }
  });
  return LB_OK;
}

lb_status int8_peak(int32_t millis, double *macs_per_second) {
  if (!avx512_vnni()) {  // the roof of VPDPBUSD
    *macs_per_second = 0.0;
    return LB_OK;
  }
  *macs_per_second = sum_over_threads([&] { return int8_peak_thread_avx512(millis); });
  return LB_OK;
}

}  // namespace lb::cpu
