// FP8 -> bf16 for the FP8 GEMM's operands with AVX-512: a code's 7 magnitude bits index a 128-entry
// table of bf16 values (two VPERMI2W over 64 entries each, a blend on bit 6), the sign bit moves to
// bit 15. Every E4M3 and E5M2 value is exact in bf16, so the table holds the exact values (built
// from common/fp8.h); NaN codes give a quiet NaN.
#include <immintrin.h>

#include <cstring>

#include "../../common/fp8.h"
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

template <bool E4M3>
void to_bf16(const void *src, void *dst, int64_t count) {
  static const Table table(E4M3);
  const __m512i t0 = _mm512_load_si512(table.v), t1 = _mm512_load_si512(table.v + 32);
  const __m512i t2 = _mm512_load_si512(table.v + 64), t3 = _mm512_load_si512(table.v + 96);
  const __m512i bit6 = _mm512_set1_epi16(0x40), sign = _mm512_set1_epi16(static_cast<short>(0x8000));
  const auto *in = static_cast<const uint8_t *>(src);
  auto *out = static_cast<uint16_t *>(dst);
  for (int64_t i = 0; i < count; i += 32) {
    const int64_t left = count - i;
    const __mmask32 m = left >= 32 ? ~__mmask32{0} : static_cast<__mmask32>((1u << left) - 1u);
    const __m512i c = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(m, in + i));
    const __m512i lo = _mm512_permutex2var_epi16(t0, c, t1), hi = _mm512_permutex2var_epi16(t2, c, t3);
    __m512i v = _mm512_mask_blend_epi16(_mm512_test_epi16_mask(c, bit6), lo, hi);
    v = _mm512_or_si512(v, _mm512_and_si512(_mm512_slli_epi16(c, 8), sign));
    _mm512_mask_storeu_epi16(out + i, m, v);
  }
}

}  // namespace

ConvertFn fp8_to_bf16_avx512(lb_dtype dtype) { return dtype == LB_DTYPE_FP8_E4M3 ? to_bf16<true> : to_bf16<false>; }

}  // namespace lb::cpu
