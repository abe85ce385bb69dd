// Hadamard row kernel for the AVX-512 variant (see kernels.inc): 16 lanes.
#include <immintrin.h>

#include "../../common/float_io.h"
#include "hadamard.h"

namespace lb::cpu {
namespace {

struct V {
  using T = __m512;
  static constexpr int L = 16;
  static T load(const float *p) { return _mm512_loadu_ps(p); }
  static void store(float *p, T v) { _mm512_storeu_ps(p, v); }
  static T add(T a, T b) { return _mm512_add_ps(a, b); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T set1(float s) { return _mm512_set1_ps(s); }
  static T mul(T a, T b) { return _mm512_mul_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static T flip(T x, uint32_t bits) {
    return _mm512_mask_xor_ps(x, static_cast<__mmask16>(bits & 0xffff), x, _mm512_set1_ps(-0.0f));
  }
  // Stride s inside the register (see avx2.cpp): strides 1 and 2 within 128-bit lanes, 4 and 8
  // across them.
  static T lanes(T x) {
    const T p1 = _mm512_set_ps(-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1);
    const T p2 = _mm512_set_ps(-1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1, -1, -1, 1, 1);
    const T p4 = _mm512_set_ps(-1, -1, -1, -1, 1, 1, 1, 1, -1, -1, -1, -1, 1, 1, 1, 1);
    const T p8 = _mm512_set_ps(-1, -1, -1, -1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1);
    x = _mm512_fmadd_ps(x, p1, _mm512_permute_ps(x, 0xB1));
    x = _mm512_fmadd_ps(x, p2, _mm512_permute_ps(x, 0x4E));
    x = _mm512_fmadd_ps(x, p4, _mm512_shuffle_f32x4(x, x, 0xB1));
    return _mm512_fmadd_ps(x, p8, _mm512_shuffle_f32x4(x, x, 0x4E));
  }
};

#include "../simd/half_avx512.h"

// Codecs in kernels.inc's shape: full vectors, no mask.
template <class C>
struct Io {
  static __m512 load(const void *p, int64_t i) { return C::load(p, i, 0xffff); }
  static void store(void *p, int64_t i, __m512 v) { C::store(p, i, v, 0xffff); }
  static void stream(void *p, int64_t i, __m512 v) { C::stream(p, i, v); }
};
using IoF32 = Io<F32>;
using IoF16 = Io<F16>;
using IoBF16 = Io<BF16>;

#include "kernels.inc"

}  // namespace

HadamardRowFn hadamard_row_kernel_avx512(lb_dtype x, lb_dtype y) { return row_kernel(x, y); }

}  // namespace lb::cpu
