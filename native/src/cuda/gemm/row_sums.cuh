// Sums of each row of an activation matrix over consecutive runs of `run` elements, in f32 and
// ascending order: the sum of x that takes the zero points out of the W4A8 128 x 128-tile GEMM's
// sums of codes times activations (w4a8.cu: one per weight group, lowbit.h's asum_g). The decode
// kernels of w4_tc.cu compute theirs on the tensor cores instead.
#pragma once
#include <cstdint>

#include "../../common/fp8.h"
#include "../../common/host_device.h"

namespace lb::cuda {

// Element i of an E4M3 / E5M2 matrix, decoded.
struct Fp8Elements {
  const uint8_t *a;
  bool e5m2;
  __device__ float operator()(int64_t i) const { return e5m2 ? e5m2_to_f32(a[i]) : e4m3_to_f32(a[i]); }
};

// One thread a run, its loads one after another: slow for long runs of few rows (ncu timed a
// W4A16 m = 16, k = 4096 call's sums at 20 us on an H200, when w4_tc.cu still used it), fine for the
// large m of the 128 x 128 tiles, where m x runs threads fill the GPU.
// sums[i][r] = x[i][r run] + ... + x[i][r run + run - 1] (f32, left to right), for k / run runs.
template <class Elements>
__global__ void row_run_sums_kernel(Elements x, int64_t m, int64_t k, int64_t run, float *sums) {
  const int64_t runs = k / run, t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= m * runs) return;
  const int64_t first = (t / runs) * k + (t % runs) * run;
  float s = 0.0f;
  for (int64_t l = 0; l < run; ++l) s = add_rn(s, x(first + l));
  sums[t] = s;
}

template <class Elements>
void launch_row_run_sums(Elements x, int64_t m, int64_t k, int64_t run, float *sums, cudaStream_t s) {
  const int64_t items = m * (k / run);
  row_run_sums_kernel<<<static_cast<unsigned>((items + 255) / 256), 256, 0, s>>>(x, m, k, run, sums);
}

}  // namespace lb::cuda
