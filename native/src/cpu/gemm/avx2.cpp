// W8A8 tile for the AVX2 variant: no VPDPBUSD, so bytes are widened to int16 and multiplied with
// VPMADDWD (int16 x int16, adjacent products summed into int32: exact, no saturation). One k-quad
// of 16 packed columns is four ymm of int16 (4 columns x 4 k each); a row's quad, widened and
// broadcast, meets each of them in one VPMADDWD, leaving two partial sums per column that are
// added when the tile is stored. Tiles of 2 rows x 16 columns (8 accumulators; AVX2 has 16 ymm).
//
// The signed tile (A without -128, which lowbit's quantizer never produces): VPMADDUBSW multiplies
// unsigned by signed bytes and sums adjacent products into int16 with saturation; with |w| as the
// unsigned operand and a * sign(w) (VPSIGNB) as the signed one, each pair sum is at most
// 2 * 128 * 127 = 32512 in magnitude (|a| <= 127: a = -128 would negate to itself), so it is exact,
// and VPMADDWD by ones folds the two pairs of a column's quad into its int32 lane: four instructions
// per 32 products, against five and a half (with the quad's widening) in the tile above, and the
// packed quads' own layout (lane j = column j), so nothing to combine at the store. Tiles of 4 rows.
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include "w8a8.h"

namespace lb::cpu {
namespace {

template <int MR>
void tile16(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t kquads, int32_t *acc, int64_t ldc, bool accumulate) {
  __m256i c[MR][4];
  for (int i = 0; i < MR; ++i)
    for (int q = 0; q < 4; ++q) c[i][q] = _mm256_setzero_si256();
  const __m256i flip = _mm256_set1_epi32(static_cast<int32_t>(0x80808080));
  const __m256i widen = _mm256_setr_epi8(0, -1, 1, -1, 2, -1, 3, -1, 0, -1, 1, -1, 2, -1, 3, -1, 0, -1, 1, -1, 2, -1, 3, -1, 0, -1, 1, -1, 2, -1, 3, -1);
#pragma GCC unroll 1
  for (int64_t kq = 0; kq < kquads; ++kq) {
    const int8_t *b = bpack + kq * 64;
    __m256i w[4];
    for (int q = 0; q < 4; ++q) w[q] = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i *>(b + 16 * q)));
    for (int i = 0; i < MR; ++i) {
      int32_t quad;
      std::memcpy(&quad, a8 + i * lda + kq * 4, 4);
      // The quad + 128 as four words, repeated: one broadcast, one xor, one in-lane byte shuffle that
      // zero-extends (a widen and a broadcast of a register took two more instructions a row and quad).
      const __m256i a = _mm256_shuffle_epi8(_mm256_xor_si256(_mm256_set1_epi32(quad), flip), widen);
      for (int q = 0; q < 4; ++q) c[i][q] = _mm256_add_epi32(c[i][q], _mm256_madd_epi16(a, w[q]));
    }
  }
  // Lane 2c and 2c+1 of c[i][q] are the two halves of column 4q + c.
  for (int i = 0; i < MR; ++i) {
    alignas(32) int32_t part[32];
    for (int q = 0; q < 4; ++q) _mm256_store_si256(reinterpret_cast<__m256i *>(part + 8 * q), c[i][q]);
    for (int j = 0; j < 16; ++j) {
      const int32_t s = part[2 * j] + part[2 * j + 1];
      acc[i * ldc + j] = accumulate ? acc[i * ldc + j] + s : s;
    }
  }
}

// Sum over k of a * w (no + 128 offset): the driver skips its 128 * colsum correction for it.
template <int MR>
void tile16_signed(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t kquads, int32_t *acc, int64_t ldc, bool accumulate) {
  __m256i c[MR][2];
  for (int i = 0; i < MR; ++i) c[i][0] = c[i][1] = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi16(1);
#pragma GCC unroll 1
  for (int64_t kq = 0; kq < kquads; ++kq) {
    // One half of the quad's 16 columns at a time, every row's quad broadcast again for the second (a load
    // each): with both halves live, the 8 accumulators, two weights, their two magnitudes and the temporaries
    // outnumbered the 16 registers and GCC kept half the accumulators on the stack.
    for (int q = 0; q < 2; ++q) {
      const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(bpack + kq * 64 + 32 * q));
      const __m256i u = _mm256_abs_epi8(w);
      for (int i = 0; i < MR; ++i) {
        int32_t quad;
        std::memcpy(&quad, a8 + i * lda + kq * 4, 4);
        const __m256i a = _mm256_set1_epi32(quad);
        c[i][q] = _mm256_add_epi32(c[i][q], _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_sign_epi8(a, w)), ones));
      }
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int q = 0; q < 2; ++q) {
      __m256i *out = reinterpret_cast<__m256i *>(acc + i * ldc + 8 * q);
      _mm256_storeu_si256(out, accumulate ? _mm256_add_epi32(_mm256_loadu_si256(out), c[i][q]) : c[i][q]);
    }
}

// W4A4 (w8a8.h, Int8Weights::int4_operands: A and B both -8..7): VPMADDUBSW of a + 8 (0..15, unsigned)
// by w leaves pair sums of at most 240 in magnitude, so each lane sums them in int16 over up to
// kInt16Quads quads (<= 30480) before one VPMADDWD by ones widens them into the int32 tile: per 32
// products one VPMADDUBSW and one VPADDW (plus a's + 8, shared by both halves), against the signed
// tile's four. The sums carry + 8 * colsum (the driver's offset 8).
constexpr int64_t kInt16Quads = 127;

template <int MR>
void tile16_int4(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t kquads, int32_t *acc, int64_t ldc, bool accumulate) {
  const __m256i ones = _mm256_set1_epi16(1), eight = _mm256_set1_epi8(8);
  for (int64_t k0 = 0; k0 < kquads; k0 += kInt16Quads) {
    const int64_t k1 = kquads - k0 < kInt16Quads ? kquads : k0 + kInt16Quads;
    __m256i c[MR][2];
    for (int i = 0; i < MR; ++i) c[i][0] = c[i][1] = _mm256_setzero_si256();
#pragma GCC unroll 1
    for (int64_t kq = k0; kq < k1; ++kq) {
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(bpack + kq * 64));
      const __m256i w1 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(bpack + kq * 64 + 32));
      for (int i = 0; i < MR; ++i) {
        int32_t quad;
        std::memcpy(&quad, a8 + i * lda + kq * 4, 4);
        const __m256i a = _mm256_add_epi8(_mm256_set1_epi32(quad), eight);
        c[i][0] = _mm256_add_epi16(c[i][0], _mm256_maddubs_epi16(a, w0));
        c[i][1] = _mm256_add_epi16(c[i][1], _mm256_maddubs_epi16(a, w1));
      }
    }
    for (int i = 0; i < MR; ++i)
      for (int q = 0; q < 2; ++q) {
        __m256i *out = reinterpret_cast<__m256i *>(acc + i * ldc + 8 * q);
        const __m256i sum = _mm256_madd_epi16(c[i][q], ones);
        _mm256_storeu_si256(out, accumulate || k0 > 0 ? _mm256_add_epi32(_mm256_loadu_si256(out), sum) : sum);
      }
  }
}

// f(std::integral_constant<int, min(left, kMax)>{}): a row count (left >= 1) as a template argument.
template <int kMax, class F>
void with_rows(int left, F &&f) {
  if constexpr (kMax > 1) {
    if (left < kMax) return with_rows<kMax - 1>(left, f);
  }
  f(std::integral_constant<int, kMax>{});
}

// A W8A8Tile over 16-column blocks with rows in groups of up to kRows: K<MR>(a, lda, b, kquads, out, ldc, accumulate).
template <int kRows, template <int> class K>
void tile_blocks(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int mr, int nb, int32_t *acc,
                 int64_t ldc, bool accumulate) {
  for (int jb = 0; jb < nb; ++jb)
    for (int i = 0; i < mr; i += kRows)
      with_rows<kRows>(mr - i, [&](auto rows) {
        K<decltype(rows)::value>::run(a8 + i * lda, lda, bpack + jb * bstride, kquads, acc + i * ldc + jb * 16, ldc, accumulate);
      });
}

template <int MR>
struct Offset {
  static void run(const uint8_t *a, int64_t lda, const int8_t *b, int64_t kquads, int32_t *out, int64_t ldc, bool accumulate) {
    tile16<MR>(a, lda, b, kquads, out, ldc, accumulate);
  }
};
template <int MR>
struct Int4 {
  static void run(const uint8_t *a, int64_t lda, const int8_t *b, int64_t kquads, int32_t *out, int64_t ldc, bool accumulate) {
    tile16_int4<MR>(a, lda, b, kquads, out, ldc, accumulate);
  }
};
template <int MR>
struct Signed {
  static void run(const uint8_t *a, int64_t lda, const int8_t *b, int64_t kquads, int32_t *out, int64_t ldc, bool accumulate) {
    tile16_signed<MR>(a, lda, b, kquads, out, ldc, accumulate);
  }
};

}  // namespace

W8A8Tile w8a8_tile_avx2() { return tile_blocks<2, Offset>; }
W8A8Tile w8a8_tile_avx2_signed() { return tile_blocks<4, Signed>; }
W8A8Tile w8a8_tile_avx2_int4() { return tile_blocks<4, Int4>; }

}  // namespace lb::cpu
