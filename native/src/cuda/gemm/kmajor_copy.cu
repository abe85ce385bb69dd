// lowbit.h's packed W8A8 / FP8 weights -> B [n][k] row-major (kmajor_copy.cuh). One thread per column
// block and 16 k: the block's 256 contiguous bytes for those k (8 rows of FP8 pairs or 4 rows of int8
// quads, 16 columns a row) in, each of the 16 columns' 16 bytes out (wg_layout.h's kmajor_pair_word /
// kmajor_quad_word), so consecutive threads write consecutive 16 bytes of a row.
#include "kmajor_copy.cuh"

#include <cstdlib>
#include <map>
#include <mutex>
#include <tuple>

#include "wg_layout.h"

namespace lb::cuda {
namespace {

template <PackedForm kForm>
__global__ void kmajor_copy_kernel(const uint8_t *packed, int64_t n, int64_t k, int64_t items, uint8_t *out) {
  const int64_t id = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (id >= items) return;
  const int64_t chunks = k / 16, jb = id / chunks, c = id % chunks;
  // Column block jb's 16 k from 16 c: byte 256 c of its run (k * 16 bytes in either form).
  const uint4 *src = reinterpret_cast<const uint4 *>(packed + jb * k * 16 + 256 * c);
  uint32_t in[8][8];  // 8 rows of 32 bytes (pairs); quads: 4 rows of 64 bytes as rows 2r, 2r + 1
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
    uint32_t w[4];
#pragma unroll
    for (int q = 0; q < 4; ++q) w[q] = kForm == PackedForm::kPairs ? lb::cuda_wg::kmajor_pair_word(in, jj, q) : lb::cuda_wg::kmajor_quad_word(in, jj, q);
    *reinterpret_cast<uint4 *>(out + j * k + 16 * c) = make_uint4(w[0], w[1], w[2], w[3]);
  }
}

}  // namespace

cudaError_t packed_to_kmajor(PackedForm form, const uint8_t *packed, int64_t n, int64_t k, uint8_t *out, cudaStream_t s) {
  const int64_t items = (n + 15) / 16 * (k / 16);
  if (items == 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const unsigned blocks = static_cast<unsigned>((items + kThreads - 1) / kThreads);
  if (form == PackedForm::kPairs) kmajor_copy_kernel<PackedForm::kPairs><<<blocks, kThreads, 0, s>>>(packed, n, k, items, out);
  else kmajor_copy_kernel<PackedForm::kQuads><<<blocks, kThreads, 0, s>>>(packed, n, k, items, out);
  return cudaGetLastError();
}

int kmajor_mode(int64_t m, int64_t n, int64_t k) {
  const char *v = std::getenv("LOWBIT_CUDA_KMAJOR");
  if (v && v[0] >= '0' && v[0] <= '2' && v[1] == '\0') return v[0] - '0';
  return m >= kKMajorMinRows && n * k >= kKMajorMinWeights ? 1 : 0;
}

const uint8_t *kept_kmajor(PackedForm form, const uint8_t *packed, int64_t n, int64_t k, cudaStream_t s, cudaError_t *err) {
  static std::mutex mutex;
  static std::map<std::tuple<int, PackedForm, const uint8_t *, int64_t, int64_t>, uint8_t *> kept;
  int device = 0;
  if ((*err = cudaGetDevice(&device)) != cudaSuccess) return nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  uint8_t *&slot = kept[{device, form, packed, n, k}];
  if (!slot) {
    void *copy = nullptr;
    if ((*err = cudaMalloc(&copy, static_cast<size_t>(n) * static_cast<size_t>(k))) != cudaSuccess) return nullptr;
    // Waited for once, so that a call on another stream never finds the copy unfinished.
    if ((*err = packed_to_kmajor(form, packed, n, k, static_cast<uint8_t *>(copy), s)) != cudaSuccess ||
        (*err = cudaStreamSynchronize(s)) != cudaSuccess) {
      cudaFree(copy);
      return nullptr;
    }
    slot = static_cast<uint8_t *>(copy);
  }
  return slot;
}

}  // namespace lb::cuda
