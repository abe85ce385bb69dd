// bf16 tile for the AVX2 variant (bf16_direct_avx2.h over a decoded panel): per k pair of a 16-column
// block, two 32-byte loads of the panel (8 columns x 2 bf16 each) split into the even and odd
// elements' f32 by a shift and a mask, then per row two broadcasts of A's pair and four FMAs. The
// compiler-vectorised portable tile (bf16_tile.inc) it replaced ran the FP8 GEMM at m = 256 5x slower
// (2026-11-27).
#include <immintrin.h>

#include <cstring>

#include "bf16_tile.h"

namespace lb::cpu {
namespace {

// The panel already holds bf16 pairs: 32-bit lane j of each half is column j's (even, odd).
struct Bf16Loader {
  static constexpr int64_t kPairBytes = 64;
  void load(const uint8_t *p, __m256 (&even)[2], __m256 (&odd)[2]) const {
    const __m256i high = _mm256_set1_epi32(static_cast<int>(0xffff0000u));
    for (int h = 0; h < 2; ++h) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 32 * h));
      even[h] = _mm256_castsi256_ps(_mm256_slli_epi32(x, 16));
      odd[h] = _mm256_castsi256_ps(_mm256_and_si256(x, high));
    }
  }
};

#include "bf16_direct_avx2.h"

void tile(const uint16_t *a, int64_t lda, const uint16_t *b, int64_t bstride, int64_t kpairs, int mr, int nb, float *acc,
          int64_t ldc, bool accumulate) {
  direct_tile_avx2<Bf16Loader>(a, lda, reinterpret_cast<const uint8_t *>(b), bstride * 2, kpairs, mr, nb, acc, ldc, accumulate);
}

}  // namespace

Bf16Tile bf16_tile_avx2() { return tile; }

}  // namespace lb::cpu
