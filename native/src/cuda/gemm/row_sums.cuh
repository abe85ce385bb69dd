// Sums of each row of an activation matrix over consecutive runs of `run` elements, in f32 and
// ascending order: the sum of x that takes the zero points out of the 4-bit GEMMs' sums of codes
// times activations (W4A8: one per weight group, lowbit.h's asum_g; W4A16 on tensor cores: one
// per fold unit).
#pragma once
#include <cstdint>

#include "../../common/float_io.h"
#include "../../common/fp8.h"
#include "../../common/host_device.h"

namespace lb::cuda {

// Element i of a row-major F32 / F16 / BF16 matrix as f32.
struct FloatElements {
  const void *x;
  lb_dtype dtype;
  __device__ float operator()(int64_t i) const { return load_float(x, dtype, i); }
};

// Element i of an E4M3 / E5M2 matrix, decoded.
struct Fp8Elements {
  const uint8_t *a;
  bool e5m2;
  __device__ float operator()(int64_t i) const { return e5m2 ? e5m2_to_f32(a[i]) : e4m3_to_f32(a[i]); }
};

// One thread a run, its loads one after another. ncu (caches flushed) timed a W4A16 m = 16, k = 4096
// call's sums at 20 us, but a version staging coalesced pieces in shared memory (32 loads a thread
// in flight) made the whole GEMM slower in CUDA-graph replay on an H200, A/B in one run (0.26x vs
// 0.34x torch fp16; bench/results/2026-11-26-gpu-h200-decode-ab.log). Probably x, just written, is
// in L2 there, so these loads are short and the staged version's barriers cost more than they saved
// (not profiled). Keep this until a profile of the replayed graph says otherwise.
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
