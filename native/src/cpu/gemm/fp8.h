// CPU backend of the FP8 GEMM (lowbit.h, "gemm, FP8"): B prepacked in column blocks of 16 and k
// pairs; both operands become bf16 (exact for every E4M3 and E5M2 value) and run through the
// bf16 driver (bf16_gemm.h) with an epilogue per scale granularity.
#pragma once
#include <stdint.h>


#include "../convert/convert.h"
#include "bf16_tile.h"
#include "lowbit.h"

namespace lb::cpu {

inline int64_t fp8_k2(int64_t k) { return (k + 1) / 2; }
inline int64_t fp8_packed_bytes(int64_t n, int64_t k) { return (n + 15) / 16 * 16 * fp8_k2(k) * 2; }

// FP8 codes -> bf16 (exact), a table lookup per 32 codes; any NaN becomes a quiet NaN.
ConvertFn fp8_to_bf16_avx512(lb_dtype dtype);
// The direct tile (bf16_tile.h) over packed FP8 codes of dtype.
Bf16DirectTile fp8_direct_tile_avx512(lb_dtype dtype);
Bf16DirectTile fp8_direct_tile_avx2(lb_dtype dtype);
// The active ISA's FP8 -> bf16 widening (the AVX-512 table, else the convert family's kernel).
ConvertFn fp8_to_bf16(lb_dtype dtype);

// Rows of fp8 A [m, k] widened to bf16 [m][2 * fp8_k2(k)] (exact), zero past k, on all threads,
// into the calling thread's scratch (valid until its next call).
const uint16_t *fp8_rows_to_bf16(const uint8_t *a, lb_dtype a_dtype, int64_t m, int64_t k);

void fp8_prepack(const uint8_t *b, int64_t n, int64_t k, void *packed);
lb_status fp8_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const void *b_packed, lb_dtype b_dtype,
                   const float *b_scales, int32_t scaling, const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n,
                   int64_t k);
// VDPBF16PS flops per second on all lowbit threads (0 without AVX-512 BF16).
lb_status bf16_peak(int32_t millis, double *flops_per_second);

}  // namespace lb::cpu
