// The active ISA's bf16 tile, and the bf16 compute roof measured on all lowbit threads.
#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "bf16_tile.h"
#include "fp8.h"

namespace lb::cpu {

// The AVX-512 tile is VDPBF16PS: on AVX-512 CPUs without AVX512_BF16 (Ice Lake, Cascade Lake) the
// AVX2 one runs.
Bf16Tile bf16_tile() {
  if (avx512_bf16()) return bf16_tile_avx512();
  switch (current_isa()) {
    case LB_ISA_AVX512:
    case LB_ISA_AVX2: return bf16_tile_avx2();
    default: return bf16_tile_scalar();
  }
}

lb_status bf16_peak(int32_t millis, double *flops_per_second) {
  if (!avx512_bf16()) {  // the roof of VDPBF16PS
    *flops_per_second = 0.0;
    return LB_OK;
  }
  *flops_per_second = sum_over_threads([&] { return bf16_peak_thread_avx512(millis); });
  return LB_OK;
}

}  // namespace lb::cpu
