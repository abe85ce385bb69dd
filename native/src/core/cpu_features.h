// CPU feature detection (cpuid + xgetbv) and the process-wide choice of kernel variant.
#pragma once
#include <stdint.h>

#include "lowbit.h"

namespace lb {

uint64_t cpu_features();  // LB_CPU_* bits, computed once
lb_isa best_isa();        // the best variant cpu_features() allows
lb_isa current_isa();     // what kernels dispatch on (LOWBIT_ISA / lb_cpu_set_isa)
// The AVX512 variant is active and the CPU has AVX512_BF16 / AVX512_VNNI too (neither is implied by
// LB_ISA_AVX512: Ice Lake and Cascade Lake lack BF16, Skylake-SP both). Kernels using VDPBF16PS /
// VCVTNEPS2BF16, or VPDPBUSD, run only when the matching one holds (ctest optional_instructions).
bool avx512_bf16();
bool avx512_vnni();
const char *isa_name(lb_isa isa);

}  // namespace lb
