// lb_gelu on the CPU (see lowbit.h): the kernel per ISA and the parallel driver.
#pragma once
#include <stdint.h>

namespace lb::cpu {

using GeluRange = void (*)(const float *x, int64_t begin, int64_t end, float *out);

GeluRange gelu_range_scalar();
GeluRange gelu_range_avx2();
GeluRange gelu_range_avx512();

void gelu(const float *x, int64_t n, float *out);

}  // namespace lb::cpu
