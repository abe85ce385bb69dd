// Checks the AVX-512 fp8 encoders (native/src/cpu/simd/fp8_avx512.h: the quantizers' and lb_convert's
// hot path) against common/fp8.h, the scalar reference the fp8_oracle test checks against CUDA: every
// float of either sign with a biased exponent in [100, 145] (every float whose rounding is not
// trivial, as fp8_oracle), plus every top-16-bit pattern with the low 16 bits in the runs of 16
// around 0, 0x7fff, 0x8000 and 0xffff (NaN, Inf, the trivial ranges); E4M3 and E5M2, saturating and not, with
// the NaN select and (for non-NaN inputs) without it; the quantizers' fp8_codes64 and (AVX2)
// fp8_codes16_avx2 (saturating, non-NaN inputs); and AVX2's lb_convert encoder fp8_convert16_avx2. Exit code 0 = all equal; 77 (ctest: skipped)
// on a CPU without AVX-512.
#include <cstdint>
#include <cstdio>

#include "../src/common/fp8.h"

// Only the SIMD half is compiled for AVX-512 (the library's ISA files get the same flags from
// cmake/LowbitCpu.cmake): main() and the scalar reference stay baseline x86-64, so that the CPU check
// runs before any AVX-512 instruction.
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,avx512f,avx512bw,avx512dq,avx512vl")
#include <immintrin.h>

namespace {
#include "../src/cpu/simd/fp8_avx2.h"
#include "../src/cpu/simd/fp8_avx512.h"

int failures = 0;

// The 16 floats with bits first .. first + 15 through every encoder variant, against the scalar one.
void check16(uint32_t first) {
  alignas(64) uint32_t bits[16];
  for (uint32_t i = 0; i < 16; ++i) bits[i] = first + i;
  const __m512 x = _mm512_castsi512_ps(_mm512_load_si512(bits));
  for (int sat = 0; sat < 2; ++sat) {
    for (int nan_free = 0; nan_free < 2; ++nan_free) {
      alignas(64) uint32_t e4[16], e5[16];
      _mm512_store_si512(e4, e4m3_encode16(x, sat != 0, nan_free != 0));
      _mm512_store_si512(e5, e5m2_encode16(x, sat != 0, nan_free != 0));
      for (int i = 0; i < 16; ++i) {
        const float v = lb::bits_float(bits[i]);
        if (nan_free && v != v) continue;  // nan_free promises no NaN input
        const unsigned want4 = lb::f32_to_e4m3(v, sat != 0), want5 = lb::f32_to_e5m2(v, sat != 0);
        if (e4[i] != want4 || e5[i] != want5) {
          if (++failures <= 20)
            std::printf("0x%08x (%g) sat=%d nan_free=%d: simd e4m3 0x%02x e5m2 0x%02x, scalar 0x%02x 0x%02x\n", bits[i], v, sat,
                        nan_free, e4[i], e5[i], want4, want5);
        }
      }
    }
  }
}

// The 64 floats bits[0 .. 63] through the quantizers' 16-bit-lane encoder (fp8_codes64: saturating,
// no NaN input, E4M3 of the value times 2^-8), against the scalar one.
void check64(const uint32_t *bits) {
  alignas(64) float v[64];
  for (int i = 0; i < 64; ++i) v[i] = lb::bits_float(bits[i]);
  const auto in = [&](int j, float s) { return _mm512_mul_ps(_mm512_load_ps(v + 16 * j), _mm512_set1_ps(s)); };
  alignas(64) uint8_t e4[64], e5[64];
  _mm512_store_si512(e4, fp8_codes64<true>(in(0, lb::kE4M3HalfScale), in(1, lb::kE4M3HalfScale), in(2, lb::kE4M3HalfScale), in(3, lb::kE4M3HalfScale)));
  _mm512_store_si512(e5, fp8_codes64<false>(in(0, 1.0f), in(1, 1.0f), in(2, 1.0f), in(3, 1.0f)));
  // The AVX2 quantizers' encoder (simd/fp8_avx2.h): 16 codes in 16-bit lanes per call.
  alignas(32) uint16_t a4[64], a5[64];
  const auto in8 = [&](int j, float s) { return _mm256_mul_ps(_mm256_load_ps(v + 8 * j), _mm256_set1_ps(s)); };
  for (int j = 0; j < 4; ++j) {
    _mm256_store_si256(reinterpret_cast<__m256i *>(a4 + 16 * j), fp8_codes16_avx2<true>(in8(2 * j, lb::kE4M3HalfScale), in8(2 * j + 1, lb::kE4M3HalfScale)));
    _mm256_store_si256(reinterpret_cast<__m256i *>(a5 + 16 * j), fp8_codes16_avx2<false>(in8(2 * j, 1.0f), in8(2 * j + 1, 1.0f)));
  }
  // The AVX2 convert encoder (any input, saturating or not), NaN included.
  for (int sat = 0; sat < 2; ++sat) {
    alignas(32) uint16_t c4[64], c5[64];
    for (int j = 0; j < 4; ++j) {
      const __m256 lo = in8(2 * j, 1.0f), hi = in8(2 * j + 1, 1.0f);
      _mm256_store_si256(reinterpret_cast<__m256i *>(c4 + 16 * j), sat ? fp8_convert16_avx2<true, true>(lo, hi) : fp8_convert16_avx2<true, false>(lo, hi));
      _mm256_store_si256(reinterpret_cast<__m256i *>(c5 + 16 * j), sat ? fp8_convert16_avx2<false, true>(lo, hi) : fp8_convert16_avx2<false, false>(lo, hi));
    }
    for (int i = 0; i < 64; ++i) {
      const unsigned want4 = lb::f32_to_e4m3(v[i], sat != 0), want5 = lb::f32_to_e5m2(v[i], sat != 0);
      if ((c4[i] != want4 || c5[i] != want5) && ++failures <= 20)
        std::printf("0x%08x (%g) AVX2 convert sat=%d: e4m3 0x%02x e5m2 0x%02x, scalar 0x%02x 0x%02x\n", bits[i], v[i], sat, c4[i], c5[i], want4, want5);
    }
  }
  for (int i = 0; i < 64; ++i) {
    if (v[i] != v[i]) continue;
    const unsigned want4 = lb::f32_to_e4m3(v[i], true), want5 = lb::f32_to_e5m2(v[i], true);
    if (e4[i] != want4 || e5[i] != want5 || a4[i] != want4 || a5[i] != want5) {
      if (++failures <= 20)
        std::printf("0x%08x (%g) codes64: e4m3 0x%02x e5m2 0x%02x, AVX2 0x%02x 0x%02x, scalar 0x%02x 0x%02x\n", bits[i], v[i], e4[i], e5[i],
                    a4[i], a5[i], want4, want5);
    }
  }
}

}  // namespace
#pragma GCC pop_options

int main() {
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw")) {
    std::printf("fp8 simd: no AVX-512 on this CPU, skipped\n");
    return 77;
  }
  long checked = 0;
  // The runs of 16 that hold fp8_oracle's low halves 0, 1, 0x7fff, 0x8000, 0x8001 and 0xffff.
  const uint32_t lows[] = {0x0000u, 0x7ff0u, 0x8000u, 0xfff0u};
  uint32_t run[64];
  for (uint32_t hi = 0; hi < 0x10000u; ++hi) {
    for (int r = 0; r < 4; ++r) {
      check16((hi << 16) | lows[r]);
      for (uint32_t i = 0; i < 16; ++i) run[16 * r + i] = (hi << 16) | (lows[r] + i);
    }
    check64(run);
    checked += 64;
  }
  for (uint32_t sign = 0; sign < 2; ++sign) {
    for (uint32_t e = 100; e <= 145; ++e) {
      for (uint32_t m = 0; m < (1u << 23); m += 64, checked += 64) {
        for (uint32_t i = 0; i < 64; ++i) run[i] = (sign << 31) | (e << 23) | (m + i);
        for (int r = 0; r < 4; ++r) check16(run[16 * r]);
        check64(run);
      }
    }
  }
  std::printf("fp8 simd: %ld floats x 2 formats through the encoders (2 modes x 2 NaN paths, the quantizers' AVX-512 and AVX2 ones, AVX2's convert), %d mismatches\n",
              checked, failures);
  return failures == 0 ? 0 : 1;
}
