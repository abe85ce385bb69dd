// W8A8 micro-kernel with AVX-512 VNNI: an mr x 32 tile (mr <= 12) of int32 accumulators in
// registers (24 zmm). Per k-quad: two 64-byte loads of packed B (16 columns x 4 k each), then per
// row one 4-byte broadcast of A and two VPDPBUSD (u8 x s8, four products summed into each int32).
#include <immintrin.h>

#include <chrono>
#include <cstring>

#include "tile_shapes.h"
#include "w8a8.h"

namespace lb::cpu {
namespace {

// c += the 4-byte dot products of a (u8) and b (s8), in place. Inline asm rather than
// _mm512_dpbusd_epi32: GCC 12 does not tie the intrinsic's accumulator to its destination and
// rotated the 16 accumulators of the tile through ~30 register moves and stack spills per k-quad
// (half the kernel's time); with the operand tied, the loop is loads, broadcasts and VPDPBUSDs.
inline __m512i dpbusd(__m512i c, __m512i a, __m512i b) {
  __asm__("vpdpbusd %2, %1, %0" : "+v"(c) : "v"(a), "v"(b));
  return c;
}

template <int MR, int NB>
void tile_fixed(const uint8_t *au8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int32_t *acc,
                int64_t ldc, bool accumulate) {
  __m512i c[MR][NB];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) c[i][j] = accumulate ? _mm512_loadu_si512(acc + i * ldc + j * 16) : _mm512_setzero_si512();
  const int8_t *b0 = bpack, *b1 = bpack + bstride;
#pragma GCC unroll 1
  for (int64_t kq = 0; kq < kquads; ++kq) {
    const __m512i v0 = _mm512_loadu_si512(b0 + kq * 64);
    const __m512i v1 = NB > 1 ? _mm512_loadu_si512(b1 + kq * 64) : v0;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      int32_t quad;
      std::memcpy(&quad, au8 + i * lda + kq * 4, 4);
      const __m512i a = _mm512_set1_epi32(quad);
      c[i][0] = dpbusd(c[i][0], a, v0);
      if (NB > 1) c[i][NB - 1] = dpbusd(c[i][NB - 1], a, v1);
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) _mm512_storeu_si512(acc + i * ldc + j * 16, c[i][j]);
}

struct Tile {
  template <int MR, int NB>
  static void run(const uint8_t *au8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int32_t *acc, int64_t ldc,
                  bool accumulate) {
    tile_fixed<MR, NB>(au8, lda, bpack, bstride, kquads, acc, ldc, accumulate);
  }
};

void tile(const uint8_t *au8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int mr, int nb, int32_t *acc,
          int64_t ldc, bool accumulate) {
  run_tile<Tile>(mr, nb, au8, lda, bpack, bstride, kquads, acc, ldc, accumulate);
}

}  // namespace

W8A8Tile w8a8_tile_avx512() { return tile; }

// Eight independent VPDPBUSD chains: enough in flight to cover the instruction's latency.
double int8_peak_thread_avx512(int32_t millis) {
  __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  const __m512i a = _mm512_set1_epi32(0x01010101), b = _mm512_set1_epi32(0x01fe01fe);
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::milliseconds(millis);
  int64_t rounds = 0;
  do {
    for (int r = 0; r < 1024; ++r) {
      c0 = _mm512_dpbusd_epi32(c0, a, b);
      c1 = _mm512_dpbusd_epi32(c1, a, b);
      c2 = _mm512_dpbusd_epi32(c2, a, b);
      c3 = _mm512_dpbusd_epi32(c3, a, b);
      c4 = _mm512_dpbusd_epi32(c4, a, b);
      c5 = _mm512_dpbusd_epi32(c5, a, b);
      c6 = _mm512_dpbusd_epi32(c6, a, b);
      c7 = _mm512_dpbusd_epi32(c7, a, b);
    }
    rounds += 1024;
  } while (std::chrono::steady_clock::now() < until);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Keep the chains live: their sum is used (it is never zero).
  const __m512i sum = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                                       _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7)));
  const int keep = _mm512_reduce_add_epi32(sum);
  return (keep == 0 ? 0.0 : 1.0) * static_cast<double>(rounds) * 8 * 64 / secs;
}

}  // namespace lb::cpu
