// CPU backend of the hadamard family. Row kernels (one ISA each) work in place on f32 rows;
// dispatch.cpp widens rows to f32, runs the stages, narrows the result and spreads rows over
// the pool (and hands rotated rows to the quant family for the fused rotate+quantize).
#pragma once
#include <stdint.h>

#include "lowbit.h"

namespace lb::cpu {

struct HadamardKernels {
  // In-place FWHT (Sylvester, natural order) of `chunks` consecutive chunks of c = 2^k floats:
  // strides 1, 2, 4, ... c/2 in that order, butterfly (a, b) -> (a + b, a - b).
  void (*fwht)(float *x, int64_t c, int64_t chunks);
  // y[a][b] = sum over a' ascending of core[a][a'] * t[a'][b]; t, y: [m][c]; core m x m of +-1.
  void (*mix)(const float *t, float *y, int64_t m, int64_t c, const float *core);
  // Negates x[i] where the random sign of element i (common/hadamard.h) is set.
  void (*flip)(float *x, int64_t n, uint64_t seed);
  void (*scale)(float *x, int64_t n, float s);
};

HadamardKernels hadamard_kernels_scalar();
HadamardKernels hadamard_kernels_avx2();
HadamardKernels hadamard_kernels_avx512();

// Validation is the C ABI layer's job (api/hadamard.cpp); these assume valid arguments.
lb_status hadamard_transform(const lb_hadamard_params &p, const void *x, lb_dtype x_dtype, void *y, lb_dtype y_dtype,
                             int64_t rows);
lb_status hadamard_quantize(const lb_hadamard_params &p, const lb_quant_params &quant, const void *x, lb_dtype x_dtype,
                            int64_t rows, void *q, void *scales, void *zeros);

}  // namespace lb::cpu
