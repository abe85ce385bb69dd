// lowbit.h's packed FP8 pairs -> B [n][k] row-major (fp8_kmajor.cuh). One thread per column block
// and 16 k: 8 k-pair rows (256 contiguous bytes: the pair words) in, each of the 16 columns' 16
// bytes out (wg_layout.h's kmajor_word), so consecutive threads write consecutive 16 bytes of a row.
#include "fp8_kmajor.cuh"
#include "wg_layout.h"

namespace lb::cuda {
namespace {

__global__ void fp8_kmajor_kernel(const uint8_t *packed, int64_t n, int64_t k, int64_t items, uint8_t *out) {
  const int64_t id = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (id >= items) return;
  const int64_t chunks = k / 16, jb = id / chunks, c = id % chunks;
  const uint4 *src = reinterpret_cast<const uint4 *>(packed + (jb * (k / 2) + 8 * c) * 32);
  uint32_t in[8][8];
#pragma unroll
  for (int p = 0; p < 8; ++p) {
    const uint4 lo = src[2 * p], hi = src[2 * p + 1];
    in[p][0] = lo.x, in[p][1] = lo.y, in[p][2] = lo.z, in[p][3] = lo.w;
    in[p][4] = hi.x, in[p][5] = hi.y, in[p][6] = hi.z, in[p][7] = hi.w;
  }
#pragma unroll
  for (int jj = 0; jj < 16; ++jj) {
    const int64_t j = 16 * jb + jj;
    if (j >= n) break;
    using lb::cuda_wg::kmajor_word;
    *reinterpret_cast<uint4 *>(out + j * k + 16 * c) = make_uint4(kmajor_word(in, jj, 0), kmajor_word(in, jj, 1), kmajor_word(in, jj, 2), kmajor_word(in, jj, 3));
  }
}

}  // namespace

cudaError_t fp8_pairs_to_kmajor(const uint8_t *packed, int64_t n, int64_t k, uint8_t *out, cudaStream_t s) {
  const int64_t items = (n + 15) / 16 * (k / 16);
  if (items == 0) return cudaSuccess;
  constexpr int kThreads = 256;
  fp8_kmajor_kernel<<<static_cast<unsigned>((items + kThreads - 1) / kThreads), kThreads, 0, s>>>(packed, n, k, items, out);
  return cudaGetLastError();
}

}  // namespace lb::cuda
