// The FP8 GEMM's direct tile for AVX2 (bf16_direct_avx2.h): one k pair of 16 packed columns is 32
// codes, 16-bit lane j holding column j's (even, odd). Each code becomes a binary16 in its lane — E5M2
// is binary16's top byte; E4M3's fields, shifted into place, are the binary16 of value * 2^-8
// (subnormals included), rescaled after VCVTPH2PS by an exact multiply — and E4M3's NaN codes (whose
// binary16 would be finite) are set to a NaN. Without it AVX2 CPUs decoded a bf16 panel of the weights
// every call at decode sizes: FP8 at m = 1 ran 8x slower than on AVX-512 (4096^2, 2026-11-27).
#include <immintrin.h>

#include <cstring>

#include "../../common/fp8.h"
#include "bf16_tile.h"
#include "fp8.h"

namespace lb::cpu {
namespace {

#include "../simd/fp8_avx2.h"

template <bool E4M3>
struct Fp8Decoder {
  static constexpr int64_t kPairBytes = 32;
  void load(const uint8_t *p, __m256 (&even)[2], __m256 (&odd)[2]) const {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p));
    fp8_halves_to_f32<E4M3>(fp8_half_of_high_byte<E4M3>(_mm256_slli_epi16(x, 8)), even);
    fp8_halves_to_f32<E4M3>(fp8_half_of_high_byte<E4M3>(_mm256_and_si256(x, _mm256_set1_epi16(static_cast<short>(0xff00)))), odd);
  }
};

#include "bf16_direct_avx2.h"

}  // namespace

Bf16DirectTile fp8_direct_tile_avx2(lb_dtype dtype) {
  return dtype == LB_DTYPE_FP8_E4M3 ? direct_tile_avx2<Fp8Decoder<true>> : direct_tile_avx2<Fp8Decoder<false>>;
}

}  // namespace lb::cpu
