// W4A16 kernel for the AVX2 variant (see w4a16_kernels.inc): 16 lanes as two ymm.
#include <immintrin.h>

#include <cstring>

#include "w4a16.h"

namespace lb::cpu {
namespace {

struct V2 {
  __m256 a, b;
};

struct V {
  using T = V2;
  static T zero() { return {_mm256_setzero_ps(), _mm256_setzero_ps()}; }
  static T load(const float *p) { return {_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)}; }
  static void store(float *p, const T &v) {
    _mm256_storeu_ps(p, v.a);
    _mm256_storeu_ps(p + 8, v.b);
  }
  static T set1(float s) { return {_mm256_set1_ps(s), _mm256_set1_ps(s)}; }
  static T sub(const T &x, const T &y) { return {_mm256_sub_ps(x.a, y.a), _mm256_sub_ps(x.b, y.b)}; }
  static T fma(const T &x, const T &y, const T &z) { return {_mm256_fmadd_ps(x.a, y.a, z.a), _mm256_fmadd_ps(x.b, y.b, z.b)}; }
  static void codes(const uint8_t *p, T *lo, T *hi) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    const __m256i w0 = _mm256_cvtepu8_epi32(bytes), w1 = _mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8));
    const __m256i nib = _mm256_set1_epi32(0xf);
    *lo = {_mm256_cvtepi32_ps(_mm256_and_si256(w0, nib)), _mm256_cvtepi32_ps(_mm256_and_si256(w1, nib))};
    *hi = {_mm256_cvtepi32_ps(_mm256_srli_epi32(w0, 4)), _mm256_cvtepi32_ps(_mm256_srli_epi32(w1, 4))};
  }
};
using T = V::T;

#include "w4a16_kernels.inc"

}  // namespace

W4A16Kernel w4a16_kernel_avx2() { return kernel; }

}  // namespace lb::cpu

namespace lb::cpu {
namespace {

// The int8-activation kernel on AVX2 (CPUs without AVX-512 VBMI: Zen 2/3, Haswell .. Cascade Lake),
// llama.cpp's Q4 x Q8 idea in this packed layout: VPMADDUBSW multiplies unsigned codes by signed
// activations and adds adjacent pairs into 16-bit lanes, so each 16-bit lane must hold two codes of
// one column. A 64-byte chunk is four k-pair rows r0..r3 of 16 columns (byte 16 r + j: column j's codes
// of k = 2r (low nibble) and 2r + 1 (high)); loading [r0 | r2] and [r1 | r3] as 128-bit halves and
// interleaving their bytes puts (r0[j], r1[j]) in word j of the low half and (r2[j], r3[j]) in the
// high half — columns 0..7 in one vector, 8..15 in another. Masking the low nibbles gives the codes
// of k = (0, 2) and (4, 6), shifting the high ones k = (1, 3) and (5, 7); the activations are the
// matching pairs, per half (w4a16_q8_position stores x0 x2 x4 x6, then x1 x3 x5 x7: one broadcast and
// one in-lane shuffle each). A block of 32 k adds 8 pair sums into each 16-bit lane: |sum| <= 8 * 2 *
// 15 * 127 = 30480, exact in int16; the two halves (the same columns, other k) widen to int32 and
// add once per block. The f32 steps are the scalar kernel's, so every ISA gives the same bits.

// Decode streams the weights once: prefetched this far ahead (the AVX-512 kernel's distance).
constexpr int64_t kQ8PrefetchBytes = 2048;

// MR rows of S column blocks (S = 2 for decode: two weight streams per thread, as the AVX-512 kernel).
template <int MR, int S>
void q8_rows(const W4A16Block *b, const W4A16Q8Row *x, float *out) {
  const int64_t blocks = b[0].k / 32, per_group = b[0].group / 32;
  const __m256i nibble = _mm256_set1_epi8(0x0f);
  // Activation bytes (a0 a1 a2 a3) broadcast -> (a0 a1) repeated in the low half, (a2 a3) in the high.
  const __m256i pairs = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
  __m256 y[S][MR][2];
  for (int c = 0; c < S; ++c)
    for (int i = 0; i < MR; ++i) y[c][i][0] = y[c][i][1] = _mm256_setzero_ps();
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t g = blk / per_group;
    __m256i acc[S][MR][2];  // columns 0..7, 8..15; low half k of the chunk's first two k-pairs, high half the last two
    for (int c = 0; c < S; ++c)
      for (int i = 0; i < MR; ++i) acc[c][i][0] = acc[c][i][1] = _mm256_setzero_si256();
    for (int u = 0; u < 4; ++u) {  // k = 32 blk + 8 u + (0..7)
      __m256i lo[S][2], hi[S][2];
      for (int c = 0; c < S; ++c) {
        const uint8_t *codes = b[c].codes + blk * 16 * 16 + u * 64;
        _mm_prefetch(reinterpret_cast<const char *>(codes + kQ8PrefetchBytes), _MM_HINT_T0);
        const __m128i *rows = reinterpret_cast<const __m128i *>(codes);
        const __m256i p = _mm256_loadu2_m128i(rows + 2, rows), q = _mm256_loadu2_m128i(rows + 3, rows + 1);
        const __m256i cols[2] = {_mm256_unpacklo_epi8(p, q), _mm256_unpackhi_epi8(p, q)};
        for (int h = 0; h < 2; ++h) {
          lo[c][h] = _mm256_and_si256(cols[h], nibble);
          hi[c][h] = _mm256_and_si256(_mm256_srli_epi16(cols[h], 4), nibble);
        }
      }
      for (int i = 0; i < MR; ++i) {
        int32_t e, o;  // the activations in w4a16_q8_position order: evens, then odds
        std::memcpy(&e, x[i].x8 + blk * 32 + 8 * u, 4);
        std::memcpy(&o, x[i].x8 + blk * 32 + 8 * u + 4, 4);
        const __m256i ve = _mm256_shuffle_epi8(_mm256_set1_epi32(e), pairs), vo = _mm256_shuffle_epi8(_mm256_set1_epi32(o), pairs);
        for (int c = 0; c < S; ++c)
          for (int h = 0; h < 2; ++h)
            acc[c][i][h] = _mm256_add_epi16(acc[c][i][h], _mm256_add_epi16(_mm256_maddubs_epi16(lo[c][h], ve), _mm256_maddubs_epi16(hi[c][h], vo)));
      }
    }
    for (int c = 0; c < S; ++c) {
      for (int h = 0; h < 2; ++h) {
        const __m256 z = _mm256_loadu_ps(b[c].zeros + g * 16 + 8 * h), sc = _mm256_loadu_ps(b[c].scales + g * 16 + 8 * h);
        for (int i = 0; i < MR; ++i) {
          const __m256i a = acc[c][i][h];
          const __m256i d = _mm256_add_epi32(_mm256_cvtepi16_epi32(_mm256_castsi256_si128(a)), _mm256_cvtepi16_epi32(_mm256_extracti128_si256(a, 1)));
          const __m256 v = _mm256_fnmadd_ps(z, _mm256_set1_ps(static_cast<float>(x[i].sums[blk])), _mm256_cvtepi32_ps(d));
          y[c][i][h] = _mm256_fmadd_ps(_mm256_mul_ps(sc, _mm256_set1_ps(x[i].sx[blk])), v, y[c][i][h]);
        }
      }
    }
  }
  for (int c = 0; c < S; ++c)
    for (int i = 0; i < MR; ++i)
      for (int h = 0; h < 2; ++h) _mm256_storeu_ps(out + (c * MR + i) * 16 + 8 * h, y[c][i][h]);
}

// Up to four rows at once (registers: 16 ymm).
void q8_kernel(const W4A16Block &b, const W4A16Q8Row *x, int mr, float *out) {
  switch (mr) {
    case 1: return q8_rows<1, 1>(&b, x, out);
    case 2: return q8_rows<2, 1>(&b, x, out);
    case 3: return q8_rows<3, 1>(&b, x, out);
    default: return q8_rows<4, 1>(&b, x, out);
  }
}

void q8_pair_kernel(const W4A16Block (&b)[2], const W4A16Q8Row &x, float *out) { q8_rows<1, 2>(b, &x, out); }

}  // namespace

W4A16Q8Kernel w4a16_q8_kernel_avx2() { return q8_kernel; }
W4A16Q8PairKernel w4a16_q8_pair_kernel_avx2() { return q8_pair_kernel; }

}  // namespace lb::cpu
