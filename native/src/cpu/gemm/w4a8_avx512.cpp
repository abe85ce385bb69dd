// U4 codes -> bf16 with AVX-512: 16 bytes widen to 16 dwords, each holding its low nibble in the
// low word and its high nibble in the high word (the element order), then one VPERMW through a
// 16-entry table of the bf16 values 0..15.
#include <immintrin.h>

#include <cstring>

#include "bf16_tile.h"
#include "tile_shapes.h"
#include "w4a8.h"

namespace lb::cpu {

namespace {

// 32 U4 codes (16 bytes) -> 32 bf16.
struct U4Decoder {
  static constexpr int64_t kPairBytes = 16;
  __m512i table;
  U4Decoder() {
    alignas(64) static const uint16_t kTable[32] = {0x0000, 0x3f80, 0x4000, 0x4040, 0x4080, 0x40a0, 0x40c0, 0x40e0,
                                                    0x4100, 0x4110, 0x4120, 0x4130, 0x4140, 0x4150, 0x4160, 0x4170};
    table = _mm512_load_si512(kTable);
  }
  __m512i load(const uint8_t *p) const {
    const __m512i nibble = _mm512_set1_epi32(0xf);
    const __m512i b = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
    const __m512i idx = _mm512_or_si512(_mm512_and_si512(b, nibble), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(b, 4), nibble), 16));
    return _mm512_permutexvar_epi16(idx, table);
  }
};

#include "bf16_direct_avx512.h"

}  // namespace

void u4_to_bf16_avx512(const void *src, void *dst, int64_t count) {
  const U4Decoder dec;
  const auto *in = static_cast<const uint8_t *>(src);
  auto *out = static_cast<uint16_t *>(dst);
  int64_t i = 0;
  for (; i + 32 <= count; i += 32) _mm512_storeu_si512(out + i, dec.load(in + i / 2));
  if (i < count) u4_to_bf16_scalar(in + i / 2, out + i, count - i);
}

Bf16DirectTile u4_direct_tile_avx512() { return direct_tile<U4Decoder>; }

}  // namespace lb::cpu
