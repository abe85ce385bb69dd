// lb_gelu on the CPU: the range spread over lowbit's pool in chunks of 32 Ki elements (~10 us
// each), so one short sentence's FFN activations run on the calling thread.
#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "activation.h"

namespace lb::cpu {

void gelu(const float *x, int64_t n, float *out) {
  GeluRange kernel = gelu_range_scalar();
  switch (current_isa()) {
    case LB_ISA_AVX512: kernel = gelu_range_avx512(); break;
    case LB_ISA_AVX2: kernel = gelu_range_avx2(); break;
    default: break;
  }
  parallel_for(n, 32768, [&](int64_t begin, int64_t end) { kernel(x, begin, end, out); });
}

}  // namespace lb::cpu
