// Checks the CUDA tensor-core GEMMs' shared-memory layouts (src/cuda/gemm/tile_layout.h) on the
// host: the index maps are permutations that keep 16-byte cp.async chunks whole, every fragment
// read of a warp (the reads w8a8.cu and fp8.cu issue) touches 32 different banks, and W4A4's
// nibble widening gives every nibble's value in order.
#include <cstdio>
#include <set>
#include <vector>

#include "../src/cuda/gemm/tile_layout.h"

using namespace lb::cuda_tile;

namespace {

int failures = 0;

void expect(bool ok, const char *what, int a, int b, int c) {
  if (!ok && failures++ < 20) std::printf("FAIL %s (%d, %d, %d)\n", what, a, b, c);
}

// Counts hits of [0, size) and reports any slot hit other than once.
struct Coverage {
  std::vector<int> seen;
  explicit Coverage(int size) : seen(size, 0) {}
  void hit(int at, const char *what, int a, int b, int c) {
    expect(at >= 0 && at < static_cast<int>(seen.size()), what, a, b, c);
    if (at >= 0 && at < static_cast<int>(seen.size())) ++seen[at];
  }
  void check(const char *what) {
    for (size_t i = 0; i < seen.size(); ++i) expect(seen[i] == 1, what, static_cast<int>(i), seen[i], 0);
  }
};

void a_layout() {
  Coverage words(kAWords);
  for (int row = 0; row < kBM; ++row)
    for (int w = 0; w < kRowWords; ++w) {
      const int at = a_word(row, w);
      words.hit(at, "a_word in range", row, w, at);
      expect(a_word(row, w & ~3) % 4 == 0 && at == a_word(row, w & ~3) + (w & 3), "a chunk whole", row, w, at);
    }
  words.check("a_word bijective");
  // Fragment reads: for each warp row block, mma tile, k32 step and register, 32 lanes.
  for (int wm = 0; wm < 2; ++wm)
    for (int mi = 0; mi < 4; ++mi)
      for (int s = 0; s < kBK / 32; ++s)
        for (int reg = 0; reg < 4; ++reg) {
          std::set<int> banks;
          for (int lane = 0; lane < 32; ++lane) {
            const int g = lane / 4, t = lane % 4;
            banks.insert(a_word(wm * 64 + mi * 16 + g + (reg & 1) * 8, 8 * s + (reg >> 1) * 4 + t) % 32);
          }
          expect(banks.size() == 32, "A fragment read conflict-free", wm * 4 + mi, s, reg);
        }
}

void int8_b_layout() {
  Coverage words(kBBytes / 4);
  for (int jb = 0; jb < kBN / 16; ++jb)
    for (int kq = 0; kq < kBK / 4; ++kq)
      for (int jj = 0; jj < 16; ++jj) {
        const int at = int8_b_word(jb, kq, jj);
        words.hit(at, "int8_b_word in range", jb, kq, jj);
        expect(int8_b_word(jb, kq, jj & ~3) % 4 == 0 && at == int8_b_word(jb, kq, jj & ~3) + (jj & 3), "int8 b chunk whole", jb, kq, jj);
      }
  words.check("int8_b_word bijective");
  for (int jb = 0; jb < kBN / 16; ++jb)
    for (int half = 0; half < 2; ++half)
      for (int s = 0; s < kBK / 32; ++s)
        for (int reg = 0; reg < 2; ++reg) {
          std::set<int> banks;
          for (int lane = 0; lane < 32; ++lane)
            banks.insert(int8_b_word(jb, 8 * s + reg * 4 + lane % 4, half * 8 + lane / 4) % 32);
          expect(banks.size() == 32, "int8 B fragment read conflict-free", jb * 2 + half, s, reg);
        }
}

void fp8_b_layout() {
  Coverage units(kBBytes / 2);  // 16-bit k-pairs
  for (int jb = 0; jb < kBN / 16; ++jb)
    for (int kp = 0; kp < kBK / 2; ++kp)
      for (int jj = 0; jj < 16; ++jj) {
        const int at = fp8_b_byte(jb, kp, jj);
        expect(at % 2 == 0, "fp8 b even offset", jb, kp, jj);
        units.hit(at / 2, "fp8_b_byte in range", jb, kp, jj);
        const int chunk = fp8_b_byte(jb, kp, jj & ~7);
        expect(chunk % 16 == 0 && at == chunk + (jj & 7) * 2, "fp8 b chunk whole", jb, kp, jj);
      }
  units.check("fp8_b_byte bijective");
  // ldmatrix reads 8 rows of 16 bytes per phase: rows = 8 consecutive k-pairs of one 8-column half.
  // Conflict-free when the 8 rows fall in the 8 different 16-byte groups of the 128-byte bank line.
  for (int jb = 0; jb < kBN / 16; ++jb)
    for (int base = 0; base < kBK / 2; base += 8)
      for (int half = 0; half < 2; ++half) {
        std::set<int> groups;
        for (int r = 0; r < 8; ++r) groups.insert((fp8_b_byte(jb, base + r, half * 8) / 16) % 8);
        expect(groups.size() == 8, "fp8 B ldmatrix phase conflict-free", jb, base, half);
      }
}

// widen_i4x8 against a plain decode of each nibble, on every byte value in every position.
void widening() {
  for (uint32_t v = 0; v < 256; ++v)
    for (int pos = 0; pos < 4; ++pos) {
      const uint32_t w = (v << (8 * pos)) | (0x5au << (8 * ((pos + 1) % 4)));  // a neighbour byte too
      const Widened got = widen_i4x8(w);
      for (int e = 0; e < 8; ++e) {
        const int nibble = static_cast<int>((w >> (4 * e)) & 0xfu), want = (nibble ^ 8) - 8;
        const uint32_t word = e < 4 ? got.lo : got.hi;
        const int have = static_cast<int8_t>((word >> (8 * (e % 4))) & 0xffu);
        expect(have == want, "widen_i4x8 value", static_cast<int>(w), e, have);
      }
    }
}

}  // namespace

int main() {
  a_layout();
  int8_b_layout();
  fp8_b_layout();
  widening();
  // The kernels' static shared memory: kStages stages of A and B must fit in 48 KiB.
  expect(kStages * (kAWords * 4 + kBBytes) <= 48 * 1024, "stages fit 48 KiB", kStages, kAWords, kBBytes);
  if (failures) {
    std::printf("%d failure(s)\n", failures);
    return 1;
  }
  std::printf("tile layouts: permutations, whole chunks and conflict-free fragment reads OK\n");
  return 0;
}
