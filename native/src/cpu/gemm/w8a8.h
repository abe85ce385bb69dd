// CPU backend of the W8A8 GEMM (lowbit.h, "gemm, W8A8"): prepack B into the VPDPBUSD layout,
// then row blocks x column blocks over the pool, each a register-tiled micro-kernel.
#pragma once
#include <stdint.h>

#include "lowbit.h"

namespace lb::cpu {

constexpr int64_t kW8A8ColBlock = 16;  // columns per packed block (one zmm of int32 accumulators)

inline int64_t w8a8_k4(int64_t k) { return (k + 3) / 4; }
inline int64_t w8a8_n16(int64_t n) { return (n + kW8A8ColBlock - 1) / kW8A8ColBlock; }
inline int64_t w8a8_packed_bytes(int64_t n, int64_t k) {
  return w8a8_n16(n) * kW8A8ColBlock * (w8a8_k4(k) * 4 + 4);
}

// Accumulators of an mr x (16 * nb) tile over `kquads` k-quads: acc[i][j] (+)= the 4-byte dot
// products of row i of a8 (int8 A, rows `lda` bytes apart; the tile flips each byte's sign bit,
// which makes it A + 128 as an unsigned byte for VPDPBUSD) with the packed columns (bpack:
// the first quad of column block 0; block 1 is `bstride` bytes further). `accumulate`: add to acc
// instead of overwriting it. acc is mr rows of ldc int32. mr <= 12, nb in {1, 2}.
using W8A8Tile = void (*)(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int mr,
                          int nb, int32_t *acc, int64_t ldc, bool accumulate);

W8A8Tile w8a8_tile_scalar();
W8A8Tile w8a8_tile_avx2();
// As a W8A8Tile, but acc gets the plain sums of A * B (no + 128 offset on A, so no 128 * colsum
// correction after it), and A must hold no -128 (its exactness relies on |a| <= 127; see avx2.cpp).
W8A8Tile w8a8_tile_avx2_signed();
// As a W8A8Tile for int4 operands only (Int8Weights::int4_operands: A and B in -8..7): acc gets the sums
// of (A + 8) * B, which the driver corrects by 8 * colsum.
W8A8Tile w8a8_tile_avx2_int4();
W8A8Tile w8a8_tile_avx512();
// The signed and int4 tiles above for AVX-512 CPUs without VNNI (w8a8_bw_avx512.cpp).
W8A8Tile w8a8_tile_avx512bw_signed();
W8A8Tile w8a8_tile_avx512bw_int4();

// The F32 epilogue applied to a tile straight from its registers: d[i][j] = ((float)(acc - 128 *
// colsums[j]) * a_scales[i]) * b_scales[j] (+ bias[j]) for the tile's mr rows and `cols` columns —
// the same operations in the same order as the driver's own epilogue loop, so the bits agree.
// Pointers are at the tile's first row / column.
struct F32Epilogue {
  const int32_t *colsums;
  const float *a_scales, *b_scales, *bias;  // bias may be null
  float *d;
  int64_t ldd, cols;
};
// A W8A8Tile that ends in the F32 epilogue instead of storing int32 accumulators; `partial`: the
// sums of the earlier k blocks (mr rows of ldc int32) to start from, or null.
using W8A8TileF32 = void (*)(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int mr,
                             int nb, const int32_t *partial, int64_t ldc, const F32Epilogue &ep);
W8A8TileF32 w8a8_tile_f32_avx512();  // the scalar and AVX2 tiles go through the driver's epilogue
// VPDPBUSD multiply-accumulates per second of the calling thread over about `millis` ms.
double int8_peak_thread_avx512(int32_t millis);

// The weights the int8 driver multiplies: `data` holds each 16-column block's k-quads one after the
// other, `quad_bytes` per quad: either the VPDPBUSD layout itself (64 bytes, decode == nullptr) or a
// compact form (W4A4's nibbles, 32 bytes) that `decode` widens to that layout one chunk at a time.
struct Int8Weights {
  const uint8_t *data;
  int64_t quad_bytes;
  void (*decode)(const uint8_t *src, int8_t *dst, int64_t quads);
  const int32_t *colsums;  // int32 sum of each column of B (ceil(n/16) * 16 of them)
  bool int4_operands = false;  // A and B both hold only -8..7 (W4A4): AVX2 has a tile for that
};

// D = epilogue(A . B^T) for int8 A [m, k] (lowbit.h "gemm, W8A8" epilogue) over either form of B.
lb_status int8_gemm(const int8_t *a, const float *a_scales, const Int8Weights &b, const float *b_scales, const float *bias,
                    void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k);

void w8a8_prepack(const int8_t *b, int64_t n, int64_t k, void *packed);
lb_status w8a8_gemm(const int8_t *a, const float *a_scales, const void *b_packed, const float *b_scales,
                    const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k);
lb_status int8_peak(int32_t millis, double *macs_per_second);

}  // namespace lb::cpu
