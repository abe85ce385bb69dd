// Picks the convert kernel of the active ISA and spreads it over the thread pool.
#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "../simd/streaming.h"
#include "convert.h"

namespace lb::cpu {

ConvertFn convert_kernel(lb_dtype src, lb_dtype dst, bool saturate, bool stream) {
  const bool fp8 = src == LB_DTYPE_FP8_E4M3 || src == LB_DTYPE_FP8_E5M2 || dst == LB_DTYPE_FP8_E4M3 || dst == LB_DTYPE_FP8_E5M2;
  switch (current_isa()) {
    case LB_ISA_AVX512: return fp8 ? fp8_kernel_avx512(src, dst, saturate, stream) : convert_kernel_avx512(src, dst, stream);
    case LB_ISA_AVX2: return fp8 ? fp8_kernel_avx2(src, dst, saturate, stream) : convert_kernel_avx2(src, dst, stream);
    default: return fp8 ? fp8_kernel_scalar(src, dst, saturate) : convert_kernel_scalar(src, dst);
  }
}

namespace {

int dtype_size(lb_dtype t) { return t == LB_DTYPE_F32 ? 4 : (t == LB_DTYPE_F16 || t == LB_DTYPE_BF16) ? 2 : 1; }
}  // namespace

void convert(const void *src, lb_dtype src_dtype, void *dst, lb_dtype dst_dtype, int64_t count, bool saturate) {
  const int ss = dtype_size(src_dtype), ds = dtype_size(dst_dtype);
  // Streamed output (simd/streaming.h): f32 -> bf16 from 1 GiB, in-process A/B: 1.16-1.17 -> 1.41-1.45 of
  // the copy (which pays the read-for-ownership itself).
  const bool stream = count * ds >= kStreamBytes;
  const ConvertFn fn = convert_kernel(src_dtype, dst_dtype, saturate, stream);
  const char *s = static_cast<const char *>(src);
  char *d = static_cast<char *>(dst);
  // 64 Ki elements per chunk: big enough that scheduling is noise, small enough to balance.
  parallel_for(count, 1 << 16, [&](int64_t begin, int64_t end) {
    fn(s + begin * ss, d + begin * ds, end - begin);
    fence_streamed(stream);
  });
}

}  // namespace lb::cpu
