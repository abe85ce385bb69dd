// The FP8 GEMM's direct tile for AVX2 (bf16_direct_avx2.h): one k pair of 16 packed columns is 32
// codes, 16-bit lane j holding column j's (even, odd). Each code becomes a binary16 in its lane — E5M2
// is binary16's top byte; E4M3's fields, shifted into place, are the binary16 of value * 2^-8
// (subnormals included), rescaled after VCVTPH2PS by an exact multiply — and E4M3's NaN codes (whose
// binary16 would be finite) are set to a NaN. Without it AVX2 CPUs decoded a bf16 panel of the weights
// every call at decode sizes: FP8 at m = 1 ran 8x slower than on AVX-512 (4096^2, 2026-11-27).
#include <immintrin.h>

#include <cstring>

#include "bf16_tile.h"
#include "fp8.h"

namespace lb::cpu {
namespace {

template <bool E4M3>
struct Fp8Decoder {
  static constexpr int64_t kPairBytes = 32;
  // The two halves' binary16 (columns 0-7, 8-15 of one element) to f32.
  static void widen(__m256i h, __m256 (&out)[2]) {
    out[0] = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
    out[1] = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
    if constexpr (E4M3) {
      out[0] = _mm256_mul_ps(out[0], _mm256_set1_ps(256.0f));
      out[1] = _mm256_mul_ps(out[1], _mm256_set1_ps(256.0f));
    }
  }
  // A code in the high byte of each 16-bit lane (the rest zero) -> its binary16 (E4M3: of value * 2^-8).
  static __m256i half_of(__m256i hi_byte) {
    if constexpr (!E4M3) return hi_byte;
    // Sign stays in bit 15, the magnitude moves to bits 7-13: an arithmetic shift by one copies the
    // sign into bit 14 too, which the mask clears.
    const __m256i h = _mm256_and_si256(_mm256_srai_epi16(hi_byte, 1), _mm256_set1_epi16(static_cast<short>(0xbf80)));
    const __m256i nan = _mm256_cmpeq_epi16(_mm256_and_si256(h, _mm256_set1_epi16(0x7fff)), _mm256_set1_epi16(0x3f80));
    return _mm256_or_si256(h, _mm256_and_si256(nan, _mm256_set1_epi16(0x7e00)));
  }
  void load(const uint8_t *p, __m256 (&even)[2], __m256 (&odd)[2]) const {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    widen(half_of(_mm256_slli_epi16(x, 8)), even);
    widen(half_of(_mm256_and_si256(x, _mm256_set1_epi16(static_cast<short>(0xff00)))), odd);
  }
};

#include "bf16_direct_avx2.h"

}  // namespace

Bf16DirectTile fp8_direct_tile_avx2(lb_dtype dtype) {
  return dtype == LB_DTYPE_FP8_E4M3 ? direct_tile_avx2<Fp8Decoder<true>> : direct_tile_avx2<Fp8Decoder<false>>;
}

}  // namespace lb::cpu
