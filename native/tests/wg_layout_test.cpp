// Checks the Hopper wgmma GEMMs' stage layout (src/cuda/gemm/wg_layout.h) on the host by emulating
// one stage of wg_gemm.cuh: global chunks of a packed weight matrix (lowbit.h's int8 quads and FP8
// pairs) and of activation rows are copied where the loader puts them; the warps' fragments are read
// with the kernel's index maps (ldmatrix.trans emulated for FP8); the tensor cores' view of the
// activations is taken through the descriptor's SWIZZLE_128B addressing; the products, placed by the
// accumulator layout, must equal the direct dot products. Also: cp.async chunks stay whole and land
// once, fragment and epilogue accesses are free of bank conflicts, the descriptor's bit fields, the
// block -> tile order covers the grid once.
//
// What no host test can check is whether wg_layout.h describes the hardware as PTX does; it checks
// that the kernel's own index arithmetic is consistent with that description.
#include <cstdint>
#include <cstdio>
#include <random>
#include <set>
#include <vector>

#include "../src/cuda/gemm/wg_layout.h"

using namespace lb::cuda_wg;

namespace {

int failures = 0;

void expect(bool ok, const char *what, int a, int b, int c) {
  if (!ok && failures++ < 20) std::printf("FAIL %s (%d, %d, %d)\n", what, a, b, c);
}

void descriptor_fields() {
  for (uint32_t addr : {0x0u, 0x400u, 0x8420u, 0x2F3E0u}) {
    const uint64_t d = sw128_desc(addr);
    expect((d & 0x3FFF) == (addr >> 4), "descriptor start address", static_cast<int>(addr), static_cast<int>(d & 0x3FFF), 0);
    expect(((d >> 16) & 0x3FFF) == 1, "descriptor leading byte offset", static_cast<int>(addr), 0, 0);
    expect(((d >> 32) & 0x3FFF) == 1024 / 16, "descriptor stride byte offset", static_cast<int>(addr), 0, 0);
    expect(((d >> 49) & 7) == 0, "descriptor base offset", static_cast<int>(addr), 0, 0);
    expect((d >> 62) == 1, "descriptor swizzle mode 128B", static_cast<int>(addr), 0, 0);
    const uint64_t fields = 0x3FFFull | (0x3FFFull << 16) | (0x3FFFull << 32) | (7ull << 49) | (3ull << 62);
    expect((d & ~fields) == 0, "descriptor reserved bits zero", static_cast<int>(addr), 0, 0);
  }
}

// The activation tile: a bijection keeping 16-byte chunks whole, read back through the descriptor
// of every k32 step as the row's own bytes.
void activation_layout() {
  std::vector<int> seen(kXBytes, 0);
  for (int row = 0; row < kWgM; ++row)
    for (int kb = 0; kb < kWgK; ++kb) {
      const int at = x_byte(row, kb);
      if (at >= 0 && at < kXBytes) ++seen[at];
      expect(at == x_byte(row, kb & ~15) + (kb & 15), "x chunk whole", row, kb, at);
    }
  for (int i = 0; i < kXBytes; ++i) expect(seen[i] == 1, "x_byte bijective", i, seen[i], 0);
  for (int s = 0; s < kWgK / 32; ++s)
    for (int n = 0; n < kWgM; ++n)
      for (int kb = 0; kb < 32; ++kb) expect(sw128_read_byte(32 * s, n, kb) == x_byte(n, 32 * s + kb), "descriptor view of x", s, n, kb);
  // The copies of a stage: 8 consecutive threads write the 8 chunks of one row (two 128-byte
  // wavefronts per warp at most: the chunks of a row cover all 32 banks).
}

// One weight layout: where the loader puts global chunk c of column block jb (chunk_byte), and
// where the element (column jj of block jb, k) is in the packed global run of the stage.
struct WeightLayout {
  const char *name;
  int (*chunk_byte)(int jb, int c);
  int (*global_offset)(int jj, int k);  // byte offset within the column block's 2 KiB stage run
};

int fp8_global(int jj, int k) { return ((k / 2) * 16 + jj) * 2 + (k & 1); }   // lowbit.h: ((jb K2 + kp) 16 + jj) 2 + kk
int int8_global(int jj, int k) { return ((k / 4) * 16 + jj) * 4 + (k & 3); }  // lowbit.h: ((jb K4 + kq) 16 + jj) 4 + kk

// Fills a stage's weight area from packed global runs of W [128 columns][128 k] with the loader's
// chunk placement, checking every chunk lands once.
std::vector<int8_t> load_weights(const WeightLayout &l, const std::vector<int8_t> &w) {
  std::vector<int8_t> global(kWBytes), smem(kWBytes, 0);
  for (int jb = 0; jb < kWgN / 16; ++jb)
    for (int jj = 0; jj < 16; ++jj)
      for (int k = 0; k < kWgK; ++k) global[jb * 2048 + l.global_offset(jj, k)] = w[(jb * 16 + jj) * kWgK + k];
  std::vector<int> seen(kWBytes / 16, 0);
  for (int jb = 0; jb < kWgN / 16; ++jb)
    for (int c = 0; c < 128; ++c) {
      const int at = l.chunk_byte(jb, c);
      expect(at % 16 == 0 && at >= 0 && at < kWBytes, l.name, jb, c, at);
      if (at % 16 || at < 0 || at >= kWBytes) continue;
      ++seen[at / 16];
      for (int b = 0; b < 16; ++b) smem[at + b] = global[jb * 2048 + c * 16 + b];
    }
  for (size_t i = 0; i < seen.size(); ++i) expect(seen[i] == 1, "weight chunks land once", static_cast<int>(i), seen[i], 0);
  return smem;
}

uint32_t word_at(const std::vector<int8_t> &smem, int byte) {
  uint32_t v = 0;
  for (int b = 0; b < 4; ++b) v |= static_cast<uint32_t>(static_cast<uint8_t>(smem[byte + b])) << (8 * b);
  return v;
}

// ldmatrix.x4.trans: lane L gives the address of row L % 8 of matrix L / 8; lane (g, t) receives in
// r[q] elements [2t][g] (low half) and [2t + 1][g] (high half) of matrix q (16-bit elements).
void ldmatrix_x4_trans(const std::vector<int8_t> &smem, const int (&row_addr)[32], int lane, uint32_t (&r)[4]) {
  const int g = lane >> 2, t = lane & 3;
  for (int q = 0; q < 4; ++q) {
    const int lo = row_addr[q * 8 + 2 * t] + 2 * g, hi = row_addr[q * 8 + 2 * t + 1] + 2 * g;
    r[q] = (word_at(smem, lo) & 0xFFFFu) | (word_at(smem, hi) << 16);
  }
}

// A warp's four A registers for k32 step s (the kernel's w_fragments).
void fragments(bool fp8, const std::vector<int8_t> &smem, int jb, int s, int lane, uint32_t (&a)[4]) {
  if (fp8) {
    int rows[32];
    for (int l = 0; l < 32; ++l) rows[l] = w_fp8_ldmatrix_byte(jb, s, l);
    ldmatrix_x4_trans(smem, rows, lane, a);
  } else {
    for (int r = 0; r < 4; ++r) a[r] = word_at(smem, 4 * w_int8_fragment_word(jb, s, lane, r));
  }
}

void bank_conflicts(bool fp8) {
  for (int jb = 0; jb < kWgN / 16; ++jb)
    for (int s = 0; s < kWgK / 32; ++s) {
      if (fp8) {
        for (int q = 0; q < 4; ++q) {  // one ldmatrix phase per matrix: 8 rows of 16 bytes
          std::set<int> groups;
          for (int l = 8 * q; l < 8 * q + 8; ++l) groups.insert((w_fp8_ldmatrix_byte(jb, s, l) / 16) % 8);
          expect(groups.size() == 8, "fp8 ldmatrix phase conflict-free", jb, s, q);
        }
      } else {
        for (int r = 0; r < 4; ++r) {
          std::set<int> banks;
          for (int lane = 0; lane < 32; ++lane) banks.insert(w_int8_fragment_word(jb, s, lane, r) % 32);
          expect(banks.size() == 32, "int8 fragment read conflict-free", jb, s, r);
        }
      }
    }
}

// The full stage: D[row][col] = sum_k X[row][k] W[col][k] from fragments, descriptor reads and the
// accumulator layout, against the direct sums.
// Which element of a warpgroup's m64n128 D accumulator register `reg` of (warp, lane) holds, by PTX's
// layout: row m (wgmma's A row: a weight column of the warpgroup), column n (an activation row).
struct WgmmaCell {
  int m, n;
};
WgmmaCell wgmma_cell(int warp, int lane, int reg) {
  const int q = reg >> 2, e = reg & 3;
  return {16 * warp + (lane >> 2) + 8 * (e >> 1), 8 * q + 2 * (lane & 3) + (e & 1)};
}

void emulate_stage(const WeightLayout &l, bool fp8, std::mt19937 &rng) {
  std::uniform_int_distribution<int> byte(-128, 127);
  std::vector<int8_t> x(kWgM * kWgK), w(kWgN * kWgK), xs(kXBytes);
  for (auto &v : x) v = static_cast<int8_t>(byte(rng));
  for (auto &v : w) v = static_cast<int8_t>(byte(rng));
  for (int row = 0; row < kWgM; ++row)  // the loader: row q / 8, chunk q % 8
    for (int c = 0; c < 8; ++c)
      for (int b = 0; b < 16; ++b) xs[x_byte(row, c * 16) + b] = x[row * kWgK + c * 16 + b];
  const std::vector<int8_t> ws = load_weights(l, w);
  bank_conflicts(fp8);

  std::vector<int> covered(kWgM * kWgN, 0);
  for (int wg = 0; wg < 2; ++wg) {
    // acc[warp][lane][reg], as the warpgroup's wgmmas leave them after the stage's four k32 steps.
    std::vector<int64_t> acc(4 * 32 * 64, 0);
    for (int s = 0; s < kWgK / 32; ++s) {
      // wgmma's A (64 x 32) assembled from the registers by PTX's fragment layout.
      int aval[64][32];
      for (int warp = 0; warp < 4; ++warp)
        for (int lane = 0; lane < 32; ++lane) {
          uint32_t a[4];
          fragments(fp8, ws, 4 * wg + warp, s, lane, a);
          const int g = lane >> 2, t = lane & 3;
          for (int r = 0; r < 4; ++r)
            for (int b = 0; b < 4; ++b)
              aval[16 * warp + g + 8 * (r & 1)][16 * (r >> 1) + 4 * t + b] = static_cast<int8_t>((a[r] >> (8 * b)) & 0xFF);
        }
      // wgmma's B (32 x 128) through the descriptor of step s.
      for (int warp = 0; warp < 4; ++warp)
        for (int lane = 0; lane < 32; ++lane)
          for (int reg = 0; reg < 64; ++reg) {
            const WgmmaCell c = wgmma_cell(warp, lane, reg);
            const int mrow = c.m, ncol = c.n;
            int64_t sum = 0;
            for (int kb = 0; kb < 32; ++kb) sum += aval[mrow][kb] * static_cast<int64_t>(xs[sw128_read_byte(32 * s, ncol, kb)]);
            acc[(warp * 32 + lane) * 64 + reg] += sum;
          }
    }
    for (int warp = 0; warp < 4; ++warp)
      for (int lane = 0; lane < 32; ++lane)
        for (int reg = 0; reg < 64; ++reg) {
          const TileIndex at = acc_position(wg, warp, lane, reg);
          int64_t want = 0;
          for (int k = 0; k < kWgK; ++k) want += static_cast<int64_t>(x[at.row * kWgK + k]) * w[at.col * kWgK + k];
          expect(acc[(warp * 32 + lane) * 64 + reg] == want, l.name, wg * 128 + warp * 32 + lane, reg, 0);
          ++covered[at.row * kWgN + at.col];
        }
  }
  for (int i = 0; i < kWgM * kWgN; ++i) expect(covered[i] == 1, "accumulators cover the tile once", i, covered[i], 0);
}

// The epilogue's staging writes: each register's store across a warp hits 32 banks.
// The warp-specialised kernel's TMA boxes (wg_layout.h's model of TMA placement) fill a stage exactly
// as the cp.async plan does: the activation box with SWIZZLE_128B as x_byte, the FP8 weight box
// (packed byte kp * 32 + b of column block jb's stage run) with SWIZZLE_32B as w_fp8_chunk_byte.
void tma_boxes() {
  for (int row = 0; row < kWgM; ++row)
    for (int kb = 0; kb < kWgK; ++kb) expect(tma_x_byte(row, kb) == x_byte(row, kb), "TMA activation box = x_byte", row, kb, 0);
  for (int jb = 0; jb < kTmaWBlocks; ++jb)
    for (int kp = 0; kp < kTmaWPairs; ++kp)
      for (int b = 0; b < 32; ++b) {
        const int run = kp * 32 + b;  // the byte's offset in the column block's packed stage run
        const int by_copies = w_fp8_chunk_byte(jb, run / 16) + run % 16;
        expect(tma_w_fp8_byte(jb, kp, b) == by_copies, "TMA fp8 weight box = cp.async plan", jb, kp, b);
        expect(by_copies == w_fp8_byte(jb, kp, b / 2) + b % 2, "fp8 plan = w_fp8_byte", jb, kp, b);
      }
  expect(kTmaWBlocks * kTmaWPairs * 32 == kWBytes, "TMA weight box size", kTmaWBlocks, kTmaWPairs, kWBytes);
  // The clustered kernel: rank r's half box (kWgM / 2 rows from row kWgM / 2 r) placed kXBytes / 2 r
  // into the stage lands where the whole box puts those rows.
  const int half = kWgM / kWsClusterBlocks;
  for (int r = 0; r < kWsClusterBlocks; ++r)
    for (int row = 0; row < half; ++row)
      for (int kb = 0; kb < kWgK; ++kb)
        expect(tma_swizzle128(r * (kXBytes / kWsClusterBlocks) + row * kWgK + kb) == x_byte(r * half + row, kb), "TMA half activation box", r, row,
               kb);
}

void epilogue_banks() {
  for (int wg = 0; wg < 2; ++wg)
    for (int warp = 0; warp < 4; ++warp)
      for (int reg = 0; reg < 64; ++reg) {
        std::set<int> banks;
        for (int lane = 0; lane < 32; ++lane) {
          const TileIndex at = acc_position(wg, warp, lane, reg);
          banks.insert((at.row * kOutPitch + at.col) % 32);
        }
        expect(banks.size() == 32, "epilogue staging store conflict-free", wg, warp, reg);
      }
}

// The block -> tile order is a bijection onto the grid for any shape.
void tile_order() {
  for (unsigned rows : {1u, 3u, 8u, 9u, 17u, 64u})
    for (unsigned cols : {1u, 2u, 15u, 64u}) {
      std::vector<int> seen(rows * cols, 0);
      for (unsigned id = 0; id < rows * cols; ++id) {
        const WgTile t = tile_of_block(id, rows, cols);
        expect(t.row < rows && t.col < cols, "tile inside the grid", static_cast<int>(id), static_cast<int>(t.row), static_cast<int>(t.col));
        if (t.row < rows && t.col < cols) ++seen[t.row * cols + t.col];
      }
      for (unsigned i = 0; i < rows * cols; ++i) expect(seen[i] == 1, "tile order bijective", static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(i));
    }
}

// Clusters of two along the column tiles: each cluster's blocks share a row tile and take columns
// 2 pair and 2 pair + 1; every real tile once, padding blocks only past the last column.
void cluster_tile_order() {
  for (unsigned rows : {1u, 3u, 9u, 64u})
    for (unsigned cols : {1u, 2u, 15u, 64u}) {
      const unsigned pairs = (cols + 1) / 2;
      std::vector<int> seen(rows * cols, 0);
      for (unsigned id = 0; id < rows * pairs * 2; ++id) {
        const WgTile t = tile_of_cluster_block(id, rows, pairs), peer = tile_of_cluster_block(id ^ 1u, rows, pairs);
        expect(t.row == peer.row && t.col / 2 == peer.col / 2 && t.col != peer.col, "cluster shares a row tile", static_cast<int>(id),
               static_cast<int>(t.row), static_cast<int>(t.col));
        expect(t.row < rows && t.col < 2 * pairs, "cluster tile inside the padded grid", static_cast<int>(id), static_cast<int>(t.row),
               static_cast<int>(t.col));
        if (t.row < rows && t.col < cols) ++seen[t.row * cols + t.col];
      }
      for (unsigned i = 0; i < rows * cols; ++i)
        expect(seen[i] == 1, "cluster tile order bijective", static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(i));
    }
}

}  // namespace

// The loader's copy plan covers every chunk of a stage once, and each thread's chunks land kSlotStep
// apart in both weight layouts (so the kernel may step one slot per kind).
void copy_plan() {
  using P = WgCopyPlan;
  std::vector<int> x_seen(kWgM * P::kXChunks, 0), w_seen(kWgN / 16 * P::kWChunks, 0);
  for (int tid = 0; tid < kWgThreads; ++tid)
    for (int it = 0; it < P::kCopies; ++it) {
      const int row = P::x_row(tid, it), c = P::x_chunk(tid), jb = P::w_block(tid, it), wc = P::w_chunk(tid);
      ++x_seen[row * P::kXChunks + c];
      ++w_seen[jb * P::kWChunks + wc];
      expect(x_byte(row, 16 * c) == x_byte(P::x_row(tid, 0), 16 * c) + it * P::kSlotStep, "x slot step", tid, it, 0);
      expect(w_fp8_chunk_byte(jb, wc) == w_fp8_chunk_byte(P::w_block(tid, 0), wc) + it * P::kSlotStep, "fp8 slot step", tid, it, 0);
      expect(w_int8_chunk_byte(jb, wc) == w_int8_chunk_byte(P::w_block(tid, 0), wc) + it * P::kSlotStep, "int8 slot step", tid, it, 0);
    }
  for (size_t i = 0; i < x_seen.size(); ++i) expect(x_seen[i] == 1, "x chunks copied once", static_cast<int>(i), x_seen[i], 0);
  for (size_t i = 0; i < w_seen.size(); ++i) expect(w_seen[i] == 1, "w chunks copied once", static_cast<int>(i), w_seen[i], 0);
}

// The K-major weight experiment (wg_layout.h): kmajor_copy.cu's thread work — 256 bytes of a column
// block's run read as words, each column's 16 bytes written from kmajor_pair_word / kmajor_quad_word —
// turns lowbit.h's packed FP8 pairs and int8 quads (n not a multiple of 16, several 16-k chunks) into
// B [n][k] row-major.
void kmajor_copy(bool quads, std::mt19937 &rng) {
  const int n = 37, k = 48, n16 = (n + 15) / 16;
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<uint8_t> b(n * k), packed(n16 * k * 16, 0), out(n * k, 0xEE);
  for (auto &v : b) v = static_cast<uint8_t>(byte(rng));
  for (int j = 0; j < n; ++j)
    for (int kk = 0; kk < k; ++kk) packed[(j / 16) * k * 16 + (quads ? int8_global(j % 16, kk) : fp8_global(j % 16, kk))] = b[j * k + kk];
  for (int jb = 0; jb < n16; ++jb)
    for (int c = 0; c < k / 16; ++c) {
      uint32_t in[8][8];
      for (int r = 0; r < 8; ++r)
        for (int w = 0; w < 8; ++w) {
          const int at = jb * k * 16 + 256 * c + 32 * r + 4 * w;
          in[r][w] = packed[at] | packed[at + 1] << 8 | packed[at + 2] << 16 | static_cast<uint32_t>(packed[at + 3]) << 24;
        }
      for (int jj = 0; jj < 16 && 16 * jb + jj < n; ++jj)
        for (int q = 0; q < 4; ++q) {
          const uint32_t word = quads ? kmajor_quad_word(in, jj, q) : kmajor_pair_word(in, jj, q);
          for (int e = 0; e < 4; ++e) out[(16 * jb + jj) * k + 16 * c + 4 * q + e] = static_cast<uint8_t>(word >> (8 * e));
        }
    }
  for (int j = 0; j < n; ++j)
    for (int kk = 0; kk < k; ++kk)
      expect(out[j * k + kk] == b[j * k + kk], quads ? "K-major copy of the int8 quads" : "K-major copy of the fp8 pairs", j, kk, out[j * k + kk]);
}

// One stage of the K-major kernel: the weight box placed as TMA's SWIZZLE_128B places the activations
// (the box's rows are the tile's weight columns), warpgroup wg's A read through the descriptor at
// kmajor_a_start, B as before; the products, placed by the accumulator layout, are the direct sums.
void emulate_kmajor_stage(std::mt19937 &rng) {
  std::uniform_int_distribution<int> byte(-128, 127);
  std::vector<int8_t> x(kWgM * kWgK), w(kWgN * kWgK), xs(kXBytes), ws(kWBytes);
  for (auto &v : x) v = static_cast<int8_t>(byte(rng));
  for (auto &v : w) v = static_cast<int8_t>(byte(rng));
  for (int row = 0; row < kWgM; ++row)
    for (int kb = 0; kb < kWgK; ++kb) xs[tma_x_byte(row, kb)] = x[row * kWgK + kb];
  static_assert(kWBytes == kWgN * kWgK, "the weight box is the tile's columns x its k");
  for (int col = 0; col < kWgN; ++col)
    for (int kb = 0; kb < kWgK; ++kb) ws[tma_x_byte(col, kb)] = w[col * kWgK + kb];
  for (int wg = 0; wg < 2; ++wg)
    for (int warp = 0; warp < 4; ++warp)
      for (int lane = 0; lane < 32; ++lane)
        for (int reg = 0; reg < 64; ++reg) {
          const WgmmaCell c = wgmma_cell(warp, lane, reg);
          int64_t sum = 0;
          for (int s = 0; s < kWgK / 32; ++s)
            for (int kb = 0; kb < 32; ++kb)
              sum += static_cast<int64_t>(ws[sw128_read_byte(kmajor_a_start(wg, s), c.m, kb)]) * xs[sw128_read_byte(32 * s, c.n, kb)];
          const TileIndex at = acc_position(wg, warp, lane, reg);
          int64_t want = 0;
          for (int k = 0; k < kWgK; ++k) want += static_cast<int64_t>(x[at.row * kWgK + k]) * w[at.col * kWgK + k];
          expect(sum == want, "K-major stage", wg * 128 + warp * 32 + lane, reg, 0);
        }
}

int main() {
  tile_order();
  cluster_tile_order();
  copy_plan();
  descriptor_fields();
  activation_layout();
  tma_boxes();
  std::mt19937 rng(7);
  emulate_stage({"int8 stage", w_int8_chunk_byte, int8_global}, false, rng);
  emulate_stage({"fp8 stage", w_fp8_chunk_byte, fp8_global}, true, rng);
  kmajor_copy(false, rng);
  kmajor_copy(true, rng);
  emulate_kmajor_stage(rng);
  epilogue_banks();
  if (failures) {
    std::printf("wg_layout_test: %d failures\n", failures);
    return 1;
  }
  std::printf("wg_layout_test: ok\n");
  return 0;
}
