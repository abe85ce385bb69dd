// FP8 -> bf16 for the FP8 GEMM's operands with AVX-512: a code's 7 magnitude bits index a 128-entry
// table of bf16 values (two VPERMI2W over 64 entries each, a blend on bit 6), the sign bit moves to
// bit 15. Every E4M3 and E5M2 value is exact in bf16, so the table holds the exact values (built
// from common/fp8.h); NaN codes give a quiet NaN.
#include <immintrin.h>

#include <cstring>

#include "../../common/fp8.h"
#include "bf16_tile.h"
#include "tile_shapes.h"
#include "fp8.h"

namespace lb::cpu {
namespace {

struct Table {
  alignas(64) uint16_t v[128];
  explicit Table(bool e4m3) {
    for (int c = 0; c < 128; ++c) {
      const float f = e4m3 ? e4m3_to_f32(static_cast<uint8_t>(c)) : e5m2_to_f32(static_cast<uint8_t>(c));
      uint32_t bits;
      std::memcpy(&bits, &f, 4);
      v[c] = f != f ? uint16_t{0x7fc0} : static_cast<uint16_t>(bits >> 16);  // exact: the low 16 bits are zero
    }
  }
};

// 32 fp8 codes -> 32 bf16.
template <bool E4M3>
struct Fp8Decoder {
  static constexpr int64_t kPairBytes = 32;
  __m512i t0, t1, t2, t3;
  Fp8Decoder() {
    static const Table table(E4M3);
    t0 = _mm512_load_si512(table.v);
    t1 = _mm512_load_si512(table.v + 32);
    t2 = _mm512_load_si512(table.v + 64);
    t3 = _mm512_load_si512(table.v + 96);
  }
  __m512i widen(__m256i codes) const {
    const __m512i c = _mm512_cvtepu8_epi16(codes);
    const __m512i lo = _mm512_permutex2var_epi16(t0, c, t1), hi = _mm512_permutex2var_epi16(t2, c, t3);
    const __m512i v = _mm512_mask_blend_epi16(_mm512_test_epi16_mask(c, _mm512_set1_epi16(0x40)), lo, hi);
    return _mm512_or_si512(v, _mm512_and_si512(_mm512_slli_epi16(c, 8), _mm512_set1_epi16(static_cast<short>(0x8000))));
  }
  __m512i load(const uint8_t *p) const { return widen(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(p))); }
};

template <bool E4M3>
void to_bf16(const void *src, void *dst, int64_t count) {
  const Fp8Decoder<E4M3> dec;
  const auto *in = static_cast<const uint8_t *>(src);
  auto *out = static_cast<uint16_t *>(dst);
  for (int64_t i = 0; i < count; i += 32) {
    const int64_t left = count - i;
    const __mmask32 m = left >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << left) - 1u);
    _mm512_mask_storeu_epi16(out + i, m, dec.widen(_mm256_maskz_loadu_epi8(m, in + i)));
  }
}

#include "bf16_direct_avx512.h"

}  // namespace

ConvertFn fp8_to_bf16_avx512(lb_dtype dtype) { return dtype == LB_DTYPE_FP8_E4M3 ? to_bf16<true> : to_bf16<false>; }

Bf16DirectTile fp8_direct_tile_avx512(lb_dtype dtype) {
  return dtype == LB_DTYPE_FP8_E4M3 ? direct_tile<Fp8Decoder<true>> : direct_tile<Fp8Decoder<false>>;
}

}  // namespace lb::cpu
