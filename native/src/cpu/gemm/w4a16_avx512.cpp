// W4A16 kernel for the AVX-512 variant (see w4a16_kernels.inc): 16 lanes in one zmm; 16 bytes of
// codes (16 columns x 2 k) widen to two vectors of f32 with one zero-extension, an and and a shift.
#include <immintrin.h>

#include <cstring>

#include "w4a16.h"

namespace lb::cpu {
namespace {

struct V {
  using T = __m512;
  static T zero() { return _mm512_setzero_ps(); }
  static T load(const float *p) { return _mm512_loadu_ps(p); }
  static void store(float *p, T v) { _mm512_storeu_ps(p, v); }
  static T set1(float s) { return _mm512_set1_ps(s); }
  static T sub(T a, T b) { return _mm512_sub_ps(a, b); }
  static T fma(T a, T b, T c) { return _mm512_fmadd_ps(a, b, c); }
  static void codes(const uint8_t *p, T *lo, T *hi) {
    const __m512i w = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
    *lo = _mm512_cvtepi32_ps(_mm512_and_si512(w, _mm512_set1_epi32(0xf)));
    *hi = _mm512_cvtepi32_ps(_mm512_srli_epi32(w, 4));
  }
};
using T = V::T;

#include "w4a16_kernels.inc"

}  // namespace

W4A16Kernel w4a16_kernel_avx512() { return kernel; }

}  // namespace lb::cpu

namespace lb::cpu {
namespace {

// One VPDPBUSD operand from two 16-byte code rows (k pairs p and p + 1 of 16 columns): each 32-bit
// lane gets the column's four codes as bytes (u0, u2, u1, u3).
inline __m512i quad_codes(const uint8_t *p) {
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
  const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16));
  const __m256i ac = _mm256_set_m128i(_mm_unpackhi_epi8(a, c), _mm_unpacklo_epi8(a, c));  // 16-bit lanes a | c << 8
  const __m512i lane = _mm512_cvtepu16_epi32(ac);
  const __m512i lo = _mm512_and_si512(lane, _mm512_set1_epi32(0x0f0f));                           // u0, u2
  const __m512i hi = _mm512_and_si512(_mm512_srli_epi32(lane, 4), _mm512_set1_epi32(0x0f0f));     // u1, u3
  return _mm512_or_si512(lo, _mm512_slli_epi32(hi, 16));
}

template <int MR>
void q8_rows(const W4A16Block &b, const W4A16Q8Row *x, float *out) {
  const int64_t blocks = b.k / 32, per_group = b.group / 32;
  __m512 y[MR];
  for (int i = 0; i < MR; ++i) y[i] = _mm512_setzero_ps();
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t g = blk / per_group;
    const uint8_t *codes = b.codes + blk * 16 * 16;  // 16 pairs of k, 16 bytes each
    __m512i d[MR];
    for (int i = 0; i < MR; ++i) d[i] = _mm512_setzero_si512();
    for (int q = 0; q < 8; ++q) {
      const __m512i w = quad_codes(codes + q * 32);  // shared by the rows
      for (int i = 0; i < MR; ++i) {
        int32_t quad;
        std::memcpy(&quad, x[i].x8 + blk * 32 + 4 * q, 4);
        d[i] = _mm512_dpbusd_epi32(d[i], w, _mm512_set1_epi32(quad));
      }
    }
    const __m512 z = _mm512_loadu_ps(b.zeros + g * 16), s = _mm512_loadu_ps(b.scales + g * 16);
    for (int i = 0; i < MR; ++i) {
      const __m512 v = _mm512_fnmadd_ps(z, _mm512_set1_ps(static_cast<float>(x[i].sums[blk])), _mm512_cvtepi32_ps(d[i]));
      y[i] = _mm512_fmadd_ps(_mm512_mul_ps(s, _mm512_set1_ps(x[i].sx[blk])), v, y[i]);
    }
  }
  for (int i = 0; i < MR; ++i) _mm512_storeu_ps(out + i * 16, y[i]);
}

void q8_kernel(const W4A16Block &b, const W4A16Q8Row *x, int mr, float *out) {
  switch (mr) {
    case 1: return q8_rows<1>(b, x, out);
    case 2: return q8_rows<2>(b, x, out);
    case 3: return q8_rows<3>(b, x, out);
    default: return q8_rows<4>(b, x, out);
  }
}

}  // namespace

W4A16Q8Kernel w4a16_q8_kernel_avx512() { return q8_kernel; }

}  // namespace lb::cpu
