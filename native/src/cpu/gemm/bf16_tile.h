// bf16 micro-kernels shared by the low-precision float GEMMs (FP8 today): both operands arrive
// as bf16 (every fp8 value is exact in bf16) in pair-interleaved panels, and the products are
// summed in f32. AVX-512 uses VDPBF16PS; the AVX2 and scalar variants compute the same pairs
// with f32 FMAs (odd element first, as VDPBF16PS is specified), so ISAs agree to f32 rounding.
#pragma once
#include <stdint.h>

namespace lb::cpu {

constexpr int64_t kBf16ColBlock = 16;  // columns per panel block (one zmm of f32 accumulators)

// acc[i][16 jb + jj] (+)= sum over p < kpairs of a[i][2p+1] * b_jb[p][jj][1] + a[i][2p] * b_jb[p][jj][0]
//   a     bf16 rows, `lda` elements apart, k pairs contiguous;
//   b_jb  column block jb of the panel: `bstride` elements after block jb - 1, [kpairs][16][2];
//   acc   mr rows of `ldc` floats; `accumulate`: add to acc instead of overwriting it.
// mr <= 12, nb in {1, 2}.
using Bf16Tile = void (*)(const uint16_t *a, int64_t lda, const uint16_t *b, int64_t bstride, int64_t kpairs, int mr, int nb,
                          float *acc, int64_t ldc, bool accumulate);

// The same tile reading B straight from its packed codes (decoded to bf16 in registers: no panel
// buffer), for few rows (mr <= 4), where decoding a panel once per call would dominate: b points at
// the packed codes of the first k pair of column block 0, block 1 `bstride` bytes further.
using Bf16DirectTile = void (*)(const uint16_t *a, int64_t lda, const uint8_t *b, int64_t bstride, int64_t kpairs, int mr, int nb,
                                float *acc, int64_t ldc, bool accumulate);

Bf16Tile bf16_tile_scalar();
Bf16Tile bf16_tile_avx2();
Bf16Tile bf16_tile_avx512();
Bf16Tile bf16_tile();  // the active ISA's

// VDPBF16PS floating-point operations (2 per multiply-add) per second of the calling thread over
// about `millis` ms, with no memory traffic.
double bf16_peak_thread_avx512(int32_t millis);

}  // namespace lb::cpu
