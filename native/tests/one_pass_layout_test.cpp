// Checks the one-pass quantize kernels' work maps (src/cuda/quant/one_pass_layout.h) on the host,
// walking the same loops as one_pass.cu's kernels: the tile kernel's warps over their batches of slots
// and the warp and block kernels' lanes and threads over their block's runs. Every element of the matrix must be taken exactly
// once, by a lane or run of the block it belongs to; every block must have one leader; for packed U4
// zero points the block after an even one must sit G lanes further in the same warp (where the kernel
// takes its zero point with __shfl_down_sync), and distinct byte indices must stay within the zero
// array. Also the magnitude and integer ranges the kernels (and the fused rotate + quantize) take: the
// same block parameters as the float range, NaN and Inf found.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "../src/common/quant.h"
#include "../src/cuda/quant/one_pass_layout.h"

using namespace lb::cuda_quant1;

namespace {

int failures = 0;

void expect(bool ok, const char *what, long a, long b, long c) {
  if (!ok && failures++ < 20) std::printf("FAIL %s (%ld, %ld, %ld)\n", what, a, b, c);
}

void tile_case(int64_t rows, int64_t cols, int G, bool paired) {
  const int64_t bc = 8 * G, C = cols / bc, Cp = tile_row_slots(C, paired), slots = rows * Cp;
  const int per_warp = 32 / G;
  const FastDiv cp_div = fast_div(static_cast<uint32_t>(Cp));
  std::vector<int> seen(static_cast<size_t>(rows * cols), 0), leaders(static_cast<size_t>(rows * C), 0);
  std::vector<int> bytes(static_cast<size_t>(rows * ((C + 1) / 2)), 0);
  for (int64_t base = 0; base < slots; base += per_warp) {  // every warp batch the grid-stride loops visit
    for (int lane = 0; lane < 32; ++lane) {
      const TileLane t = tile_lane(base, lane, G, Cp, C, rows, cols, cp_div, true);
      const TileLane wide = tile_lane(base, lane, G, Cp, C, rows, cols, cp_div, false);
      expect(t.r == wide.r && t.cb == wide.cb && t.live == wide.live, "tile lane: the fast division's row", base, lane, Cp);
      if (!t.live) continue;
      const bool inside = t.e0 >= 0 && t.e0 + 8 <= rows * cols && t.e0 / cols == t.r && (t.e0 % cols) / bc == t.cb;
      expect(inside, "tile lane inside its block", t.e0, t.r, t.cb);
      if (inside)
        for (int e = 0; e < 8; ++e) ++seen[static_cast<size_t>(t.e0 + e)];
      if (t.leader) ++leaders[static_cast<size_t>(t.r * C + t.cb)];
      if (paired && t.leader && t.cb % 2 == 0) {
        const int64_t z = zero_byte(t.r, t.cb, C);
        expect(z >= 0 && z < static_cast<int64_t>(bytes.size()), "zero byte in range", z, t.r, t.cb);
        if (z >= 0 && z < static_cast<int64_t>(bytes.size())) ++bytes[static_cast<size_t>(z)];
        if (t.cb + 1 < C) {
          expect(lane + G < 32, "the next block in the same warp", lane, G, t.cb);
          const TileLane n = tile_lane(base, lane + G, G, Cp, C, rows, cols, cp_div, true);
          expect(n.live && n.r == t.r && n.cb == t.cb + 1 && n.leader, "the next block is the neighbour's leader", lane, t.r, t.cb);
        }
      }
    }
  }
  for (size_t i = 0; i < seen.size(); ++i) expect(seen[i] == 1, "tile: each element once", static_cast<long>(i), seen[i], cols);
  for (size_t b = 0; b < leaders.size(); ++b) expect(leaders[b] == 1, "tile: one leader per block", static_cast<long>(b), leaders[b], G);
  if (paired)
    for (size_t z = 0; z < bytes.size(); ++z) expect(bytes[z] == 1, "tile: each zero byte once", static_cast<long>(z), bytes[z], C);
}

void block_case(int64_t rows, int64_t cols, int64_t br, int64_t bc) {
  const int64_t R = rows / br, C = cols / bc;
  const int runs = static_cast<int>(br * bc / 8);
  const RunCols rc = run_cols_of(bc);
  std::vector<int> seen(static_cast<size_t>(rows * cols), 0);
  for (int64_t rb = 0; rb < R; ++rb)
    for (int64_t cb = 0; cb < C; ++cb)
      for (int j = 0; j < runs; ++j) {
        const int64_t e0 = block_run_element(rb, cb, j, br, rc, cols);
        const bool inside = e0 >= 0 && e0 + 8 <= rows * cols && e0 / cols / br == rb && (e0 % cols) / bc == cb;
        expect(inside, "block run inside its block", e0, rb, cb);
        if (inside)
          for (int e = 0; e < 8; ++e) ++seen[static_cast<size_t>(e0 + e)];
      }
  for (size_t i = 0; i < seen.size(); ++i) expect(seen[i] == 1, "block: each element once", static_cast<long>(i), seen[i], bc);
}

}  // namespace

// FastDiv against the division for divisors up to 4096 and every power of two, over small numerators,
// the ends of the 32-bit range and a spread between.
void fast_div_case() {
  std::vector<uint32_t> divisors;
  for (uint32_t d = 1; d <= 4096; ++d) divisors.push_back(d);
  for (int k = 12; k < 32; ++k) divisors.insert(divisors.end(), {(1u << k) - 1, 1u << k, (1u << k) + 1});
  divisors.push_back(0xffffffffu);
  for (uint32_t d : divisors) {
    const FastDiv f = fast_div(d);
    uint64_t checked = 0;
    for (uint64_t n = 0; n <= 0xffffffffull; n = n < 70000 ? n + 1 : n + n / 4093 + 12345) {
      for (uint64_t e : {n, n * d, n * d + d - 1, n * d - 1})  // quotient boundaries too
        if (e <= 0xffffffffull) {
          expect(f.div(static_cast<uint32_t>(e)) == e / d, "FastDiv", static_cast<long>(e), static_cast<long>(d), static_cast<long>(f.l));
          ++checked;
        }
    }
    expect(f.div(0xffffffffu) == 0xffffffffu / d, "FastDiv at 2^32 - 1", static_cast<long>(d), 0, 0);
    (void)checked;
  }
}

uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

// For the formats symmetric_range names, a block ranged by magnitude — the largest magnitude_bits from
// 0, seen as [-amax, amax] the way one_pass.cu (params_of after settle) and hadamard.cu (range_params of
// the stored words) hand it to block_params — gets the parameters of its true range [min(x, 0),
// max(x, 0)] bit for bit, with every scale dtype and power-of-two scales; a block with NaN or Inf is
// not magnitude_finite, a finite one is. U4 and unclipped I4 are not served (their parameters need lo
// and hi apart), which one lopsided block shows.
void magnitude_case() {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 7), exponent(-140, 120);
  const lb_dtype scale_dtypes[] = {LB_DTYPE_F32, LB_DTYPE_F16, LB_DTYPE_BF16};
  int served = 0;
  for (lb_dtype q : {LB_DTYPE_I8, LB_DTYPE_FP8_E4M3, LB_DTYPE_FP8_E5M2, LB_DTYPE_I4, LB_DTYPE_U4})
    for (int32_t flags : {0, static_cast<int32_t>(LB_QUANT_RESTRICT_RANGE), static_cast<int32_t>(LB_QUANT_POW2_SCALE)})
      for (lb_dtype sd : scale_dtypes) {
        const lb_quant_params p = {q, sd, LB_DTYPE_F16, flags, 1, 16};
        if (!lb::symmetric_range(p)) {
          const lb::BlockParams t = lb::block_params(p, -1.0f, 0.25f, 1.0f), m = lb::block_params(p, -1.0f, 1.0f, 1.0f);
          expect(bits_of(t.scale) != bits_of(m.scale) || bits_of(t.zero) != bits_of(m.zero), "a lopsided block needs lo and hi apart", q, flags, sd);
          continue;
        }
        ++served;
        for (int block = 0; block < 3000; ++block) {
          float x[16];
          const int kind = pick(rng);
          const float size = std::ldexp(1.0f, exponent(rng));
          for (float &v : x) v = kind == 0 ? 0.0f : unit(rng) * size;
          if (kind == 1) x[block % 16] = -0.0f;                       // -0 among zeros
          if (kind == 2) x[block % 16] = -size * 3.0f;                // one negative outlier
          if (kind == 3) x[block % 16] = std::numeric_limits<float>::max();
          if (kind == 4) x[block % 16] = std::numeric_limits<float>::denorm_min();
          const bool bad = kind >= 6;
          if (kind == 6) x[block % 16] = std::numeric_limits<float>::quiet_NaN();
          if (kind == 7) x[block % 16] = -std::numeric_limits<float>::infinity();
          float lo = 0.0f, hi = 0.0f;
          uint32_t mag = 0;
          for (float v : x) {
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            mag = std::max(mag, lb::magnitude_bits(v));
          }
          expect(lb::magnitude_finite(mag) == !bad, "magnitude_finite finds NaN / Inf", q, block, kind);
          if (bad) continue;
          const float amax = lb::bits_float(mag);
          const lb::BlockParams want = lb::block_params(p, -(0.0f - lo), hi, 1.0f);
          const lb::BlockParams one_pass = lb::block_params(p, -(0.0f - -amax), amax, 1.0f);
          const lb::BlockParams fused = lb::block_params(p, -lb::bits_float(mag), lb::bits_float(mag), 1.0f);
          for (const lb::BlockParams &got : {one_pass, fused})
            expect(bits_of(got.scale) == bits_of(want.scale) && bits_of(got.inv) == bits_of(want.inv) && bits_of(got.zero) == bits_of(want.zero),
                   "magnitude range gives the true range's parameters", q, block, kind);
        }
      }
  expect(served == 3 * 3 * 3 + 3, "symmetric_range serves I8, fp8 and clipped I4", served, 0, 0);
}

// The integer range (common/quant.h's BitsRange) equals the float one — lo = min(x, 0), hi = max(x, 0)
// by float compares from 0, as the kernels ranged before — for every format's parameters, bit for bit
// after block_params (which adds +0 to -0 bounds), merged in any split; NaN and Inf of either sign are
// found and finite blocks pass.
void bits_range_case() {
  std::mt19937 rng(13);
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, 9), exponent(-140, 120), split(0, 16);
  const float specials[] = {-0.0f, 0.0f, std::numeric_limits<float>::denorm_min(), -std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::max(), -std::numeric_limits<float>::max()};
  for (int block = 0; block < 20000; ++block) {
    float x[16];
    const int kind = pick(rng);
    const float size = std::ldexp(1.0f, exponent(rng));
    for (float &v : x) v = kind == 0 ? 0.0f : kind == 1 ? std::fabs(unit(rng)) * size : kind == 2 ? -std::fabs(unit(rng)) * size : unit(rng) * size;
    if (kind == 3) x[block % 16] = specials[block % 6];
    if (kind == 4) x[block % 16] = -0.0f;
    const bool bad = kind >= 6;
    if (kind == 6) x[block % 16] = std::numeric_limits<float>::quiet_NaN();
    if (kind == 7) x[block % 16] = -std::numeric_limits<float>::quiet_NaN();
    if (kind == 8) x[block % 16] = std::numeric_limits<float>::infinity();
    if (kind == 9) x[block % 16] = -std::numeric_limits<float>::infinity();
    float lo = 0.0f, hi = 0.0f;
    lb::BitsRange a, b;  // two parts, merged: as lanes or warps are
    const int cut = split(rng);
    for (int i = 0; i < 16; ++i) {
      lo = x[i] < lo ? x[i] : lo;
      hi = x[i] > hi ? x[i] : hi;
      lb::bits_range_widen(i < cut ? a : b, x[i]);
    }
    lb::bits_range_merge(a, b);
    expect(lb::bits_range_finite(a) == !bad, "bits_range_finite finds NaN / Inf", block, kind, 0);
    if (bad) continue;
    for (lb_dtype q : {LB_DTYPE_I8, LB_DTYPE_I4, LB_DTYPE_U4, LB_DTYPE_FP8_E4M3, LB_DTYPE_FP8_E5M2})
      for (lb_dtype zd : {LB_DTYPE_U4, LB_DTYPE_F16}) {
        const lb_quant_params p = {q, LB_DTYPE_F32, zd, 0, 1, 16};
        const lb::BlockParams want = lb::block_params(p, -(0.0f - lo), hi, 1.0f);
        const lb::BlockParams got = lb::block_params(p, -(0.0f - lb::bits_range_lo(a)), lb::bits_range_hi(a), 1.0f);
        expect(bits_of(got.scale) == bits_of(want.scale) && bits_of(got.inv) == bits_of(want.inv) && bits_of(got.zero) == bits_of(want.zero),
               "the integer range gives the float range's parameters", block, kind, q);
      }
  }
}

int main() {
  fast_div_case();
  magnitude_case();
  bits_range_case();
  for (int G = 1; G <= 32; G *= 2)
    for (int64_t C : {1, 2, 3, 5, 8})
      for (int64_t rows : {1, 2, 7})
        for (bool paired : {false, true}) {
          if (paired && G > 16) continue;  // one_pass.cu takes packed U4 zeros up to 128 columns a block
          tile_case(rows, C * 8 * G, G, paired);
        }
  block_case(3, 384, 1, 384);     // per row, a run count that is not a multiple of 32 lanes
  block_case(2, 2048, 1, 2048);   // per row at the warp kernel's limit: 256 runs
  block_case(32, 384, 16, 128);   // 16 x 128 blocks (256 runs, spanning rows), three to a row
  block_case(16, 48, 16, 48);     // one block for the tensor
  block_case(2, 16384, 1, 16384);  // block kernel: a long row (2048 runs, 8 a thread)
  block_case(256, 384, 128, 128);  // block kernel: 128 x 128 blocks, three to a row
  block_case(1, 65536, 1, 65536);  // block kernel at its limit: 8192 runs
  block_case(4, 96, 2, 48);        // 6 runs a block row: run_cols_of divides
  std::printf(failures ? "one_pass_layout: %d failures\n" : "one_pass_layout: all maps hold\n", failures);
  return failures ? 1 : 0;
}
