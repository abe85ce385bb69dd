// The active ISA's bf16 tile, and the bf16 compute roof measured on all lowbit threads.
#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "bf16_tile.h"
#include "fp8.h"

namespace lb::cpu {

Bf16Tile bf16_tile() {
  switch (current_isa()) {
    case LB_ISA_AVX512: return bf16_tile_avx512();
    case LB_ISA_AVX2: return bf16_tile_avx2();
    default: return bf16_tile_scalar();
  }
}

lb_status bf16_peak(int32_t millis, double *flops_per_second) {
  if (current_isa() != LB_ISA_AVX512) {  // the AVX-512 variant requires AVX-512 BF16
    *flops_per_second = 0.0;
    return LB_OK;
  }
  *flops_per_second = sum_over_threads([&] { return bf16_peak_thread_avx512(millis); });
  return LB_OK;
}

}  // namespace lb::cpu
