// GELU on CUDA: common/gelu.h per element (the function the CPU kernels vectorise), grid-stride,
// four elements per thread per step through float4 where the pointers allow (memory-bound).
#include <cstdint>

#include "../../common/gelu.h"
#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "activation.cuh"

namespace lb::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void gelu_vec4_kernel(const float4 *x, int64_t n4, float4 *out) {
  for (int64_t i = blockIdx.x * int64_t{kThreads} + threadIdx.x; i < n4; i += int64_t{gridDim.x} * kThreads) {
    const float4 v = x[i];
    out[i] = make_float4(gelu_value(v.x), gelu_value(v.y), gelu_value(v.z), gelu_value(v.w));
  }
}

__global__ void gelu_kernel(const float *x, int64_t n, float *out) {
  for (int64_t i = blockIdx.x * int64_t{kThreads} + threadIdx.x; i < n; i += int64_t{gridDim.x} * kThreads) out[i] = gelu_value(x[i]);
}

}  // namespace

lb_status gelu(const float *x, int64_t n, float *out, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_gelu";
  if (n == 0) return LB_OK;
  const bool vec = (reinterpret_cast<uintptr_t>(x) & 15) == 0 && (reinterpret_cast<uintptr_t>(out) & 15) == 0;
  const int64_t n4 = vec ? n / 4 : 0, rest = n - 4 * n4;
  // Enough blocks to fill any current GPU several times over; the loops cover the rest.
  auto blocks = [](int64_t work) { return static_cast<unsigned>(work / kThreads + 1 < 65536 ? work / kThreads + 1 : 65536); };
  if (n4 > 0) gelu_vec4_kernel<<<blocks(n4), kThreads, 0, s>>>(reinterpret_cast<const float4 *>(x), n4, reinterpret_cast<float4 *>(out));
  if (rest > 0) gelu_kernel<<<blocks(rest), kThreads, 0, s>>>(x + 4 * n4, rest, out + 4 * n4);
  if (lb_status st = check(cudaGetLastError(), fn, "kernel launch")) return st;
  return finish_launch(fn, stream);
}

}  // namespace lb::cuda
