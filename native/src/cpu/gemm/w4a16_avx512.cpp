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

// The int8-activation kernel. A 64-byte load of packed codes is four k-pair rows of 16 columns
// (byte 16 r + j: column j's codes of k = 2r (low nibble) and 2r + 1 (high)). One VPERMB gathers
// each column's four bytes into its 32-bit lane; masking the low nibbles gives the VPDPBUSD operand
// for the even k (x0, x2, x4, x6), masking the high nibbles gives 16 x the one for the odd k, whose
// sums are divided back exactly (they are multiples of 16) once per block. This replaced an
// unpack / widen / shift / or sequence of ~11 instructions per operand that held decode at half
// the memory bandwidth. VPERMB is AVX512_VBMI, hence the target attribute and the runtime check.
#define LB_VBMI __attribute__((target("avx512vbmi")))

// Decode streams the weights once: the hardware prefetcher alone kept ~half the copy bandwidth
// in flight (27 GB/s from memory vs 82 GB/s from L3). Near a column block's end the prefetch
// reaches into the next block's codes (they follow in memory). Distance: 2 KiB streamed ~5% faster
// than 4 KiB (and 1 KiB), 512 B ~5% slower (ad-hoc A/B, 576 MiB of weights, 2 threads).
constexpr int64_t kPrefetchBytes = 2048;

// S column blocks at once (S = 2 for decode): their codes are S independent streams from memory, and
// this VM's read bandwidth per thread grows by half with a second stream (more lines in flight for
// the hardware prefetchers); the activation broadcasts are shared by the S blocks too.
template <int MR, int S>
LB_VBMI void q8_rows(const W4A16Block *b, const W4A16Q8Row *x, float *out) {
  const int64_t blocks = b[0].k / 32, per_group = b[0].group / 32;
  alignas(64) static const int8_t kTranspose[64] = {  // output byte 4 j + r <- input byte 16 r + j
      0, 16, 32, 48, 1, 17, 33, 49, 2, 18, 34, 50, 3, 19, 35, 51, 4, 20, 36, 52, 5, 21, 37, 53, 6, 22, 38, 54, 7, 23, 39, 55,
      8, 24, 40, 56, 9, 25, 41, 57, 10, 26, 42, 58, 11, 27, 43, 59, 12, 28, 44, 60, 13, 29, 45, 61, 14, 30, 46, 62, 15, 31, 47, 63};
  const __m512i transpose = _mm512_load_si512(kTranspose);
  const __m512i low = _mm512_set1_epi8(0x0f), high = _mm512_set1_epi8(static_cast<char>(0xf0));
  __m512 y[S][MR];
  for (int c = 0; c < S; ++c)
    for (int i = 0; i < MR; ++i) y[c][i] = _mm512_setzero_ps();
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t g = blk / per_group;
    __m512i even[S][MR], odd[S][MR];
    for (int c = 0; c < S; ++c)
      for (int i = 0; i < MR; ++i) even[c][i] = odd[c][i] = _mm512_setzero_si512();
    for (int u = 0; u < 4; ++u) {  // k = 32 blk + 8 u + (0..7)
      __m512i lo[S], hi[S];
      for (int c = 0; c < S; ++c) {
        const uint8_t *codes = b[c].codes + blk * 16 * 16 + u * 64;  // 16 k-pair rows of 16 bytes per block
        _mm_prefetch(reinterpret_cast<const char *>(codes + kPrefetchBytes), _MM_HINT_T0);
        const __m512i t = _mm512_permutexvar_epi8(transpose, _mm512_loadu_si512(codes));
        lo[c] = _mm512_and_si512(t, low);
        hi[c] = _mm512_and_si512(t, high);
      }
      for (int i = 0; i < MR; ++i) {
        int32_t e, o;  // the activations in w4a16_q8_position order: evens, then odds
        std::memcpy(&e, x[i].x8 + blk * 32 + 8 * u, 4);
        std::memcpy(&o, x[i].x8 + blk * 32 + 8 * u + 4, 4);
        const __m512i ve = _mm512_set1_epi32(e), vo = _mm512_set1_epi32(o);
        for (int c = 0; c < S; ++c) {
          even[c][i] = _mm512_dpbusd_epi32(even[c][i], lo[c], ve);
          odd[c][i] = _mm512_dpbusd_epi32(odd[c][i], hi[c], vo);
        }
      }
    }
    for (int c = 0; c < S; ++c) {
      const __m512 z = _mm512_loadu_ps(b[c].zeros + g * 16), sc = _mm512_loadu_ps(b[c].scales + g * 16);
      for (int i = 0; i < MR; ++i) {
        const __m512i d = _mm512_add_epi32(even[c][i], _mm512_srai_epi32(odd[c][i], 4));
        const __m512 v = _mm512_fnmadd_ps(z, _mm512_set1_ps(static_cast<float>(x[i].sums[blk])), _mm512_cvtepi32_ps(d));
        y[c][i] = _mm512_fmadd_ps(_mm512_mul_ps(sc, _mm512_set1_ps(x[i].sx[blk])), v, y[c][i]);
      }
    }
  }
  for (int c = 0; c < S; ++c)
    for (int i = 0; i < MR; ++i) _mm512_storeu_ps(out + (c * MR + i) * 16, y[c][i]);
}

LB_VBMI void q8_kernel(const W4A16Block &b, const W4A16Q8Row *x, int mr, float *out) {
  switch (mr) {
    case 1: return q8_rows<1, 1>(&b, x, out);
    case 2: return q8_rows<2, 1>(&b, x, out);
    case 3: return q8_rows<3, 1>(&b, x, out);
    default: return q8_rows<4, 1>(&b, x, out);
  }
}

// One row (decode) of two column blocks: out[0..15] for b[0], out[16..31] for b[1].
LB_VBMI void q8_pair_kernel(const W4A16Block (&b)[2], const W4A16Q8Row &x, float *out) { q8_rows<1, 2>(b, &x, out); }

}  // namespace

W4A16Q8Kernel w4a16_q8_kernel_avx512_vbmi() { return q8_kernel; }
W4A16Q8PairKernel w4a16_q8_pair_kernel_avx512_vbmi() { return q8_pair_kernel; }

}  // namespace lb::cpu
