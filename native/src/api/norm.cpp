// lb_layer_norm: check the arguments (pointers, sizes, eps, overlap), then run the CPU or CUDA backend.
#include "cuda_call.h"
#include "../core/error.h"
#include "../cpu/norm/norm.h"
#include "checks.h"
#include "../cuda/norm/norm.cuh"

extern "C" {

LB_API lb_status lb_layer_norm(int32_t device, lb_stream stream, const float *x, const float *residual, const float *gamma,
                               const float *beta, float eps, int64_t rows, int64_t cols, float *out) {
  static const char *fn = "lb_layer_norm";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (!x || !gamma || !out) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: x, gamma and out must not be NULL", fn);
  if (rows < 0 || cols < 1 || cols > (int64_t{1} << 30) || rows > (int64_t{1} << 40) / cols)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: needs rows >= 0 and 1 <= cols <= 2^30 (rows * cols <= 2^40); got %lld x %lld", fn,
                    (long long)rows, (long long)cols);
  if (!(eps >= 0.0f) || !(eps < 3.4e38f)) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: eps must be finite and >= 0, got %g", fn, eps);
  const int64_t bytes = rows * cols * 4;
  if (lb_status st = lb::check_overlap(fn, x, bytes, out, bytes, true)) return st;
  if (residual) {
    if (lb_status st = lb::check_overlap(fn, residual, bytes, out, bytes, true)) return st;
  }
  for (const float *p : {gamma, beta}) {
    if (!p) continue;
    if (lb_status st = lb::check_overlap(fn, p, cols * 4, out, bytes, false)) return st;
  }
  if (device != LB_DEVICE_CPU) {
    return lb::on_cuda(fn, device, stream,
                       [&](cudaStream_t s) { return lb::cuda::layer_norm(x, residual, gamma, beta, eps, rows, cols, out, stream, s); });
  }
  return lb::guard(fn, [&] {
    lb::cpu::layer_norm(x, residual, gamma, beta, eps, rows, cols, out);
    return LB_OK;
  });
}

}  // extern "C"
