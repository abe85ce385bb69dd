// CPU backend of the W4A8 GEMM (lowbit.h, "gemm, W4A8"): FP8 activations x 4-bit weights in
// lb_w4a16_prepack's form, whose code bytes already are the bf16 driver's k-pair panels (byte
// (jb * k/2 + p) * 16 + jj holds k = 2p, 2p + 1 of column 16 jb + jj). The codes widen to bf16
// exactly; the driver's policy applies each group's zero point and scale.
#pragma once
#include <stdint.h>

#include "bf16_tile.h"
#include "lowbit.h"

namespace lb::cpu {

// Packed U4 codes (two per byte, low nibble first) -> bf16 of the code (0..15), `count` codes.
void u4_to_bf16_scalar(const void *src, void *dst, int64_t count);
void u4_to_bf16_avx512(const void *src, void *dst, int64_t count);

// The direct tile (bf16_tile.h) over packed U4 codes.
Bf16DirectTile u4_direct_tile_avx512();
Bf16DirectTile u4_direct_tile_avx2();

lb_status w4a8_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const void *w_packed, const float *bias, void *d,
                    lb_dtype d_dtype, int64_t m, int64_t n, int64_t k, int64_t group);

}  // namespace lb::cpu
