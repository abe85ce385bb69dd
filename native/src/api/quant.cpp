// lb_quantize / lb_dequantize: checks the parameters, then runs the CPU or the CUDA backend.
#include "build_config.h"

#include "../core/error.h"
#include "../cpu/quant/quant.h"
#include "checks.h"
#if LOWBIT_WITH_CUDA
#  include "../cuda/quant/quant.cuh"
#  include "../cuda/runtime/runtime.h"
#endif

extern "C" {

LB_API lb_status lb_quantize(int32_t device, lb_stream stream, const lb_quant_params *params, const void *x,
                             lb_dtype x_dtype, int64_t rows, int64_t cols, void *q, void *scales, void *zeros) {
  static const char *fn = "lb_quantize";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (lb_status st = lb::check_quant_params(fn, params, x_dtype, "x_dtype", rows, cols, x, q, scales, zeros)) return st;
  if (device == LB_DEVICE_CPU)
    return lb::guard(fn, [&] { return lb::cpu::quantize(*params, x, x_dtype, rows, cols, q, scales, zeros); });
#if LOWBIT_WITH_CUDA
  cudaStream_t s;
  if (lb_status st = lb::cuda::use_device(fn, device, stream, &s)) return st;
  return lb::guard(fn, [&] { return lb::cuda::quantize(*params, x, x_dtype, rows, cols, q, scales, zeros, stream, s); });
#else
  return lb::fail(LB_ERR_NO_CUDA, "%s: CUDA device %d requested, but %s", fn, device, lb_cuda_status());
#endif
}

LB_API lb_status lb_dequantize(int32_t device, lb_stream stream, const lb_quant_params *params, const void *q,
                               const void *scales, const void *zeros, int64_t rows, int64_t cols, void *y,
                               lb_dtype y_dtype) {
  static const char *fn = "lb_dequantize";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (lb_status st = lb::check_quant_params(fn, params, y_dtype, "y_dtype", rows, cols, y, q, scales, zeros)) return st;
  if (device == LB_DEVICE_CPU)
    return lb::guard(fn, [&] { return lb::cpu::dequantize(*params, q, scales, zeros, rows, cols, y, y_dtype); });
#if LOWBIT_WITH_CUDA
  cudaStream_t s;
  if (lb_status st = lb::cuda::use_device(fn, device, stream, &s)) return st;
  return lb::guard(fn, [&] { return lb::cuda::dequantize(*params, q, scales, zeros, rows, cols, y, y_dtype, stream, s); });
#else
  return lb::fail(LB_ERR_NO_CUDA, "%s: CUDA device %d requested, but %s", fn, device, lb_cuda_status());
#endif
}

}  // extern "C"
