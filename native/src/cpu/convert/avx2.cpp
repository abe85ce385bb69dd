// AVX2 + F16C convert kernels, 8 elements per step; the tail goes through a small stack
// buffer so it takes the same vector path. bf16 is rounded with integer ops (see avx512.cpp).
#include <immintrin.h>
#include <string.h>

#include "../../common/fp8.h"
#include "convert.h"
#include "pairs.h"

namespace lb::cpu {
namespace {

#include "../simd/half_avx2.h"

template <class S, class D>
void kernel(const void *s, void *d, int64_t n) {
  const char *src = static_cast<const char *>(s);
  char *dst = static_cast<char *>(d);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) D::store(dst + i * D::kSize, S::load(src + i * S::kSize));
  if (i < n) {
    alignas(32) char in[32] = {}, out[32];
    const size_t left = static_cast<size_t>(n - i);
    memcpy(in, src + i * S::kSize, left * S::kSize);
    D::store(out, S::load(in));
    memcpy(dst + i * D::kSize, out, left * D::kSize);
  }
}

#include "fp8.inc"

}  // namespace

ConvertFn convert_kernel_avx2(lb_dtype src, lb_dtype dst) { LB_CONVERT_PAIRS(src, dst); }
ConvertFn fp8_kernel_avx2(lb_dtype src, lb_dtype dst, bool saturate) { return fp8_kernel(src, dst, saturate); }

}  // namespace lb::cpu
