// bf16 micro-kernel with AVX-512 BF16 (bf16_direct_avx512.h over a decoded panel): an mr x 32 tile
// of f32 accumulators in registers. Per k pair: two 64-byte loads of the panel (16 columns x 2 k
// each), then per row one 4-byte broadcast of A's pair and two VDPBF16PS (two exact products added
// into each f32).
#include <immintrin.h>

#include <chrono>
#include <cstring>

#include "bf16_tile.h"
#include "tile_shapes.h"

namespace lb::cpu {
namespace {

// The panel already holds bf16: the "decoder" is a plain 64-byte load.
struct Bf16Loader {
  static constexpr int64_t kPairBytes = 64;
  __m512i load(const uint8_t *p) const { return _mm512_loadu_si512(p); }
};

#include "bf16_direct_avx512.h"

void tile(const uint16_t *a, int64_t lda, const uint16_t *b, int64_t bstride, int64_t kpairs, int mr, int nb, float *acc,
          int64_t ldc, bool accumulate) {
  direct_tile<Bf16Loader>(a, lda, reinterpret_cast<const uint8_t *>(b), bstride * 2, kpairs, mr, nb, acc, ldc, accumulate);
}

}  // namespace

Bf16Tile bf16_tile_avx512() { return tile; }

// Twelve independent VDPBF16PS chains cover the instruction's latency, each started from a
// different value: started alike (as until 2026-11-27), GCC merged them into one and the figure was
// that chain's latency-bound rate times 8 (see int8_peak_thread_avx512).
double bf16_peak_thread_avx512(int32_t millis) {
  constexpr int kChains = 12;
  __m512 c[kChains];
  for (int i = 0; i < kChains; ++i) c[i] = _mm512_set1_ps(static_cast<float>(i + 1));
  const __m512bh x = as_bh(_mm512_set1_epi32(0x3f803f80)), y = as_bh(_mm512_set1_epi32(0x3c003c00));  // 1.0, 2^-7
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::milliseconds(millis);
  int64_t rounds = 0;
  do {
#pragma GCC unroll 1
    for (int r = 0; r < 1024; ++r)
#pragma GCC unroll 16
      for (int i = 0; i < kChains; ++i) c[i] = _mm512_dpbf16_ps(c[i], x, y);
    rounds += 1024;
  } while (std::chrono::steady_clock::now() < until);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  __m512 sum = c[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_ps(sum, c[i]);
  const float keep = _mm512_reduce_add_ps(sum);  // keeps the chains live; never zero
  // kChains chains x 16 lanes x 2 multiply-adds x 2 flops per VDPBF16PS round.
  return (keep == 0.0f ? 0.0 : 1.0) * static_cast<double>(rounds) * kChains * 16 * 2 * 2 / secs;
}

}  // namespace lb::cpu
