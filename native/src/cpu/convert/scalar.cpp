// Scalar convert kernels: the fallback for every CPU and the bit-exact model the SIMD
// variants are tested against (all of them call common/half.h).
#include "../../common/half.h"
#include "../../common/fp8.h"
#include "convert.h"
#include "pairs.h"

namespace lb::cpu {
namespace {

// Element codecs: load widens to f32 exactly, store rounds from f32.
struct F32 {
  using T = float;
  static float load(T v) { return v; }
  static T store(float f) { return f; }
};
struct F16 {
  using T = uint16_t;
  static float load(T v) { return f16_bits_to_f32(v); }
  static T store(float f) { return f32_to_f16_bits(f); }
};
struct BF16 {
  using T = uint16_t;
  static float load(T v) { return bf16_bits_to_f32(v); }
  static T store(float f) { return f32_to_bf16_bits(f); }
};

// f16 <-> bf16 through f32 is a single rounding: the widening step is exact.
template <class S, class D>
void kernel(const void *s, void *d, int64_t n) {
  const typename S::T *src = static_cast<const typename S::T *>(s);
  typename D::T *dst = static_cast<typename D::T *>(d);
  for (int64_t i = 0; i < n; ++i) dst[i] = D::store(S::load(src[i]));
}

#include "fp8.inc"

}  // namespace

ConvertFn convert_kernel_scalar(lb_dtype src, lb_dtype dst) { LB_CONVERT_PAIRS(src, dst); }
ConvertFn fp8_kernel_scalar(lb_dtype src, lb_dtype dst, bool saturate) { return fp8_kernel(src, dst, saturate); }

}  // namespace lb::cpu
