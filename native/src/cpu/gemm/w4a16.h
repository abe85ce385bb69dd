// CPU backend of the W4A16 GEMM (lowbit.h, "gemm, W4A16"): prepack 4-bit weights from the quant
// family's format into 16-column blocks with f32 scales and zero points, then per column block a
// kernel that widens the codes to f32 in registers and accumulates with fma in the documented
// order (so every ISA gives the same bits).
#pragma once
#include <stdint.h>

#include "lowbit.h"

namespace lb::cpu {

inline int64_t w4a16_n16(int64_t n) { return (n + 15) / 16; }
inline int64_t w4a16_packed_bytes(int64_t n, int64_t k, int64_t group) {
  const int64_t cols = w4a16_n16(n) * 16;
  return cols * (k / 2) + 2 * cols * (k / group) * 4;
}

// Views of a packed buffer: codes [n16][k/2][16] bytes (low nibble = even k), then f32 scales and
// f32 zero points, each [n16][k/group][16].
struct W4A16Packed {
  const uint8_t *codes;
  const float *scales, *zeros;
  W4A16Packed(const void *p, int64_t n, int64_t k, int64_t group) {
    const int64_t cols = w4a16_n16(n) * 16;
    codes = static_cast<const uint8_t *>(p);
    scales = reinterpret_cast<const float *>(codes + cols * (k / 2));
    zeros = scales + cols * (k / group);
  }
};

// Rows [i0, i0 + mr) of Y for column block jb (16 columns): x rows are f32 (k apart), out is
// mr x 16 f32 (16 apart). mr <= 4.
struct W4A16Block {
  const uint8_t *codes;  // the block's k/2 * 16 bytes
  const float *scales;   // the block's [groups][16]
  const float *zeros;
  int64_t k, group;
};
using W4A16Kernel = void (*)(const W4A16Block &b, const float *x, int mr, float *out);

W4A16Kernel w4a16_kernel_scalar();
W4A16Kernel w4a16_kernel_avx2();
W4A16Kernel w4a16_kernel_avx512();

// The int8-activation variant (LB_W4A16_INT8_ACTIVATIONS): one row of quantized activations, in
// blocks of 32 k: x8 holds each block's codes with every 8 stored evens first, (x0, x2, x4, x6, x1,
// x3, x5, x7) — the order in which the AVX-512 kernel's operands hold the weight nibbles (low
// nibbles = even k, high = odd k of four k-pairs) — sx the block scales, sums the code sums.
inline int64_t w4a16_q8_position(int64_t l) { return (l & ~int64_t{7}) + ((l & 1) ? 4 : 0) + ((l & 7) >> 1); }
struct W4A16Q8Row {
  const int8_t *x8;
  const float *sx;
  const int32_t *sums;
};
// Rows x[0 .. mr) (mr <= 4) of one column block; out is mr x 16 f32 (16 apart).
using W4A16Q8Kernel = void (*)(const W4A16Block &b, const W4A16Q8Row *x, int mr, float *out);

W4A16Q8Kernel w4a16_q8_kernel_scalar();
W4A16Q8Kernel w4a16_q8_kernel_avx2();
W4A16Q8Kernel w4a16_q8_kernel_avx512_vbmi();  // needs AVX512_VBMI as well (LB_CPU_AVX512VBMI)
// One row of two column blocks at once (decode: two weight streams per thread); out is 2 x 16 f32.
using W4A16Q8PairKernel = void (*)(const W4A16Block (&b)[2], const W4A16Q8Row &x, float *out);
W4A16Q8PairKernel w4a16_q8_pair_kernel_avx2();
W4A16Q8PairKernel w4a16_q8_pair_kernel_avx512_vbmi();

void w4a16_prepack(const lb_quant_params &p, const void *w, const void *scales, const void *zeros, int64_t n, int64_t k,
                   void *packed);
lb_status w4a16_gemm(const void *x, lb_dtype x_dtype, const void *w_packed, const float *bias, void *y, lb_dtype y_dtype,
                     int64_t m, int64_t n, int64_t k, int64_t group, int32_t flags);

}  // namespace lb::cpu
