// The AVX2 form of bf16_direct_avx512.h: the bf16 tiles (bf16_tile.h) with f32 FMAs, B decoded from its
// packed codes (or the decoded bf16 panel) in registers. No VDPBF16PS on AVX2, so each k pair's two
// products are separate FMAs, odd element first (as bf16_tile.inc and VDPBF16PS's definition order
// them). Decoder::load(p, even, odd) turns the Decoder::kPairBytes bytes of one k pair of a 16-column
// block into f32: even[0] / odd[0] columns 0-7 of the pair's first / second element, [1] columns 8-15.
// Include only from files compiled with the AVX2 flags, inside an anonymous namespace in lb::cpu,
// after <immintrin.h> and <cstring>.
//
// Registers: MR rows of 16 columns take 2 MR accumulators, plus 4 decoded vectors and A's pair: MR <= 4
// fits AVX2's 16 ymm, so the tile runs column block by column block, four rows at a time.
#pragma once

template <class Decoder, int MR>
void direct_rows_avx2(const Decoder &dec, const uint16_t *a, int64_t lda, const uint8_t *b, int64_t kpairs, float *acc, int64_t ldc,
                      bool accumulate) {
  __m256 c[MR][2];
  for (int i = 0; i < MR; ++i)
    for (int h = 0; h < 2; ++h) c[i][h] = accumulate ? _mm256_loadu_ps(acc + i * ldc + 8 * h) : _mm256_setzero_ps();
  const __m256i high = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
#pragma GCC unroll 1
  for (int64_t p = 0; p < kpairs; ++p) {
    __m256 even[2], odd[2];
    dec.load(b + p * Decoder::kPairBytes, even, odd);
    for (int i = 0; i < MR; ++i) {
      int32_t pair;  // A's bf16 pair: element 2p in the low half
      std::memcpy(&pair, a + i * lda + p * 2, 4);
      const __m256i v = _mm256_set1_epi32(pair);
      const __m256 a0 = _mm256_castsi256_ps(_mm256_slli_epi32(v, 16)), a1 = _mm256_castsi256_ps(_mm256_and_si256(v, high));
      for (int h = 0; h < 2; ++h) c[i][h] = _mm256_fmadd_ps(a0, even[h], _mm256_fmadd_ps(a1, odd[h], c[i][h]));
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int h = 0; h < 2; ++h) _mm256_storeu_ps(acc + i * ldc + 8 * h, c[i][h]);
}

// Bf16DirectTile (and, over a bf16 panel, Bf16Tile) for Decoder: column block by column block (bstride
// bytes apart), four rows at a time.
template <class Decoder>
void direct_tile_avx2(const uint16_t *a, int64_t lda, const uint8_t *b, int64_t bstride, int64_t kpairs, int mr, int nb, float *acc,
                      int64_t ldc, bool accumulate) {
  const Decoder dec;
  for (int jb = 0; jb < nb; ++jb) {
    const uint8_t *bj = b + jb * bstride;
    float *out = acc + jb * 16;
    int i = 0;
    for (; i + 4 <= mr; i += 4) direct_rows_avx2<Decoder, 4>(dec, a + i * lda, lda, bj, kpairs, out + i * ldc, ldc, accumulate);
    switch (mr - i) {
      case 3: direct_rows_avx2<Decoder, 3>(dec, a + i * lda, lda, bj, kpairs, out + i * ldc, ldc, accumulate); break;
      case 2: direct_rows_avx2<Decoder, 2>(dec, a + i * lda, lda, bj, kpairs, out + i * ldc, ldc, accumulate); break;
      case 1: direct_rows_avx2<Decoder, 1>(dec, a + i * lda, lda, bj, kpairs, out + i * ldc, ldc, accumulate); break;
      default: break;
    }
  }
}
