// Layer norm on CUDA with the CPU kernel's arithmetic (cpu/norm/kernels.inc), so both give the same
// bits: 16 threads per row, thread u summing columns u, u + 16, ... in order exactly like the CPU's
// lane u; the 16 lane sums added in lane order (every thread of the row does it, from shuffles);
// two passes (mean, then squared deviations), then common/norm.h's per-element step. The row is
// re-read from L1/L2 between passes. 8 rows per block of 128 threads.
#include <cstdint>

#include "../../common/norm.h"
#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "norm.cuh"

namespace lb::cuda {
namespace {

constexpr int kLanes = kLayerNormLanes;
constexpr int kRowsPerBlock = 8;

// The 16 lanes' values added in lane order (0 + v0 + v1 + ... + v15), the same in every lane: the
// CPU's final loop over its lane array.
__device__ __forceinline__ float ordered_lane_sum(float v, unsigned mask, int base) {
  float s = 0.0f;
#pragma unroll
  for (int u = 0; u < kLanes; ++u) s = add_rn(s, __shfl_sync(mask, v, base + u));
  return s;
}

__global__ void layer_norm_kernel(const float *x, const float *residual, const float *gamma, const float *beta, float eps, int64_t rows,
                                  int64_t cols, float *out) {
  const int lane = threadIdx.x & 31, u = threadIdx.x % kLanes;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kLanes;
  // The two rows of a warp use disjoint halves: shuffles stay within the row's 16 lanes.
  const unsigned mask = lane < kLanes ? 0x0000ffffu : 0xffff0000u;
  const int base = lane & ~(kLanes - 1);
  if (r >= rows) return;  // whole half-warps leave together (rows are 16 threads)
  const float *xr = x + r * cols;
  float *o = out + r * cols;
  if (residual) {  // o = x + residual first: the sum is what gets normalised (o may be x)
    const float *rr = residual + r * cols;
    for (int64_t j = u; j < cols; j += kLanes) o[j] = add_rn(xr[j], rr[j]);
    xr = o;  // this thread reads back only the columns it wrote
  }
  float lane_sum = 0.0f;
  for (int64_t j = u; j < cols; j += kLanes) lane_sum = add_rn(lane_sum, xr[j]);
  const float mean = div_rn(ordered_lane_sum(lane_sum, mask, base), static_cast<float>(cols));
  float lane_sq = 0.0f;
  for (int64_t j = u; j < cols; j += kLanes) {
    const float c = xr[j] - mean;
    lane_sq = add_rn(lane_sq, mul_rn(c, c));
  }
  const float var = div_rn(ordered_lane_sum(lane_sq, mask, base), static_cast<float>(cols));
  const float inv = div_rn(1.0f, sqrtf(add_rn(var, eps)));
  for (int64_t j = u; j < cols; j += kLanes) {
    const float y = layer_norm_value(xr[j], mean, inv, gamma[j]);
    o[j] = beta ? add_rn(y, beta[j]) : y;
  }
}

}  // namespace

lb_status layer_norm(const float *x, const float *residual, const float *gamma, const float *beta, float eps, int64_t rows,
                     int64_t cols, float *out, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_layer_norm";
  for (int64_t r0 = 0; r0 < rows;) {  // gridDim.x is at most 2^31 - 1 blocks
    const int64_t chunk = rows - r0 < int64_t{1} << 33 ? rows - r0 : int64_t{1} << 33;
    const unsigned blocks = static_cast<unsigned>((chunk + kRowsPerBlock - 1) / kRowsPerBlock);
    layer_norm_kernel<<<blocks, kLanes * kRowsPerBlock, 0, s>>>(x + r0 * cols, residual ? residual + r0 * cols : nullptr, gamma, beta,
                                                                 eps, chunk, cols, out + r0 * cols);
    if (lb_status st = check(cudaGetLastError(), fn, "kernel launch")) return st;
    r0 += chunk;
  }
  return finish_launch(fn, stream);
}

}  // namespace lb::cuda
