// W4A8's direct tile for AVX2 (bf16_direct_avx2.h): one k pair of 16 packed columns is 16 bytes, byte j
// column j's U4 codes (even element in the low nibble); they widen to 32-bit lanes and convert to f32.
// Without it AVX2 CPUs decoded a bf16 panel of the weights every call at decode sizes (W4A8 at m = 1
// ran 18x slower than on AVX-512, 4096^2, 2026-11-27).
#include <immintrin.h>

#include <cstring>

#include "bf16_tile.h"
#include "w4a8.h"

namespace lb::cpu {
namespace {

struct U4Decoder {
  static constexpr int64_t kPairBytes = 16;
  void load(const uint8_t *p, __m256 (&even)[2], __m256 (&odd)[2]) const {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    const __m256i nibble = _mm256_set1_epi32(0xf);
    for (int h = 0; h < 2; ++h) {
      const __m256i b = _mm256_cvtepu8_epi32(h == 0 ? x : _mm_srli_si128(x, 8));
      even[h] = _mm256_cvtepi32_ps(_mm256_and_si256(b, nibble));
      odd[h] = _mm256_cvtepi32_ps(_mm256_srli_epi32(b, 4));
    }
  }
};

#include "bf16_direct_avx2.h"

}  // namespace

Bf16DirectTile u4_direct_tile_avx2() { return direct_tile_avx2<U4Decoder>; }

}  // namespace lb::cpu
