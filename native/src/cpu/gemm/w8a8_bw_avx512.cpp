// W8A8 / W4A4 tiles for AVX-512 CPUs without VNNI (Skylake-SP): avx2.cpp's VPMADDUBSW tiles at 64 bytes,
// a whole packed k-quad of 16 columns a load, so one VPMADDWD by ones leaves column j in lane j (the
// AVX2 tiles take the quad in two halves). Kept out of avx512.cpp so that the ctest
// optional_instructions can hold this file free of VPDPBUSD: it runs where avx512_vnni() is false.
//
// Signed tile (A without -128): VPMADDUBSW of |w| (unsigned) by a · sign(w), each int16 pair sum at most
// 2 · 128 · 127 = 32512 in magnitude, exact. AVX-512 has no VPSIGNB; a · sign(w) is a negated where w < 0
// (a masked subtract from zero; where w = 0, |w| = 0 zeroes the product either way).
// Int4 tile (A, B in -8..7): VPMADDUBSW of a + 8 by w, pair sums at most 240, summed in int16 over up to
// kInt16Quads quads before widening; the sums carry + 8 · colsum (the driver's offset 8).
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include "w8a8.h"

namespace lb::cpu {
namespace {

constexpr int kRows = 8;  // 8 accumulators, w, |w|, its sign mask and a temporary or two: well within 32 zmm

inline __m512i broadcast_quad(const uint8_t *p) {
  int32_t quad;
  std::memcpy(&quad, p, 4);
  return _mm512_set1_epi32(quad);
}

// The tiles as K<MR>::run, MR rows of one 16-column block (blocks() below walks them).
template <int MR>
struct SignedTile {
  static void run(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t kquads, int32_t *acc, int64_t ldc, bool accumulate) {
    __m512i c[MR];
    for (int i = 0; i < MR; ++i) c[i] = _mm512_setzero_si512();
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512();
#pragma GCC unroll 1
    for (int64_t kq = 0; kq < kquads; ++kq) {
      const __m512i w = _mm512_loadu_si512(bpack + kq * 64);
      const __m512i u = _mm512_abs_epi8(w);
      const __mmask64 negative = _mm512_movepi8_mask(w);
      for (int i = 0; i < MR; ++i) {
        const __m512i a = broadcast_quad(a8 + i * lda + kq * 4);
        const __m512i signed_a = _mm512_mask_sub_epi8(a, negative, zero, a);
        c[i] = _mm512_add_epi32(c[i], _mm512_madd_epi16(_mm512_maddubs_epi16(u, signed_a), ones));
      }
    }
    for (int i = 0; i < MR; ++i) {
      int32_t *out = acc + i * ldc;
      _mm512_storeu_si512(out, accumulate ? _mm512_add_epi32(_mm512_loadu_si512(out), c[i]) : c[i]);
    }
  }
};

constexpr int64_t kInt16Quads = 127;  // 127 · 240 = 30480 < 32768

template <int MR>
struct Int4Tile {
  static void run(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t kquads, int32_t *acc, int64_t ldc, bool accumulate) {
    const __m512i ones = _mm512_set1_epi16(1), eight = _mm512_set1_epi8(8);
    for (int64_t k0 = 0; k0 < kquads; k0 += kInt16Quads) {
      const int64_t k1 = kquads - k0 < kInt16Quads ? kquads : k0 + kInt16Quads;
      __m512i c[MR];
      for (int i = 0; i < MR; ++i) c[i] = _mm512_setzero_si512();
#pragma GCC unroll 1
      for (int64_t kq = k0; kq < k1; ++kq) {
        const __m512i w = _mm512_loadu_si512(bpack + kq * 64);
        for (int i = 0; i < MR; ++i)
          c[i] = _mm512_add_epi16(c[i], _mm512_maddubs_epi16(_mm512_add_epi8(broadcast_quad(a8 + i * lda + kq * 4), eight), w));
      }
      for (int i = 0; i < MR; ++i) {
        int32_t *out = acc + i * ldc;
        const __m512i sum = _mm512_madd_epi16(c[i], ones);
        _mm512_storeu_si512(out, accumulate || k0 > 0 ? _mm512_add_epi32(_mm512_loadu_si512(out), sum) : sum);
      }
    }
  }
};

// K<MR>::run over the 16-column blocks, rows in groups of up to kRows (the last group's count as a
// template argument).
template <template <int> class K, int MR = kRows>
void rows_of(int left, const uint8_t *a, int64_t lda, const int8_t *b, int64_t kquads, int32_t *out, int64_t ldc, bool accumulate) {
  if constexpr (MR > 1) {
    if (left < MR) return rows_of<K, MR - 1>(left, a, lda, b, kquads, out, ldc, accumulate);
  }
  K<MR>::run(a, lda, b, kquads, out, ldc, accumulate);
}

template <template <int> class K>
void blocks(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int mr, int nb, int32_t *acc,
            int64_t ldc, bool accumulate) {
  for (int jb = 0; jb < nb; ++jb)
    for (int i = 0; i < mr; i += kRows)
      rows_of<K>(mr - i, a8 + i * lda, lda, bpack + jb * bstride, kquads, acc + i * ldc + jb * 16, ldc, accumulate);
}

}  // namespace

W8A8Tile w8a8_tile_avx512bw_signed() { return blocks<SignedTile>; }
W8A8Tile w8a8_tile_avx512bw_int4() { return blocks<Int4Tile>; }

}  // namespace lb::cpu
