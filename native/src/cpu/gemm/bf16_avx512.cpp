// bf16 micro-kernel with AVX-512 BF16: an mr x 32 tile (mr <= 12) of f32 accumulators in
// registers (24 zmm). Per k pair: two 64-byte loads of the panel (16 columns x 2 k each), then per
// row one 4-byte broadcast of A's pair and two VDPBF16PS (two exact products added into each f32).
#include <immintrin.h>

#include <chrono>
#include <cstring>

#include "bf16_tile.h"
#include "tile_shapes.h"

namespace lb::cpu {
namespace {

inline __m512bh as_bh(__m512i v) { return reinterpret_cast<__m512bh &>(v); }

template <int MR, int NB>
void tile_fixed(const uint16_t *a, int64_t lda, const uint16_t *b, int64_t bstride, int64_t kpairs, float *acc, int64_t ldc,
                bool accumulate) {
  __m512 c[MR][NB];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) c[i][j] = accumulate ? _mm512_loadu_ps(acc + i * ldc + j * 16) : _mm512_setzero_ps();
  const uint16_t *b0 = b, *b1 = b + bstride;
#pragma GCC unroll 1
  for (int64_t p = 0; p < kpairs; ++p) {
    const __m512bh v0 = as_bh(_mm512_loadu_si512(b0 + p * 32));
    const __m512bh v1 = NB > 1 ? as_bh(_mm512_loadu_si512(b1 + p * 32)) : v0;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      int32_t pair;
      std::memcpy(&pair, a + i * lda + p * 2, 4);
      const __m512bh x = as_bh(_mm512_set1_epi32(pair));
      c[i][0] = _mm512_dpbf16_ps(c[i][0], x, v0);
      if (NB > 1) c[i][NB - 1] = _mm512_dpbf16_ps(c[i][NB - 1], x, v1);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) _mm512_storeu_ps(acc + i * ldc + j * 16, c[i][j]);
}

struct Tile {
  template <int MR, int NB>
  static void run(const uint16_t *a, int64_t lda, const uint16_t *b, int64_t bstride, int64_t kpairs, float *acc, int64_t ldc,
                  bool accumulate) {
    tile_fixed<MR, NB>(a, lda, b, bstride, kpairs, acc, ldc, accumulate);
  }
};

void tile(const uint16_t *a, int64_t lda, const uint16_t *b, int64_t bstride, int64_t kpairs, int mr, int nb, float *acc,
          int64_t ldc, bool accumulate) {
  run_tile<Tile>(mr, nb, a, lda, b, bstride, kpairs, acc, ldc, accumulate);
}

}  // namespace

Bf16Tile bf16_tile_avx512() { return tile; }

// Eight independent VDPBF16PS chains cover the instruction's latency.
double bf16_peak_thread_avx512(int32_t millis) {
  __m512 c0 = _mm512_setzero_ps(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  const __m512bh x = as_bh(_mm512_set1_epi32(0x3f803f80)), y = as_bh(_mm512_set1_epi32(0x3c003c00));  // 1.0, 2^-7
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::milliseconds(millis);
  int64_t rounds = 0;
  do {
    for (int r = 0; r < 1024; ++r) {
      c0 = _mm512_dpbf16_ps(c0, x, y);
      c1 = _mm512_dpbf16_ps(c1, x, y);
      c2 = _mm512_dpbf16_ps(c2, x, y);
      c3 = _mm512_dpbf16_ps(c3, x, y);
      c4 = _mm512_dpbf16_ps(c4, x, y);
      c5 = _mm512_dpbf16_ps(c5, x, y);
      c6 = _mm512_dpbf16_ps(c6, x, y);
      c7 = _mm512_dpbf16_ps(c7, x, y);
    }
    rounds += 1024;
  } while (std::chrono::steady_clock::now() < until);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                                   _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
  const float keep = _mm512_reduce_add_ps(sum);  // keeps the chains live; never zero
  // 8 chains x 16 lanes x 2 multiply-adds x 2 flops per VDPBF16PS round.
  return (keep == 0.0f ? 0.0 : 1.0) * static_cast<double>(rounds) * 8 * 16 * 2 * 2 / secs;
}

}  // namespace lb::cpu
