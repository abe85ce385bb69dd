// Checks lowbit's fp8 conversions (native/src/common/fp8.h, used by the CPU and CUDA kernels)
// against an independent oracle: the host-side conversion functions of CUDA's own cuda_fp8.h.
// Encoding: exhaustively every float of either sign with a biased exponent in [100, 145]
// (2^-27 to 2^19: from below half the smallest subnormal of both formats to past both
// overflow thresholds, i.e. every float whose rounding is not trivial), plus every float whose
// top 16 bits take all 65536 values with the low 16 bits at 0, 1, 0x7fff, 0x8000, 0x8001 and
// 0xffff (NaN, Inf and the trivial ranges); both formats, saturating and not.
// Decoding: all 256 codes of both formats.
// Runs on any machine (no GPU needed). Exit code 0 = all equal.
#include <cuda_fp8.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "../src/common/fp8.h"

namespace {

int failures = 0;

void check_encode(float x) {
  for (int sat = 0; sat < 2; ++sat) {
    const __nv_saturation_t mode = sat ? __NV_SATFINITE : __NV_NOSAT;
    const unsigned e4 = __nv_cvt_float_to_fp8(x, mode, __NV_E4M3), e5 = __nv_cvt_float_to_fp8(x, mode, __NV_E5M2);
    const unsigned m4 = lb::f32_to_e4m3(x, sat), m5 = lb::f32_to_e5m2(x, sat);
    if (e4 != m4 || e5 != m5) {
      if (++failures <= 20)
        std::printf("encode 0x%08x (%g) sat=%d: cuda e4m3 0x%02x e5m2 0x%02x, lowbit 0x%02x 0x%02x\n", lb::float_bits(x), x,
                    sat, e4, e5, m4, m5);
    }
  }
}

float half_raw_to_float(__half_raw h) { return lb::f16_bits_to_f32(h.x); }

void check_decode() {
  for (int c = 0; c < 256; ++c) {
    const float cuda4 = half_raw_to_float(__nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(c), __NV_E4M3));
    const float cuda5 = half_raw_to_float(__nv_cvt_fp8_to_halfraw(static_cast<__nv_fp8_storage_t>(c), __NV_E5M2));
    const float mine4 = lb::e4m3_to_f32(static_cast<uint8_t>(c)), mine5 = lb::e5m2_to_f32(static_cast<uint8_t>(c));
    // NaN: both must be NaN (cuda_fp8.h returns a canonical NaN without sign; lowbit keeps the sign).
    const bool ok4 = std::isnan(cuda4) ? std::isnan(mine4) : lb::float_bits(cuda4) == lb::float_bits(mine4);
    const bool ok5 = std::isnan(cuda5) ? std::isnan(mine5) : lb::float_bits(cuda5) == lb::float_bits(mine5);
    if (!ok4 || !ok5) {
      ++failures;
      std::printf("decode 0x%02x: cuda %g %g, lowbit %g %g\n", c, cuda4, cuda5, mine4, mine5);
    }
  }
}

}  // namespace

int main() {
  check_decode();
  const uint32_t lows[] = {0x0000u, 0x0001u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu};
  long checked = 0;
  for (uint32_t hi = 0; hi < 0x10000u; ++hi) {
    for (uint32_t lo : lows) {
      check_encode(lb::bits_float((hi << 16) | lo));
      ++checked;
    }
  }
  for (uint32_t sign = 0; sign < 2; ++sign) {
    for (uint32_t e = 100; e <= 145; ++e) {
      for (uint32_t m = 0; m < (1u << 23); ++m, ++checked) check_encode(lb::bits_float((sign << 31) | (e << 23) | m));
    }
  }
  std::printf("fp8 oracle: %ld floats x 2 formats x 2 modes encoded, 2 x 256 codes decoded, %d mismatches\n", checked,
              failures);
  return failures == 0 ? 0 : 1;
}
