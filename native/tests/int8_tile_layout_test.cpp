// Checks the CUDA int8 GEMM's shared-memory layout (src/cuda/gemm/int8_tile_layout.h) on the host:
// the index maps are permutations that keep 16-byte chunks whole, and every mma fragment read of
// a warp (the reads w8a8.cu issues) touches 32 different banks.
#include <cstdio>
#include <set>
#include <vector>

#include "../src/cuda/gemm/int8_tile_layout.h"

using namespace lb::cuda_int8;

namespace {

int failures = 0;

void expect(bool ok, const char *what, int a, int b, int c) {
  if (!ok && failures++ < 20) std::printf("FAIL %s (%d, %d, %d)\n", what, a, b, c);
}

// Both maps: a bijection onto [0, words) that sends each aligned group of 4 words (a cp.async chunk)
// to 4 consecutive words starting at a multiple of 4.
void permutations() {
  std::vector<int> seen(kAWords, 0);
  for (int row = 0; row < kBM; ++row)
    for (int w = 0; w < kRowWords; ++w) {
      const int at = a_word(row, w);
      expect(at >= 0 && at < kAWords, "a_word in range", row, w, at);
      if (at >= 0 && at < kAWords) ++seen[at];
      expect(a_word(row, w & ~3) % 4 == 0 && at == a_word(row, w & ~3) + (w & 3), "a chunk whole", row, w, at);
    }
  for (int i = 0; i < kAWords; ++i) expect(seen[i] == 1, "a_word bijective", i, seen[i], 0);

  std::vector<int> seen_b(kBWords, 0);
  for (int jb = 0; jb < kBN / 16; ++jb)
    for (int kq = 0; kq < kBK / 4; ++kq)
      for (int jj = 0; jj < 16; ++jj) {
        const int at = b_word(jb, kq, jj);
        expect(at >= 0 && at < kBWords, "b_word in range", jb, kq, jj);
        if (at >= 0 && at < kBWords) ++seen_b[at];
        expect(b_word(jb, kq, jj & ~3) % 4 == 0 && at == b_word(jb, kq, jj & ~3) + (jj & 3), "b chunk whole", jb, kq, jj);
      }
  for (int i = 0; i < kBWords; ++i) expect(seen_b[i] == 1, "b_word bijective", i, seen_b[i], 0);
}

// The fragment reads of w8a8.cu's inner loop: for each warp position, k32 step and register.
void conflict_free_reads() {
  for (int wm = 0; wm < 2; ++wm)
    for (int mi = 0; mi < 4; ++mi)
      for (int s = 0; s < kBK / 32; ++s)
        for (int reg = 0; reg < 4; ++reg) {
          std::set<int> banks;
          for (int lane = 0; lane < 32; ++lane) {
            const int g = lane / 4, t = lane % 4;
            const int row = wm * 64 + mi * 16 + g + (reg & 1) * 8, word = 8 * s + (reg >> 1) * 4 + t;
            banks.insert(a_word(row, word) % 32);
          }
          expect(banks.size() == 32, "A fragment read conflict-free", wm * 4 + mi, s, reg);
        }
  for (int jb = 0; jb < kBN / 16; ++jb)
    for (int half = 0; half < 2; ++half)
      for (int s = 0; s < kBK / 32; ++s)
        for (int reg = 0; reg < 2; ++reg) {
          std::set<int> banks;
          for (int lane = 0; lane < 32; ++lane) {
            const int g = lane / 4, t = lane % 4;
            banks.insert(b_word(jb, 8 * s + reg * 4 + t, half * 8 + g) % 32);
          }
          expect(banks.size() == 32, "B fragment read conflict-free", jb * 2 + half, s, reg);
        }
}

}  // namespace

int main() {
  permutations();
  conflict_free_reads();
  // The static shared memory of w8a8.cu: kStages stages of A and B words must fit in 48 KiB.
  expect(kStages * (kAWords + kBWords) * 4 <= 48 * 1024, "stages fit 48 KiB", kStages, kAWords, kBWords);
  if (failures) {
    std::printf("%d failure(s)\n", failures);
    return 1;
  }
  std::printf("int8 tile layout: permutations and conflict-free fragment reads OK\n");
  return 0;
}
