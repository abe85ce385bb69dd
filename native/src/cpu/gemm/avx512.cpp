// W8A8 micro-kernel with AVX-512 VNNI: an mr x 32 tile (mr <= 12) of int32 accumulators in
// registers (24 zmm). Per k-quad: two 64-byte loads of packed B (16 columns x 4 k each), then per
// row one VPXORD of A's 4 bytes, broadcast from memory, with the sign bits (A + 128 as u8), and two
// VPDPBUSD (u8 x s8, four products summed into each int32).
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

// The tile's k loop: c (+)= the dot products over kquads k-quads.
template <int MR, int NB>
inline void k_loop(__m512i (&c)[MR][NB], const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads) {
  const int8_t *b0 = bpack, *b1 = bpack + bstride;
  const __m512i flip = _mm512_set1_epi32(static_cast<int>(0x80808080u));
#pragma GCC unroll 1
  for (int64_t kq = 0; kq < kquads; ++kq) {
    const __m512i v0 = _mm512_loadu_si512(b0 + kq * 64);
    const __m512i v1 = NB > 1 ? _mm512_loadu_si512(b1 + kq * 64) : v0;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      int32_t quad;
      std::memcpy(&quad, a8 + i * lda + kq * 4, 4);
      // A + 128 as u8 (w8a8.h): GCC makes this one VPXORD with A's quad as an embedded-broadcast memory
      // operand, where the xor of a GPR and a GPR -> zmm broadcast took three instructions (two of
      // them on the vector pipes). On a Zen 4 host, 2 threads: +4-5% at 2048 x 4096 x 4096, +8-10% at
      // 300 x 384 x 1536, +17% at m = 8 (bench/native/gemm_ab.c, both orders).
      const __m512i a = _mm512_xor_si512(_mm512_set1_epi32(quad), flip);
      c[i][0] = dpbusd(c[i][0], a, v0);
      if (NB > 1) c[i][NB - 1] = dpbusd(c[i][NB - 1], a, v1);
    }
  }
}

template <int MR, int NB>
void tile_fixed(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int32_t *acc,
                int64_t ldc, bool accumulate) {
  __m512i c[MR][NB];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) c[i][j] = accumulate ? _mm512_loadu_si512(acc + i * ldc + j * 16) : _mm512_setzero_si512();
  k_loop<MR, NB>(c, a8, lda, bpack, bstride, kquads);
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) _mm512_storeu_si512(acc + i * ldc + j * 16, c[i][j]);
}

// The epilogue from registers: storing the int32 tile and converting it in a separate pass cost
// as much as the k loop itself at MiniLM's k = 384 (a second trip through L1 for every output, in
// baseline SSE). Masked loads and stores past `cols`: b_scales, bias and d end at n.
template <int MR, int NB>
void tile_f32(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, const int32_t *partial,
              int64_t ldc, const F32Epilogue &ep) {
  __m512i c[MR][NB];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) c[i][j] = partial ? _mm512_loadu_si512(partial + i * ldc + j * 16) : _mm512_setzero_si512();
  k_loop<MR, NB>(c, a8, lda, bpack, bstride, kquads);
  __m512i corr[NB];
  __m512 bs[NB], bias[NB];
  __mmask16 keep[NB];
  for (int j = 0; j < NB; ++j) {
    const int64_t left = ep.cols - 16 * j;
    keep[j] = left >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << (left > 0 ? left : 0)) - 1u);
    corr[j] = _mm512_slli_epi32(_mm512_loadu_si512(ep.colsums + 16 * j), 7);  // colsums are padded to whole blocks
    bs[j] = _mm512_maskz_loadu_ps(keep[j], ep.b_scales + 16 * j);
    bias[j] = ep.bias ? _mm512_maskz_loadu_ps(keep[j], ep.bias + 16 * j) : _mm512_setzero_ps();
  }
  for (int i = 0; i < MR; ++i) {
    const __m512 as = _mm512_set1_ps(ep.a_scales[i]);
    for (int j = 0; j < NB; ++j) {
      __m512 v = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c[i][j], corr[j])), as), bs[j]);
      if (ep.bias) v = _mm512_add_ps(v, bias[j]);
      _mm512_mask_storeu_ps(ep.d + i * ep.ldd + 16 * j, keep[j], v);
    }
  }
}

struct Tile {
  template <int MR, int NB>
  static void run(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int32_t *acc, int64_t ldc,
                  bool accumulate) {
    tile_fixed<MR, NB>(a8, lda, bpack, bstride, kquads, acc, ldc, accumulate);
  }
};

struct TileF32 {
  template <int MR, int NB>
  static void run(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, const int32_t *partial,
                  int64_t ldc, const F32Epilogue *ep) {
    tile_f32<MR, NB>(a8, lda, bpack, bstride, kquads, partial, ldc, *ep);
  }
};

void tile(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int mr, int nb, int32_t *acc,
          int64_t ldc, bool accumulate) {
  run_tile<Tile>(mr, nb, a8, lda, bpack, bstride, kquads, acc, ldc, accumulate);
}

void tile_with_f32_epilogue(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int mr, int nb,
                            const int32_t *partial, int64_t ldc, const F32Epilogue &ep) {
  run_tile<TileF32>(mr, nb, a8, lda, bpack, bstride, kquads, partial, ldc, &ep);
}

}  // namespace

W8A8Tile w8a8_tile_avx512() { return tile; }
W8A8TileF32 w8a8_tile_f32_avx512() { return tile_with_f32_epilogue; }

// Twelve independent VPDPBUSD chains: enough in flight to cover the instruction's latency at up to
// two a cycle. Each starts from a different value: started alike (all zero, as until 2026-11-27),
// GCC saw eight identical computations, kept one chain and multiplied its result by 8, so the
// "peak" was one chain's latency-bound rate times 8 (on a Zen 4 host 900 GMAC/s for 2 cores whose
// VPDPBUSD zmm issues once a cycle, ~460). The inline-asm dpbusd (tied accumulator) keeps the
// chains apart too.
double int8_peak_thread_avx512(int32_t millis) {
  constexpr int kChains = 12;
  __m512i c[kChains];
  for (int i = 0; i < kChains; ++i) c[i] = _mm512_set1_epi32(i + 1);
  const __m512i a = _mm512_set1_epi32(0x01010101), b = _mm512_set1_epi32(0x01fe01fe);
  const auto start = std::chrono::steady_clock::now();
  const auto until = start + std::chrono::milliseconds(millis);
  int64_t rounds = 0;
  do {
#pragma GCC unroll 1
    for (int r = 0; r < 1024; ++r)
#pragma GCC unroll 16
      for (int i = 0; i < kChains; ++i) c[i] = dpbusd(c[i], a, b);
    rounds += 1024;
  } while (std::chrono::steady_clock::now() < until);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Keep the chains live: their sum is used (it is never zero).
  __m512i sum = c[0];
  for (int i = 1; i < kChains; ++i) sum = _mm512_add_epi32(sum, c[i]);
  const int keep = _mm512_reduce_add_epi32(sum);
  return (keep == 0 ? 0.0 : 1.0) * static_cast<double>(rounds) * kChains * 64 / secs;
}

}  // namespace lb::cpu
