// lb_quantize / lb_dequantize: checks the parameters, then runs the CPU or the CUDA backend.
#include "build_config.h"

#include "../core/error.h"
#include "../cpu/quant/quant.h"
#include "checks.h"
#if LOWBIT_WITH_CUDA
#  include "../cuda/quant/quant.cuh"
#  include "../cuda/runtime/runtime.h"
#endif

namespace {

bool is_float(lb_dtype t) { return t == LB_DTYPE_F32 || t == LB_DTYPE_F16 || t == LB_DTYPE_BF16; }

lb_status check_params(const char *fn, const lb_quant_params *p, lb_dtype float_dtype, const char *float_name,
                       int64_t rows, int64_t cols, const void *x, const void *q, const void *scales, const void *zeros) {
  if (!p) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: params is NULL", fn);
  const lb_dtype t = p->qtype;
  if (t != LB_DTYPE_I8 && t != LB_DTYPE_I4 && t != LB_DTYPE_U4 && t != LB_DTYPE_FP8_E4M3 && t != LB_DTYPE_FP8_E5M2)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: qtype must be I8, I4, U4, FP8_E4M3 or FP8_E5M2, got %s", fn, lb::dtype_name(t));
  if (!is_float(p->scale_dtype))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: scale_dtype must be F32, F16 or BF16, got %s", fn, lb::dtype_name(p->scale_dtype));
  if (t == LB_DTYPE_U4 && p->zero_dtype != LB_DTYPE_U4 && p->zero_dtype != LB_DTYPE_F16)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: zero_dtype must be U4 or F16 for U4, got %s", fn, lb::dtype_name(p->zero_dtype));
  if (p->flags & ~(LB_QUANT_RESTRICT_RANGE | LB_QUANT_MSE_CLIP | LB_QUANT_POW2_SCALE))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: unknown flags 0x%x", fn, p->flags);
  if (!is_float(float_dtype))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: %s must be F32, F16 or BF16, got %s", fn, float_name, lb::dtype_name(float_dtype));
  if (rows <= 0 || cols <= 0)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: rows and cols must be > 0, got %lld x %lld", fn, (long long)rows, (long long)cols);
  if (p->block_rows <= 0 || p->block_cols <= 0 || rows % p->block_rows || cols % p->block_cols)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: a %lld x %lld matrix does not divide into %lld x %lld blocks", fn,
                    (long long)rows, (long long)cols, (long long)p->block_rows, (long long)p->block_cols);
  if ((t == LB_DTYPE_I4 || t == LB_DTYPE_U4) && cols % 2)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: %s packs two values per byte along a row, so cols must be even, got %lld", fn,
                    lb::dtype_name(t), (long long)cols);
  if (!x || !q || !scales) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: data, q and scales must not be NULL", fn);
  if (t == LB_DTYPE_U4 && !zeros) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: U4 needs zeros", fn);
  return LB_OK;
}

}  // namespace

extern "C" {

LB_API lb_status lb_quantize(int32_t device, lb_stream stream, const lb_quant_params *params, const void *x,
                             lb_dtype x_dtype, int64_t rows, int64_t cols, void *q, void *scales, void *zeros) {
  static const char *fn = "lb_quantize";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (lb_status st = check_params(fn, params, x_dtype, "x_dtype", rows, cols, x, q, scales, zeros)) return st;
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
  if (lb_status st = check_params(fn, params, y_dtype, "y_dtype", rows, cols, y, q, scales, zeros)) return st;
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
