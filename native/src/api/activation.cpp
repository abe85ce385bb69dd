// lb_gelu: check the arguments (pointers, size, overlap), then run the CPU or CUDA backend.
#include "cuda_call.h"
#include "../core/error.h"
#include "../cpu/activation/activation.h"
#include "checks.h"
#include "../cuda/activation/activation.cuh"

extern "C" {

LB_API lb_status lb_gelu(int32_t device, lb_stream stream, const float *x, int64_t n, float *out) {
  static const char *fn = "lb_gelu";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (!x || !out) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: x and out must not be NULL", fn);
  if (n < 0 || n > (int64_t{1} << 40)) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: n must be in 0..2^40, got %lld", fn, (long long)n);
  if (lb_status st = lb::check_overlap(fn, x, n * 4, out, n * 4, true)) return st;
  if (device != LB_DEVICE_CPU) {
    return lb::on_cuda(fn, device, stream, [&](cudaStream_t s) { return lb::cuda::gelu(x, n, out, stream, s); });
  }
  return lb::guard(fn, [&] {
    lb::cpu::gelu(x, n, out);
    return LB_OK;
  });
}

}  // extern "C"
