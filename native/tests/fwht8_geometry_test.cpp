// Checks the CUDA Hadamard fast kernel's launch geometry (src/cuda/hadamard/fwht8_geometry.h) on the
// host for every row length n = m * 2^k <= 32768 the kernel takes (n % 8 == 0, 2^k >= 8) and, for the
// fused rotate + quantize, every quant block width that divides n into runs of 8:
//   - threads per row times rows per block fit the 1024-thread launch bound, plain and fused;
//   - every thread runs the same number of passes (its groups t + u T), and the passes cover the
//     row's groups exactly once;
//   - the radix passes' sets: R slots a constant step apart (radix8_slot_step), each element once;
//   - a quant block's groups, taken `lanes` at a time, sit on aligned lanes of one warp for every row
//     of the block (the shuffle reduction's xor offsets stay inside them), and `lanes` divides the
//     block's group count (no segment straddles two blocks);
//   - BlockCols (a group's block by shift and mask) equals the division for every group.
#include <cstdio>
#include <vector>

#include "../src/common/hadamard.h"
#include "../src/core/hadamard_orders.h"
#include "../src/cuda/hadamard/fwht8_geometry.h"

using namespace lb::cuda_fwht8;

namespace {

int failures = 0;

void expect(bool ok, const char *what, long a, long b, long c) {
  if (!ok && failures++ < 20) std::printf("FAIL %s (%ld, %ld, %ld)\n", what, a, b, c);
}

void fused_case(int64_t n, int64_t block_cols) {
  const int64_t groups = n / kGroup, per = block_cols / kGroup, lanes = quant_block_lanes(block_cols);
  const int64_t T = threads_per_row(n, kLoads, lanes), rows = rows_per_block(T);
  expect(T * rows <= kMaxThreads, "fused block within its launch bound", n, block_cols, T * rows);
  expect(per % lanes == 0 && lanes >= 1 && lanes <= 32 && (lanes & (lanes - 1)) == 0, "lanes divide the block", n, block_cols, lanes);
  expect(T % lanes == 0, "threads per row a multiple of the lanes", n, block_cols, T);
  const int64_t passes = (groups + T - 1) / T;
  std::vector<int> seen(static_cast<size_t>(groups), 0);
  for (int64_t local = 0; local < rows; ++local)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t u = 0; u < passes; ++u) {
        const int64_t g = t + u * T;
        if (g >= groups) continue;
        if (local == 0) ++seen[static_cast<size_t>(g)];
        if (g % lanes == 0) {  // a segment's first group: its lanes are threads local T + t .. + lanes - 1
          const int64_t first = local * T + t, last = first + lanes - 1;
          expect(first % lanes == 0 && first / 32 == last / 32, "a segment on aligned lanes of one warp", n, block_cols, first);
          expect(g / per == (g + lanes - 1) / per && g + lanes <= groups, "a segment inside one block", n, block_cols, g);
        }
      }
  for (int64_t g = 0; g < groups; ++g) expect(seen[static_cast<size_t>(g)] == 1, "each group once", n, block_cols, g);
  // The shift-and-mask form of a group's block and block start agrees with the division it replaces.
  const BlockCols bc = block_cols_of(n, block_cols);
  for (int64_t g = 0; g < groups; ++g) {
    const int32_t i = static_cast<int32_t>(g * kGroup);
    expect(bc.block(i) == i / block_cols, "BlockCols::block", n, block_cols, i);
    expect(bc.starts(i) == (i % block_cols == 0), "BlockCols::starts", n, block_cols, i);
  }
}

// The radix passes of the 2^k part c (hadamard.cu's radix_pass): every set's R slots are its first
// slot plus j radix8_slot_step, the sets of a pass take each element of the row once, and the slots
// (padded: slot()) of different elements differ.
void radix_passes(int64_t n, int64_t c) {
  int log_c = 0;
  while ((int64_t{1} << log_c) < c) ++log_c;
  for (int log_s = 3; log_s < log_c; log_s += 3) {
    const int log_r = log_c - log_s >= 3 ? 3 : log_c - log_s, R = 1 << log_r, s = 1 << log_s, step = radix8_slot_step(log_s);
    std::vector<int> seen(static_cast<size_t>(n), 0);
    for (int g = 0; g < n / R; ++g) {
      const int lo = ((g >> log_s) << (log_s + log_r)) + (g & (s - 1));
      for (int j = 0; j < R; ++j) {
        const int i = lo + j * s;
        expect(i < n && slot(i) == slot(lo) + j * step, "radix pass: slot(lo + j s) = slot(lo) + j step", n, log_s, g);
        if (i < n) ++seen[static_cast<size_t>(i)];
      }
    }
    for (int64_t i = 0; i < n; ++i) expect(seen[static_cast<size_t>(i)] == 1, "radix pass: each element once", n, log_s, i);
  }
  for (int i = 1; i < n; ++i) expect(slot(i) > slot(i - 1), "slot() increasing", n, i, 0);
}

}  // namespace

int main() {
  int lengths = 0;
  for (int64_t n = 8; n <= 32768; n += 8) {
    int64_t m = 0;
    int k = 0;
    if (!lb::hadamard_split(n, &m, &k) || (m > 1 && !lb::hadamard_core(m)) || n / m < kGroup) continue;
    ++lengths;
    radix_passes(n, n / m);
    const int64_t T = threads_per_row(n, kLoads, 1);
    expect(T * rows_per_block(T) <= kMaxThreads && T >= 1, "plain block within 1024 threads", n, T, rows_per_block(T));
    expect((n / kGroup + T - 1) / T * T >= n / kGroup, "plain threads cover the row", n, T, 0);
    for (int64_t bc = kGroup; bc <= n; bc += kGroup)
      if (n % bc == 0) fused_case(n, bc);
  }
  std::printf(failures ? "fwht8_geometry: %d failures\n" : "fwht8_geometry: %d row lengths hold\n", failures ? failures : lengths);
  return failures ? 1 : 0;
}
