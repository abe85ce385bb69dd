// lb_layer_norm on the CPU (see lowbit.h): the row kernel per ISA and the parallel driver.
#pragma once
#include <stdint.h>

namespace lb::cpu {

// out[r] = layer_norm(x[r] + residual[r]) · gamma + beta for rows [r0, r1); residual and beta may
// be null; out may equal x.
using LayerNormRows = void (*)(const float *x, const float *residual, const float *gamma, const float *beta, float eps,
                               int64_t cols, int64_t r0, int64_t r1, float *out);

LayerNormRows layer_norm_rows_scalar();
LayerNormRows layer_norm_rows_avx2();
LayerNormRows layer_norm_rows_avx512();

void layer_norm(const float *x, const float *residual, const float *gamma, const float *beta, float eps, int64_t rows, int64_t cols,
                float *out);

}  // namespace lb::cpu
