// CPU backend of the W4A4 GEMM (lowbit.h, "gemm, W4A4", QuaRot style): int4 weights stay 4-bit in
// memory, in the W8A8 kernel's k-quad order (16 bytes of nibbles per quad of a 16-column block);
// the int8 driver widens each panel chunk to int8 once per 96 rows and runs the VPDPBUSD tiles.
#pragma once
#include <stdint.h>

#include "lowbit.h"

namespace lb::cpu {

inline int64_t w4a4_k4(int64_t k) { return (k + 3) / 4; }
inline int64_t w4a4_n16(int64_t n) { return (n + 15) / 16; }
inline int64_t w4a4_packed_bytes(int64_t n, int64_t k) { return w4a4_n16(n) * 16 * (w4a4_k4(k) * 2 + 4); }

// Nibbles (two per byte, low first, two's complement) -> int8, `quads * 64` of them.
void i4_to_i8_scalar(const uint8_t *src, int8_t *dst, int64_t quads);
void i4_to_i8_avx2(const uint8_t *src, int8_t *dst, int64_t quads);
void i4_to_i8_avx512(const uint8_t *src, int8_t *dst, int64_t quads);

void w4a4_prepack(const uint8_t *b, int64_t n, int64_t k, void *packed);
lb_status w4a4_gemm(const uint8_t *a, const float *a_scales, const void *b_packed, const float *b_scales, const float *bias,
                    void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k);

}  // namespace lb::cpu
