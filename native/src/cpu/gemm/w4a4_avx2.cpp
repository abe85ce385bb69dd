// I4 nibbles -> int8 with AVX2, as w4a4_avx512.cpp: 16 bytes widen to 16 words, each holding its low
// nibble in the low byte and its high nibble in the high byte (the element order); (v ^ 8) - 8
// sign-extends. Without it AVX2 CPUs widened the weights nibble by nibble: W4A4 decode (m = 1,
// 4096^2) ran 15x slower than on AVX-512 (2026-11-27).
#include <immintrin.h>

#include "w4a4.h"

namespace lb::cpu {

void i4_to_i8_avx2(const uint8_t *src, int8_t *dst, int64_t quads) {
  const __m256i lo = _mm256_set1_epi16(0x000f), hi = _mm256_set1_epi16(0x0f00), eight = _mm256_set1_epi8(8);
  for (int64_t h = 0; h < 2 * quads; ++h) {
    const __m256i w = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(src + h * 16)));
    const __m256i v = _mm256_or_si256(_mm256_and_si256(w, lo), _mm256_and_si256(_mm256_slli_epi16(w, 4), hi));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(dst + h * 32), _mm256_sub_epi8(_mm256_xor_si256(v, eight), eight));
  }
}

}  // namespace lb::cpu
