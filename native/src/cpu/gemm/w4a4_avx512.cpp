// I4 nibbles -> int8 with AVX-512: 32 bytes widen to 32 words, each holding its low nibble in the
// low byte and its high nibble in the high byte (the element order); (v ^ 8) - 8 sign-extends.
#include <immintrin.h>

#include "w4a4.h"

namespace lb::cpu {

void i4_to_i8_avx512(const uint8_t *src, int8_t *dst, int64_t quads) {
  const __m512i lo = _mm512_set1_epi16(0x000f), hi = _mm512_set1_epi16(0x0f00), eight = _mm512_set1_epi8(8);
  for (int64_t q = 0; q < quads; ++q) {
    const __m512i w = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(src + q * 32)));
    const __m512i v = _mm512_or_si512(_mm512_and_si512(w, lo), _mm512_and_si512(_mm512_slli_epi16(w, 4), hi));
    _mm512_storeu_si512(dst + q * 64, _mm512_sub_epi8(_mm512_xor_si512(v, eight), eight));
  }
}

}  // namespace lb::cpu
