// Hadamard row kernel for the AVX2 variant (see kernels.inc): 8 lanes.
#include <immintrin.h>

#include "../../common/float_io.h"
#include "hadamard.h"

namespace lb::cpu {
namespace {

struct V {
  using T = __m256;
  static constexpr int L = 8;
  static T load(const float *p) { return _mm256_loadu_ps(p); }
  static void store(float *p, T v) { _mm256_storeu_ps(p, v); }
  static T add(T a, T b) { return _mm256_add_ps(a, b); }
  static T sub(T a, T b) { return _mm256_sub_ps(a, b); }
  static T set1(float s) { return _mm256_set1_ps(s); }
  static T mul(T a, T b) { return _mm256_mul_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm256_fmadd_ps(a, b, c); }
  static T min(T a, T b) { return _mm256_min_ps(a, b); }
  static T max(T a, T b) { return _mm256_max_ps(a, b); }
  // Non-temporal copy of `bytes` (a multiple of 64; dst 64-byte aligned) from the staging row.
  static void stream_lines(char *dst, const char *src, int64_t bytes) {
    for (int64_t b = 0; b < bytes; b += 32)
      _mm256_stream_si256(reinterpret_cast<__m256i *>(dst + b), _mm256_loadu_si256(reinterpret_cast<const __m256i *>(src + b)));
  }
  // The 8 sign bits of elements i .. i + 7 are one byte of the (little-endian) sign words.
  static T flip(T x, const uint64_t *signs, int64_t i) {
    const int bits = reinterpret_cast<const unsigned char *>(signs)[i >> 3];
    const __m256i lane_bit = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256i set = _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(bits), lane_bit), lane_bit);
    return _mm256_xor_ps(x, _mm256_and_ps(_mm256_castsi256_ps(set), _mm256_set1_ps(-0.0f)));
  }
  // In-register stage j, stride s = 2^j: y = x * (+1 low / -1 high half of each 2s group) + swap_s(x),
  // i.e. low lanes x_i + x_{i+s}, high lanes x_i - x_{i+s}, each one rounding.
  static constexpr int kLaneStages = 3;
  static T lane_stage(T x, int j) {
    switch (j) {
      case 0: return _mm256_fmadd_ps(x, _mm256_setr_ps(1, -1, 1, -1, 1, -1, 1, -1), _mm256_permute_ps(x, 0xB1));
      case 1: return _mm256_fmadd_ps(x, _mm256_setr_ps(1, 1, -1, -1, 1, 1, -1, -1), _mm256_permute_ps(x, 0x4E));
      default: return _mm256_fmadd_ps(x, _mm256_setr_ps(1, 1, 1, 1, -1, -1, -1, -1), _mm256_permute2f128_ps(x, x, 0x01));
    }
  }
};

#include "../simd/half_avx2.h"

// Codecs in kernels.inc's shape: element index i instead of a byte pointer. Loads skip the NaN
// quieting (see avx512.cpp).
template <class C>
struct Io {
  static constexpr int kBytes = C::kSize;
  static constexpr bool kFastNarrow = false;  // narrowing always exact (kernels.inc, ToY)
  static __m256 load(const void *p, int64_t i) { return C::load_raw(static_cast<const char *>(p) + i * C::kSize); }
  static void store(void *p, int64_t i, __m256 v) { C::store(static_cast<char *>(p) + i * C::kSize, v); }
  static void stream(void *p, int64_t i, __m256 v) { C::stream(static_cast<char *>(p) + i * C::kSize, v); }
};
using IoF32 = Io<F32>;
using IoF16 = Io<F16>;
using IoBF16 = Io<BF16>;

#include "kernels.inc"

}  // namespace

HadamardRowFn hadamard_row_kernel_avx2(lb_dtype x, lb_dtype y) { return row_kernel(x, y); }

}  // namespace lb::cpu
