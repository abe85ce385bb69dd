// lb_convert: checks arguments, then runs the CPU or the CUDA backend.
#include <cstring>

#include "build_config.h"

#include "../core/error.h"
#include "../cpu/convert/convert.h"
#include "checks.h"
#if LOWBIT_WITH_CUDA
#  include "../cuda/convert/convert.cuh"
#  include "../cuda/runtime/runtime.h"
#endif

namespace {
bool is_convertible(lb_dtype t) {
  return t == LB_DTYPE_F32 || t == LB_DTYPE_F16 || t == LB_DTYPE_BF16 || t == LB_DTYPE_FP8_E4M3 || t == LB_DTYPE_FP8_E5M2;
}
}  // namespace

extern "C" LB_API lb_status lb_convert(int32_t device, lb_stream stream, const void *src, lb_dtype src_dtype,
                                       void *dst, lb_dtype dst_dtype, int64_t count, int32_t flags) {
  static const char *fn = "lb_convert";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (!is_convertible(src_dtype) || !is_convertible(dst_dtype))
    return lb::fail(LB_ERR_UNSUPPORTED, "%s: converts between F32, F16, BF16, FP8_E4M3 and FP8_E5M2 only, got %s -> %s", fn,
                    lb::dtype_name(src_dtype), lb::dtype_name(dst_dtype));
  if (flags & ~LB_CONVERT_SATURATE) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: unknown flags 0x%x", fn, flags);
  const bool saturate = (flags & LB_CONVERT_SATURATE) != 0;
  if (count < 0) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: count must be >= 0, got %lld", fn, (long long)count);
  if (count > 0 && (!src || !dst)) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: src and dst must not be NULL", fn);
  const int64_t src_bytes = lb::dtype_bytes(src_dtype, count), dst_bytes = lb::dtype_bytes(dst_dtype, count);
  if (lb_status st = lb::check_overlap(fn, src, src_bytes, dst, dst_bytes, true)) return st;
  const bool same = src_dtype == dst_dtype;

  if (device == LB_DEVICE_CPU) {
    return lb::guard(fn, [&] {
      if (same) {
        if (src != dst) lb_cpu_copy(dst, src, src_bytes);
      } else {
        lb::cpu::convert(src, src_dtype, dst, dst_dtype, count, saturate);
      }
      return LB_OK;
    });
  }
#if LOWBIT_WITH_CUDA
  cudaStream_t s;
  if (lb_status st = lb::cuda::use_device(fn, device, stream, &s)) return st;
  if (count == 0) return LB_OK;
  if (same) {
    if (src == dst) return LB_OK;
    if (lb_status st = lb::cuda::check(cudaMemcpyAsync(dst, src, static_cast<size_t>(src_bytes), cudaMemcpyDeviceToDevice, s),
                                       fn, "cudaMemcpyAsync"))
      return st;
  } else {
    lb::cuda::launch_convert(src, src_dtype, dst, dst_dtype, count, saturate, s);
  }
  return lb::cuda::finish_launch(fn, stream);
#else
  return lb::fail(LB_ERR_NO_CUDA, "%s: CUDA device %d requested, but %s", fn, device, lb_cuda_status());
#endif
}
