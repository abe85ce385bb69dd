// Split-K for the tensor-core GEMMs (tc_gemm.cuh's 128 x 128 tiles, w4_tc.cu's decode kernels):
// how many ranges to cut k into when the output tiles alone leave SMs idle, and the kernel that
// adds the ranges' partial sums in a fixed order (deterministic) and runs the GEMM's epilogue.
#pragma once
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "../../common/host_device.h"
#include "../runtime/runtime.h"

namespace lb::cuda {

// k is `granules` indivisible pieces (stages, scale blocks, weight groups...) and each range runs
// on `blocks` thread blocks: split until there are about blocks_per_sm blocks per SM (2 for the big
// tiles, of which an SM holds one or two; more for small decode blocks, whose weight streams need
// many in flight), at most max_splits, and with no range empty.
struct SplitK {
  int64_t splits, granules_per_split;
};
inline SplitK choose_split_k(int64_t blocks, int64_t granules, int64_t max_splits, int64_t blocks_per_sm = 2) {
  const int64_t wanted = blocks_per_sm * multiprocessor_count();
  const int64_t splits = blocks < wanted ? std::max<int64_t>(1, std::min((wanted + blocks - 1) / blocks, max_splits)) : 1;
  const int64_t per = (granules + splits - 1) / splits;
  return {(granules + per - 1) / per, per};
}

// finish(i, j, sum) for every output of an [m, n] result, sum = the ranges' raw sums of (i, j)
// ([splits][m][n]) added in range order: int32 exactly, f32 rounded at each step.
template <class Raw, class Finish>
__global__ void add_split_sums_kernel(const Raw *partial, int64_t splits, int64_t m, int64_t n, Finish finish) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= m * n) return;
  Raw v = partial[idx];
  for (int64_t z = 1; z < splits; ++z) {
    if constexpr (std::is_same_v<Raw, float>) v = add_rn(v, partial[z * m * n + idx]);
    else v += partial[z * m * n + idx];
  }
  finish(idx / n, idx % n, v);
}

template <class Raw, class Finish>
cudaError_t launch_add_split_sums(const Raw *partial, int64_t splits, int64_t m, int64_t n, Finish finish, cudaStream_t s) {
  add_split_sums_kernel<Raw, Finish><<<static_cast<unsigned>((m * n + 255) / 256), 256, 0, s>>>(partial, splits, m, n, finish);
  return cudaGetLastError();
}

}  // namespace lb::cuda
