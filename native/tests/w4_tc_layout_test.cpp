// Checks the swapped-operand 4-bit kernels' maps (src/cuda/gemm/w4_tc_layout.h) on the host, since
// the kernels were written without a GPU: shared-memory slots are permutations, every fragment read
// (the ldmatrix phases over x, the 16-bit reads of codes) is free of bank conflicts, the code
// conversions are exact (f16/bf16 pairs for all 65536 code words, E4M3 for all 65536 nibble
// quadruples), and — emulating one pipeline stage of each kernel with PTX's fragment layouts
// (m16n8k16 for 16-bit x, m16n8k32 for 8-bit x) — the accumulators, read back through d_col /
// d_row, equal the direct sums of codes times x, and the row-sum mma read back through sum_lane
// equals the sums of x. Also each thread's copy plan (chunks cover a stage once, slots step
// linearly) and the fold cursor's groups (against the division it replaces).
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <vector>

#include "../src/common/fp8.h"
#include "../src/common/half.h"
#include "../src/cuda/gemm/w4_tc_layout.h"

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
    for (int s = 0; s < 4; ++s)
      for (int q = 0; q < 4; ++q) {
        std::set<int> groups;
        for (int L = 8 * q; L < 8 * q + 8; ++L) groups.insert(x_slot(ldm_row(tile, L), ldm_chunk(s, L)) % 8);
        expect(groups.size() == 8, "ldmatrix phase conflict-free", tile, s, q);
      }
}

// The byte offsets a warp's 16-bit code reads touch, for one read instruction: lanes may share a
// word (broadcast), never a bank with another word.
template <class Byte>
void expect_conflict_free(const char *what, int w, int s, Byte byte_of_lane) {
  int word_of_bank[32];
  std::memset(word_of_bank, -1, sizeof word_of_bank);
  for (int lane = 0; lane < 32; ++lane) {
    const int byte = byte_of_lane(lane / 4, lane % 4);
    expect(byte % 2 == 0, "code read aligned", w, s, lane);
    const int word = byte / 4, bank = word % 32;
    expect(word_of_bank[bank] < 0 || word_of_bank[bank] == word, what, w, s, lane);
    word_of_bank[bank] = word;
  }
}

template <int kXBytes>
void w_layout() {
  using S = Stage<kXBytes>;
  std::vector<int> seen(S::kWBytes, 0);
  for (int w = 0; w < kWarps; ++w)
    for (int pr = 0; pr < S::kPairs; ++pr)
      for (int b = 0; b < 16; ++b) ++seen[w_byte<kXBytes>(w, pr, b)];
  for (size_t i = 0; i < seen.size(); ++i) expect(seen[i] == 1, "w_byte bijective", static_cast<long>(i), seen[i], kXBytes);
  for (int w = 0; w < kWarps; ++w)
    for (int s = 0; s < 4; ++s)
      for (int h = 0; h < 2; ++h) {
        if (kXBytes == 2) {
          expect_conflict_free("16-bit x: code read conflict-free", w, s,
                               [&](int g, int t) { return w_byte<kXBytes>(w, 8 * s + a_pair(t, 2 * h), 2 * g); });
        } else {
          for (int second = 0; second < 2; ++second)
            expect_conflict_free("8-bit x: code read conflict-free", w, s,
                                 [&](int g, int t) { return w_byte<kXBytes>(w, 16 * s + a8_pair(t, 2 * h) + second, 2 * g); });
        }
      }
}

float half_value(uint32_t bits16, bool bf16) { return bf16 ? lb::bf16_bits_to_f32(bits16) : lb::f16_bits_to_f32(bits16); }

void conversions() {
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
  for (uint32_t n = 0; n < 65536; ++n) {
    const uint32_t r = e4m3_codes4(n);
    for (int i = 0; i < 4; ++i) {
      const uint32_t u = (n >> (4 * i)) & 15, got = (r >> (8 * i)) & 0xff;
      expect(got == lb::f32_to_e4m3(static_cast<float>(u), true), "E4M3 of a code", static_cast<long>(n), i, static_cast<long>(got));
    }
  }
  for (uint32_t v0 = 0; v0 < 65536; v0 += 257)
    for (uint32_t v1 = 0; v1 < 65536; v1 += 263)
      for (int byte = 0; byte < 2; ++byte) {
        const uint32_t n = code_nibbles(v0, v1, byte), b0 = (v0 >> (8 * byte)) & 0xff, b1 = (v1 >> (8 * byte)) & 0xff;
        expect(n == (b0 | (b1 << 8)), "code_nibbles: k order lo0, hi0, lo1, hi1", static_cast<long>(v0), static_cast<long>(v1), byte);
      }
}

// One stage of one warp, emulated: codes u[16][K] of a column block (packed as lowbit.h's pair-rows),
// 16 rows of x [16][K] (two tiles), placed by w_byte / x_slot; per mma step the lanes' registers are
// built as the kernel builds them, the mma is applied with PTX's fragment layouts (registers of
// kXBytes-wide elements: 2 k of 16-bit x, 4 k of 8-bit x per register), and the accumulators are
// compared with sum_k u[col][k] x[row][k] through d_col / d_row; the row-sum mma (A = the B
// registers reordered by sum_a_reg, B = ones), read back through sum_lane, with sum_k x[row][k].
template <int kXBytes>
void emulate_stage() {
  using S = Stage<kXBytes>;
  constexpr int K = S::kK, kStep = S::kStepK, kPer = 4 / kXBytes;  // elements per 32-bit register
  std::mt19937 rng(7 + kXBytes);
  const int warp = 2;
  std::vector<int> u(16 * K);
  std::vector<float> x(16 * K);
  std::vector<uint8_t> ws(S::kWBytes, 0), xs(16 * kXChunks * 16, 0);
  for (int c = 0; c < 16; ++c)
    for (int k = 0; k < K; ++k) u[c * K + k] = static_cast<int>(rng() % 16);
  for (int pr = 0; pr < S::kPairs; ++pr)
    for (int c = 0; c < 16; ++c) ws[w_byte<kXBytes>(warp, pr, c)] = static_cast<uint8_t>(u[c * K + 2 * pr] | (u[c * K + 2 * pr + 1] << 4));
  for (int r = 0; r < 16; ++r)
    for (int k = 0; k < K; ++k) {
      uint8_t *at = &xs[16 * x_slot(r, (k * kXBytes) / 16) + (k * kXBytes) % 16];
      if (kXBytes == 2) {
        x[r * K + k] = static_cast<float>(static_cast<int>(rng() % 64) - 32) / 8.0f;  // exact in f16
        const uint16_t h = lb::f32_to_f16_bits(x[r * K + k]);
        std::memcpy(at, &h, 2);
      } else {
        const uint8_t b = static_cast<uint8_t>(rng() % 256);
        *at = (b & 0x7f) == 0x7f ? 0 : b;  // E4M3 codes, NaN left out
        x[r * K + k] = lb::e4m3_to_f32(*at);
      }
    }
  double acc[2][32][4] = {};  // tiles x lanes x registers
  double sums[32][4] = {};    // the row-sum mma's accumulators (both tiles), lanes x registers
  const auto element = [&](uint32_t reg, int i) {  // element i of a register of kPer elements
    if (kXBytes == 2) return lb::f16_bits_to_f32(static_cast<uint16_t>((reg >> (16 * i)) & 0xffff));
    return lb::e4m3_to_f32(static_cast<uint8_t>((reg >> (8 * i)) & 0xff));
  };
  for (int s = 0; s < 4; ++s) {
    std::vector<double> A(16 * kStep), B(2 * kStep * 8), X(16 * kStep);  // X: the row-sum mma's A
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, t = lane % 4;
      uint32_t a[4], b[4];
      if (kXBytes == 2) {
        for (int h = 0; h < 2; ++h) {  // as HalfX::a_fragments, without the magic's subtraction (done below)
          uint16_t v;
          std::memcpy(&v, &ws[w_byte<kXBytes>(warp, 8 * s + a_pair(t, 2 * h), 2 * g)], 2);
          a[2 * h] = biased_pair(v, 0, kF16Magic);
          a[2 * h + 1] = biased_pair(v, 1, kF16Magic);
        }
      } else {
        for (int h = 0; h < 2; ++h) {  // as Fp8X::a_fragments
          const int pr = 16 * s + a8_pair(t, 2 * h);
          uint16_t v0, v1;
          std::memcpy(&v0, &ws[w_byte<kXBytes>(warp, pr, 2 * g)], 2);
          std::memcpy(&v1, &ws[w_byte<kXBytes>(warp, pr + 1, 2 * g)], 2);
          a[2 * h] = e4m3_codes4(code_nibbles(v0, v1, 0));
          a[2 * h + 1] = e4m3_codes4(code_nibbles(v0, v1, 1));
        }
      }
      for (int e = 0; e < 4; ++e)  // PTX A: row g + 8 (e & 1), k kPer t + kStep/2 (e >> 1) + i
        for (int i = 0; i < kPer; ++i)
          A[(g + 8 * (e & 1)) * kStep + kPer * t + (kStep / 2) * (e >> 1) + i] = element(a[e], i) - (kXBytes == 2 ? 1024.0f : 0.0f);
      // ldmatrix.x4: matrix q's row g comes from lane 8q + g's address; lane (g, t) gets bytes 4t .. 4t + 3.
      for (int q = 0; q < 4; ++q) {
        const int src = 8 * q + g;
        uint32_t reg;
        std::memcpy(&reg, &xs[16 * x_slot(ldm_row(0, src), ldm_chunk(s, src)) + 4 * t], 4);
        // b register q % 2 of tile q / 2; PTX B: k kPer t + kStep/2 (q % 2) + i, column g.
        for (int i = 0; i < kPer; ++i) B[((q / 2) * kStep + kPer * t + (kStep / 2) * (q % 2) + i) * 8 + g] = element(reg, i);
        b[q] = reg;
      }
      for (int e = 0; e < 4; ++e)  // the row-sum mma's A register e is b[sum_a_reg(e)], laid out as PTX's A
        for (int i = 0; i < kPer; ++i) X[(g + 8 * (e & 1)) * kStep + kPer * t + (kStep / 2) * (e >> 1) + i] = element(b[sum_a_reg(e)], i);
    }
    for (int tile = 0; tile < 2; ++tile)
      for (int lane = 0; lane < 32; ++lane) {
        const int g = lane / 4, t = lane % 4;
        for (int e = 0; e < 4; ++e) {  // PTX D: row g + 8 (e >> 1), column 2t + (e & 1)
          double d = 0;
          for (int k = 0; k < kStep; ++k) d += A[(g + 8 * (e >> 1)) * kStep + k] * B[(tile * kStep + k) * 8 + 2 * t + (e & 1)];
          acc[tile][lane][e] += d;
        }
      }
    for (int lane = 0; lane < 32; ++lane)
      for (int e = 0; e < 4; ++e)  // D = X . ones: row g + 8 (e >> 1) summed over the step's k
        for (int k = 0; k < kStep; ++k) sums[lane][e] += X[(lane / 4 + 8 * (e >> 1)) * kStep + k];
  }
  // The fold's view: accumulator e of tile h in lane (g, t) takes register 2h of lane sum_lane(d_row(t, e)).
  for (int tile = 0; tile < 2; ++tile)
    for (int lane = 0; lane < 32; ++lane)
      for (int e = 0; e < 4; ++e) {
        const int row = d_row(lane % 4, e);
        double want = 0;
        for (int k = 0; k < K; ++k) want += x[(8 * tile + row) * K + k];
        expect(sums[sum_lane(row)][2 * tile] == want && sums[sum_lane(row)][2 * tile + 1] == want,
               kXBytes == 2 ? "16-bit x: row sums on the tensor cores" : "8-bit x: row sums on the tensor cores", tile, lane, e);
      }
  for (int tile = 0; tile < 2; ++tile)
    for (int lane = 0; lane < 32; ++lane)
      for (int e = 0; e < 4; ++e) {
        const int col = d_col(lane / 4, e), row = 8 * tile + d_row(lane % 4, e);
        double want = 0;
        for (int k = 0; k < K; ++k) want += static_cast<double>(u[col * K + k]) * x[row * K + k];
        expect(acc[tile][lane][e] == want, kXBytes == 2 ? "16-bit x: emulated stage == direct sum" : "8-bit x: emulated stage == direct sum",
               tile, lane, e);
      }
}

void fold_units() {
  const long cases[][3] = {{32, 16, 32},     {128, 16, 128},   {256, 16, 256},  {384, 16, 192}, {1536, 16, 192}, {4096, 16, 256},
                           {11008, 16, 688}, {96, 16, 96},     {14336, 16, 224}, {1536, 32, 192}, {11008, 32, 1376}, {96, 32, 96},
                           {4096, 32, 256},  {14336, 32, 224}};
  for (const auto &c : cases) {
    const int64_t u = fold_unit(c[0], static_cast<int>(c[1]));
    expect(u == c[2], "fold unit", c[0], c[1], static_cast<long>(u));
    expect(u % c[1] == 0 && c[0] % u == 0, "fold unit divides the group in mma steps", c[0], c[1], static_cast<long>(u));
  }
}

// CopyPlan: each thread's chunks cover every code pair-row and x chunk of a stage once, and chunk
// c's shared slot is chunk 0's plus c times the plan's step (what StageCopies keeps instead of a
// slot per chunk).
template <int kXBytes>
void copy_plan() {
  using P = CopyPlan<kXBytes>;
  std::vector<int> w_seen(kWarps * P::kPairs, 0), x_seen(kRows * kXChunks, 0);
  for (int tid = 0; tid < kThreads; ++tid) {
    for (int c = 0; c < P::kW; ++c) {
      const int w = P::w_block(tid, c), pr = P::w_pair(tid);
      expect(w < kWarps && pr < P::kPairs, "code chunk inside the stage", tid, c, kXBytes);
      if (w < kWarps && pr < P::kPairs) ++w_seen[w * P::kPairs + pr];
      expect(w_byte<kXBytes>(w, pr, 0) == w_byte<kXBytes>(P::w_block(tid, 0), pr, 0) + c * P::kWSlotStep, "code slot step", tid, c,
             kXBytes);
    }
    for (int c = 0; c < kRows * kXChunks / kThreads; ++c) {  // 8 tiles: 64 rows
      const int r = P::x_row(tid, c), ch = P::x_chunk(tid);
      expect(r < kRows, "x chunk inside the stage", tid, c, kXBytes);
      if (r < kRows) ++x_seen[r * kXChunks + ch];
      expect(x_slot(r, ch) * 16 == x_slot(P::x_row(tid, 0), ch) * 16 + c * P::kXSlotStep, "x slot step", tid, c, kXBytes);
    }
  }
  for (size_t i = 0; i < w_seen.size(); ++i) expect(w_seen[i] == 1, "code chunks cover the stage once", static_cast<long>(i), w_seen[i], kXBytes);
  for (size_t i = 0; i < x_seen.size(); ++i) expect(x_seen[i] == 1, "x chunks cover the stage once", static_cast<long>(i), x_seen[i], kXBytes);
  for (int tid = 0; tid < 64; ++tid) expect(P::x_row(tid, 0) < 8, "one tile: the first 64 threads copy its 8 rows", tid, 0, kXBytes);
}

// FoldCursor against the division it replaces: for splits starting at every unit boundary, the group
// of each unit, and advance() reporting exactly the units that start a group.
void fold_cursor() {
  const long cases[][3] = {{32, 16, 4 * 32}, {128, 16, 4096}, {4096, 16, 4096}, {11008, 16, 11008}, {96, 32, 96 * 5},
                           {14336, 32, 14336}, {1536, 16, 3 * 1536}, {16, 16, 256}};
  for (const auto &c : cases) {
    const int64_t group = c[0], unit = fold_unit(group, static_cast<int>(c[1])), k = c[2];
    for (int64_t k_begin = 0; k_begin < k; k_begin += unit) {
      FoldCursor cur(k_begin, unit, group);
      for (int64_t u = k_begin; u < k; u += unit) {
        expect(cur.group == u / group, "fold cursor: the unit's group", group, static_cast<long>(k_begin), static_cast<long>(u));
        const bool starts = cur.advance();
        expect(starts == ((u + unit) % group == 0), "fold cursor: a new group starts", group, static_cast<long>(k_begin), static_cast<long>(u));
      }
    }
  }
}

}  // namespace

int main() {
  x_layout();
  w_layout<2>();
  w_layout<1>();
  conversions();
  emulate_stage<2>();
  emulate_stage<1>();
  fold_units();
  copy_plan<2>();
  copy_plan<1>();
  fold_cursor();
  if (failures) {
    std::printf("%d failures\n", failures);
    return 1;
  }
  std::printf("4-bit swapped-operand tensor-core layouts: all checks passed\n");
  return 0;
}
