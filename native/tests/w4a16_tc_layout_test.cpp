// Checks the tensor-core W4A16 kernel's maps (src/cuda/gemm/w4a16_tc_layout.h) on the host, since
// the kernel was written without a GPU: shared-memory slots are permutations, every fragment read
// (the ldmatrix phases over x, the 16-bit reads of codes) is free of bank conflicts, the nibble
// dequantization gives each code exactly for f16 and bf16, and — emulating one pipeline stage of
// the kernel with PTX's m16n8k16 fragment layouts — the accumulators, read back through d_col /
// d_row, equal the direct sums of codes times x.
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "../src/common/half.h"
#include "../src/cuda/gemm/w4a16_tc_layout.h"

using namespace lb::cuda_w4tc;

namespace {

int failures = 0;

void expect(bool ok, const char *what, long a, long b, long c) {
  if (!ok && failures++ < 20) std::printf("FAIL %s (%ld, %ld, %ld)\n", what, a, b, c);
}

constexpr int kRows = 64;  // x rows of the largest tile set (8 tiles)

void x_layout() {
  std::vector<int> seen(kRows * kXChunks, 0);
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kXChunks; ++c) ++seen[x_slot(r, c)];
  for (size_t i = 0; i < seen.size(); ++i) expect(seen[i] == 1, "x_slot bijective", static_cast<long>(i), seen[i], 0);
  // An ldmatrix phase: the 8 row addresses of one matrix, 16 bytes each, must cover 32 banks.
  for (int tile = 0; tile < 8; tile += 2)
    for (int s = 0; s < kStageK / 16; ++s)
      for (int q = 0; q < 4; ++q) {
        std::set<int> groups;
        for (int L = 8 * q; L < 8 * q + 8; ++L) groups.insert(x_slot(ldm_row(tile, L), ldm_chunk(s, L)) % 8);
        expect(groups.size() == 8, "ldmatrix phase conflict-free", tile, s, q);
      }
}

void w_layout() {
  std::vector<int> seen(kWStageBytes, 0);
  for (int w = 0; w < kWarps; ++w)
    for (int pr = 0; pr < kStagePairs; ++pr)
      for (int b = 0; b < 16; ++b) ++seen[w_byte(w, pr, b)];
  for (size_t i = 0; i < seen.size(); ++i) expect(seen[i] == 1, "w_byte bijective", static_cast<long>(i), seen[i], 0);
  // The 16-bit code reads of a warp: lanes may share a word (broadcast), never a bank with another word.
  for (int w = 0; w < kWarps; ++w)
    for (int s = 0; s < kStageK / 16; ++s)
      for (int h = 0; h < 2; ++h) {
        int word_of_bank[32];
        std::memset(word_of_bank, -1, sizeof word_of_bank);
        for (int lane = 0; lane < 32; ++lane) {
          const int g = lane / 4, t = lane % 4, byte = w_byte(w, 8 * s + a_pair(t, 2 * h), 2 * g);
          expect(byte % 2 == 0, "code read aligned", w, s, lane);
          const int word = byte / 4, bank = word % 32;
          expect(word_of_bank[bank] < 0 || word_of_bank[bank] == word, "code read conflict-free", w, s, lane);
          word_of_bank[bank] = word;
        }
      }
}

float half_value(uint32_t bits16, bool bf16) { return bf16 ? lb::bf16_bits_to_f32(bits16) : lb::f16_bits_to_f32(bits16); }

void dequant() {
  for (int bf = 0; bf < 2; ++bf) {
    const uint32_t magic = bf ? kBF16Magic : kF16Magic;
    const float m = half_value(magic & 0xffff, bf);
    for (uint32_t v = 0; v < 65536; ++v)
      for (int byte = 0; byte < 2; ++byte) {
        const uint32_t r = biased_pair(v, byte, magic), code = (v >> (8 * byte)) & 0xff;
        expect(half_value(r & 0xffff, bf) - m == static_cast<float>(code & 15), "low nibble", static_cast<long>(v), byte, bf);
        expect(half_value(r >> 16, bf) - m == static_cast<float>(code >> 4), "high nibble", static_cast<long>(v), byte, bf);
      }
  }
}

// One stage of one warp: codes u[16][64] of a column block (packed as lowbit.h's pair-rows), x
// rows [16][64], placed by w_byte / x_slot; per k16 step the lanes' registers are built as the kernel
// builds them (biased_pair, ldmatrix), the mma is applied with PTX's fragment layouts, and the
// accumulators are compared with sum_k u[col][k] x[row][k] through d_col / d_row.
void emulate_stage() {
  std::mt19937 rng(7);
  const int warp = 2;
  int u[16][kStageK];
  float x[16][kStageK];
  std::vector<uint8_t> ws(kWStageBytes, 0), xs(16 * kXChunks * 16, 0);
  for (int c = 0; c < 16; ++c)
    for (int k = 0; k < kStageK; ++k) u[c][k] = static_cast<int>(rng() % 16);
  for (int pr = 0; pr < kStagePairs; ++pr)
    for (int c = 0; c < 16; ++c) ws[w_byte(warp, pr, c)] = static_cast<uint8_t>(u[c][2 * pr] | (u[c][2 * pr + 1] << 4));
  for (int r = 0; r < 16; ++r)
    for (int k = 0; k < kStageK; ++k) {
      x[r][k] = static_cast<float>(static_cast<int>(rng() % 64) - 32) / 8.0f;  // exact in f16
      const uint16_t h = static_cast<uint16_t>(lb::f32_to_f16_bits(x[r][k]));
      std::memcpy(&xs[16 * x_slot(r, k / 8) + 2 * (k % 8)], &h, 2);
    }
  double acc[2][32][4] = {};  // tiles x lanes x registers
  for (int s = 0; s < kStageK / 16; ++s) {
    float A[16][16], B[2][16][8];
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, t = lane % 4;
      uint32_t a[4];
      for (int h = 0; h < 2; ++h) {
        uint16_t v;
        std::memcpy(&v, &ws[w_byte(warp, 8 * s + a_pair(t, 2 * h), 2 * g)], 2);
        a[2 * h] = biased_pair(v, 0, kF16Magic);
        a[2 * h + 1] = biased_pair(v, 1, kF16Magic);
      }
      for (int e = 0; e < 4; ++e)  // PTX A: row g + 8 (e & 1), k 2t + 8 (e >> 1) + {0, 1}
        for (int half = 0; half < 2; ++half)
          A[g + 8 * (e & 1)][2 * t + 8 * (e >> 1) + half] = lb::f16_bits_to_f32((a[e] >> (16 * half)) & 0xffff) - 1024.0f;
      // ldmatrix.x4: matrix q's row g comes from lane 8q + g's address; lane (g, t) gets halves 2t, 2t+1.
      for (int q = 0; q < 4; ++q) {
        const int src = 8 * q + g;
        const uint8_t *row = &xs[16 * x_slot(ldm_row(0, src), ldm_chunk(s, src))];
        for (int half = 0; half < 2; ++half) {
          uint16_t h;
          std::memcpy(&h, row + 2 * (2 * t + half), 2);
          // b register q: tile q / 2, k-half q % 2; PTX B: k 2t + 8 (q % 2) + half, column g.
          B[q / 2][2 * t + 8 * (q % 2) + half][g] = lb::f16_bits_to_f32(h);
        }
      }
    }
    for (int tile = 0; tile < 2; ++tile)
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4, t = lane % 4;
        for (int e = 0; e < 4; ++e) {  // PTX D: row g + 8 (e >> 1), column 2t + (e & 1)
          double d = 0;
          for (int k = 0; k < 16; ++k) d += static_cast<double>(A[g + 8 * (e >> 1)][k]) * B[tile][k][2 * t + (e & 1)];
          acc[tile][lane][e] += d;
        }
      }
  }
  for (int tile = 0; tile < 2; ++tile)
    for (int lane = 0; lane < 32; ++lane)
      for (int e = 0; e < 4; ++e) {
        const int col = d_col(lane / 4, e), row = 8 * tile + d_row(lane % 4, e);
        double want = 0;
        for (int k = 0; k < kStageK; ++k) want += static_cast<double>(u[col][k]) * x[row][k];
        expect(acc[tile][lane][e] == want, "emulated stage == direct sum", tile, lane, e);
      }
}

void fold_units() {
  const long groups[][2] = {{32, 32}, {128, 128}, {256, 256}, {384, 192}, {1536, 192}, {4096, 256}, {11008, 688}, {96, 96}, {14336, 224}};
  for (const auto &gu : groups) {
    const int64_t u = fold_unit(gu[0]);
    expect(u == gu[1], "fold unit", gu[0], static_cast<long>(u), gu[1]);
    expect(u % 16 == 0 && gu[0] % u == 0, "fold unit divides the group in k16 steps", gu[0], static_cast<long>(u), 0);
  }
}

}  // namespace

int main() {
  x_layout();
  w_layout();
  dequant();
  emulate_stage();
  fold_units();
  if (failures) {
    std::printf("%d failures\n", failures);
    return 1;
  }
  std::printf("w4a16 tensor-core layout: all checks passed\n");
  return 0;
}
