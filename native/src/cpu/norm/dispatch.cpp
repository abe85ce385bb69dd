// lb_layer_norm on the CPU: rows spread over lowbit's pool in chunks big enough (~64 rows of
// 384) that a small batch runs on the calling thread instead of paying a wake-up.
#include <algorithm>

#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "norm.h"

namespace lb::cpu {

void layer_norm(const float *x, const float *residual, const float *gamma, const float *beta, float eps, int64_t rows, int64_t cols,
                float *out) {
  LayerNormRows kernel = layer_norm_rows_scalar();
  switch (current_isa()) {
    case LB_ISA_AVX512: kernel = layer_norm_rows_avx512(); break;
    case LB_ISA_AVX2: kernel = layer_norm_rows_avx2(); break;
    default: break;
  }
  const int64_t grain = std::max<int64_t>(1, 24576 / std::max<int64_t>(cols, 1));
  parallel_for(rows, grain, [&](int64_t r0, int64_t r1) { kernel(x, residual, gamma, beta, eps, cols, r0, r1, out); });
}

}  // namespace lb::cpu
