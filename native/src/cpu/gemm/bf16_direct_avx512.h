// The direct bf16 tile (bf16_tile.h, Bf16DirectTile) over any packed code format: Decoder turns
// the packed codes of one k pair of a 16-column block (Decoder::kPairBytes bytes) into 32 bf16 in a
// register. Include only from files compiled with the AVX-512 flags, inside an anonymous namespace
// in lb::cpu, after <immintrin.h>, <cstring> and "tile_shapes.h" at the top of the file.
#pragma once

inline __m512bh as_bh(__m512i v) { return reinterpret_cast<__m512bh &>(v); }

template <class Decoder, int MR, int NB>
void direct_fixed(const uint16_t *a, int64_t lda, const uint8_t *b, int64_t bstride, int64_t kpairs, float *acc, int64_t ldc,
                  bool accumulate) {
  const Decoder dec;
  __m512 c[MR][NB];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NB; ++j) c[i][j] = accumulate ? _mm512_loadu_ps(acc + i * ldc + j * 16) : _mm512_setzero_ps();
#pragma GCC unroll 1
  for (int64_t p = 0; p < kpairs; ++p) {
    const __m512bh v0 = as_bh(dec.load(b + p * Decoder::kPairBytes));
    const __m512bh v1 = NB > 1 ? as_bh(dec.load(b + bstride + p * Decoder::kPairBytes)) : v0;
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

template <class Decoder>
struct DirectTile {
  template <int MR, int NB>
  static void run(const uint16_t *a, int64_t lda, const uint8_t *b, int64_t bstride, int64_t kpairs, float *acc, int64_t ldc,
                  bool accumulate) {
    direct_fixed<Decoder, MR, NB>(a, lda, b, bstride, kpairs, acc, ldc, accumulate);
  }
};

// Bf16DirectTile for Decoder; mr <= 4 (the driver's kBf16DirectRows).
template <class Decoder>
void direct_tile(const uint16_t *a, int64_t lda, const uint8_t *b, int64_t bstride, int64_t kpairs, int mr, int nb, float *acc,
                 int64_t ldc, bool accumulate) {
  run_tile<DirectTile<Decoder>>(mr, nb, a, lda, b, bstride, kpairs, acc, ldc, accumulate);
}
