// Hadamard row kernel for the AVX-512 variant (see kernels.inc): 16 lanes.
#include <immintrin.h>

#include <cstring>

#include "../../common/float_io.h"
#include "../../core/cpu_features.h"
#include "hadamard.h"

namespace lb::cpu {
namespace {

struct V {
  using T = __m512;
  static constexpr int L = 16;
  static T load(const float *p) { return _mm512_loadu_ps(p); }
  static void store(float *p, T v) { _mm512_storeu_ps(p, v); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  // Not on the FMA pipes: a * 1 - b (FMSUB) gives the same bits, NaNs included, and spreads the
  // butterflies and m-part terms over all four FP pipes of Zen 4 — +4-13% on one thread with the
  // rows in cache, nothing measurable on the two threads a call runs on (2026-11-27). (FNMADD, -(b * 1) + a,
  // also flips the sign of a NaN b: NaN bits must match the scalar variant's, HadamardTest.)
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T set1(float s) { return _mm512_set1_ps(s); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T min(T a, T b) { return _mm512_min_ps(a, b); }
  static T max(T a, T b) { return _mm512_max_ps(a, b); }
  // Non-temporal copy of `bytes` (a multiple of 64; dst 64-byte aligned) from the staging row.
  static void stream_lines(char *dst, const char *src, int64_t bytes) {
    for (int64_t b = 0; b < bytes; b += 64)
      _mm512_stream_si512(reinterpret_cast<__m512i *>(dst + b), _mm512_loadu_si512(src + b));
  }
  // The 16 sign bits of elements i .. i + 15 are one little-endian 16-bit word of the sign words:
  // one load and a masked xor (extracting them with shifts cost five more instructions per vector).
  static T flip(T x, const uint64_t *signs, int64_t i) {
    uint16_t bits;
    std::memcpy(&bits, reinterpret_cast<const char *>(signs) + (i >> 3), sizeof bits);
    return _mm512_mask_xor_ps(x, static_cast<__mmask16>(bits), x, _mm512_set1_ps(-0.0f));
  }
  // In-register stage j (stride 2^j, see avx2.cpp): strides 1 and 2 within 128-bit lanes, 4 and 8
  // across them.
  static constexpr int kLaneStages = 4;
  static T lane_stage(T x, int j) {
    switch (j) {
      case 0: return _mm512_fmadd_ps(x, _mm512_set_ps(-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1), _mm512_permute_ps(x, 0xB1));
      case 1: return _mm512_fmadd_ps(x, _mm512_set_ps(-1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1), _mm512_permute_ps(x, 0x4E));
      case 2: return _mm512_fmadd_ps(x, _mm512_set_ps(-1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1), _mm512_shuffle_f32x4(x, x, 0xB1));
      default: return _mm512_fmadd_ps(x, _mm512_set_ps(-1, -1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1), _mm512_shuffle_f32x4(x, x, 0x4E));
    }
  }
};

#include "../simd/half_avx512.h"

// Codecs in kernels.inc's shape: full vectors, no mask. Loads skip the codecs' NaN quieting: every
// input reaches y only through an add or fma, which quiets a signalling NaN keeping its payload
// (and returns the first operand's NaN either way), so y's bits are the same without it.
template <class C>
struct Io {
  static constexpr int kBytes = C::kSize;
  static constexpr bool kFastNarrow = false;  // see IoBF16
  static __m512 load(const void *p, int64_t i) { return C::load_raw(p, i); }
  static void store(void *p, int64_t i, __m512 v) { C::store(p, i, v, 0xffff); }
  static void stream(void *p, int64_t i, __m512 v) { C::stream(p, i, v); }
};
using IoF32 = Io<F32>;
using IoF16 = Io<F16>;
// bf16: exact integer narrowing (IoBF16), or — where the CPU has AVX512_BF16 (avx512_bf16()) —
// VCVTNEPS2BF16 alone, the pass's vectors tested all at once (IoBF16Fast; kernels.inc, ToY).
using IoBF16 = Io<BF16>;
struct IoBF16Fast : Io<BF16> {
  static constexpr bool kFastNarrow = true;
  static __mmask16 needs_exact(__m512 v) { return BF16::needs_exact(v); }
  static void store_fast(void *p, int64_t i, __m512 v) { BF16::store_fast(p, i, v); }
  static void stream_fast(void *p, int64_t i, __m512 v) { BF16::stream_fast(p, i, v); }
  static void fence() { _mm_sfence(); }
};

#include "kernels.inc"

}  // namespace

HadamardRowFn hadamard_row_kernel_avx512(lb_dtype x, lb_dtype y) {
  return avx512_bf16() ? row_kernel<IoBF16Fast>(x, y) : row_kernel(x, y);
}

}  // namespace lb::cpu
