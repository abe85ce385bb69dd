// Hadamard transform on CUDA: one thread block per row, the row in shared memory as f32.
//   1. load: each thread takes groups of four consecutive elements (widened, random signs
//      applied), does the strides 1 and 2 of the 2^k part in registers and writes them to
//      shared memory;
//   2. the strides 4 .. c/2, one __syncthreads per stage, one butterfly per thread per pair;
//   3. store: the m-part (groups of four signed terms summed left to right, then the group sums;
//      core matrix from global memory, the same +-1 for every thread of a warp) or a plain read,
//      then scale, inverse signs, narrowing to y.
// The operations and their order are the CPU kernels' (cpu/hadamard/kernels.inc); __fadd_rn and
// __fsub_rn keep nvcc from contracting anything into an fma.
// Correctness-first: the shared-memory stages are the planned place for warp shuffles and
// register tiling once this can be measured on a GPU.
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>

#include "../../common/float_io.h"
#include "../../common/hadamard.h"
#include "../../core/error.h"
#include "../../core/hadamard_orders.h"
#include "../quant/quant.cuh"
#include "../runtime/runtime.h"
#include "hadamard.cuh"

namespace lb::cuda {
namespace {

__device__ __forceinline__ float signed_value(float v, uint64_t seed, int64_t i) {
  return ((hadamard_sign_word(seed, i >> 6) >> (i & 63)) & 1) ? -v : v;
}

struct Launch {
  int64_t n, m, c;
  const int8_t *core;  // device, m x m (transposed for the inverse); nullptr when m == 1
  float scale;
  uint64_t seed;
  bool signs, inverse;
};

__global__ void transform_kernel(Launch L, const void *x, lb_dtype xt, void *y, lb_dtype yt) {
  extern __shared__ float row[];
  const int64_t n = L.n, c = L.c, base = static_cast<int64_t>(blockIdx.x) * n;
  const int g = n < 4 ? static_cast<int>(n) : 4;  // n is 1, 2 or a multiple of 4
  // 1. Load groups of g, strides 1 and 2 (those below c) in registers.
  for (int64_t i = static_cast<int64_t>(threadIdx.x) * g; i < n; i += static_cast<int64_t>(blockDim.x) * g) {
    float v[4];
    for (int j = 0; j < g; ++j) {
      v[j] = load_float(x, xt, base + i + j);
      if (L.signs && !L.inverse) v[j] = signed_value(v[j], L.seed, i + j);
    }
    for (int s = 1; s < g && s < c; s <<= 1)
      for (int j = 0; j < g; ++j)
        if (!(j & s)) {
          const float a = v[j], b = v[j + s];
          v[j] = __fadd_rn(a, b);
          v[j + s] = __fsub_rn(a, b);
        }
    for (int j = 0; j < g; ++j) row[i + j] = v[j];
  }
  __syncthreads();
  // 2. Strides 4 .. c/2 in shared memory. Pairs never cross a chunk: 2s divides c.
  for (int64_t s = 4; s < c; s <<= 1) {
    for (int64_t p = threadIdx.x; p < n / 2; p += blockDim.x) {
      const int64_t lo = (p / s) * 2 * s + p % s;
      const float a = row[lo], b = row[lo + s];
      row[lo] = __fadd_rn(a, b);
      row[lo + s] = __fsub_rn(a, b);
    }
    __syncthreads();
  }
  // 3. m-part, scale, inverse signs, store.
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    float v;
    if (L.m > 1) {
      const int64_t a = i / c, b = i % c;
      // Groups of four signed terms summed left to right, group sums added left to right.
      for (int64_t g = 0; g < L.m / 4; ++g) {
        const int8_t *h = L.core + a * L.m + 4 * g;
        const float *t = row + 4 * g * c + b;
        float s = h[0] > 0 ? t[0] : -t[0];
        for (int j = 1; j < 4; ++j) s = h[j] > 0 ? __fadd_rn(s, t[j * c]) : __fsub_rn(s, t[j * c]);
        v = g == 0 ? s : __fadd_rn(v, s);
      }
    } else {
      v = row[i];
    }
    if (L.scale != 1.0f) v = __fmul_rn(v, L.scale);
    if (L.signs && L.inverse) v = signed_value(v, L.seed, i);
    store_float(y, yt, base + i, v);
  }
}

// Core matrices on each device, uploaded once and kept for the life of the process.
std::mutex cores_mutex;
std::map<std::tuple<int, int64_t, bool>, int8_t *> cores;

lb_status device_core(const char *fn, int64_t m, bool transposed, const int8_t **out) {
  int device = 0;
  if (lb_status st = check(cudaGetDevice(&device), fn, "cudaGetDevice")) return st;
  std::lock_guard<std::mutex> lock(cores_mutex);
  int8_t *&slot = cores[{device, m, transposed}];
  if (!slot) {
    const int8_t *h = hadamard_core(m);
    std::unique_ptr<int8_t[]> host(new int8_t[m * m]);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j) host[i * m + j] = transposed ? h[j * m + i] : h[i * m + j];
    int8_t *d = nullptr;
    if (lb_status st = check(cudaMalloc(reinterpret_cast<void **>(&d), m * m), fn, "cudaMalloc")) return st;
    if (lb_status st = check(cudaMemcpy(d, host.get(), m * m, cudaMemcpyHostToDevice), fn, "cudaMemcpy")) {
      cudaFree(d);
      return st;
    }
    slot = d;
  }
  *out = slot;
  return LB_OK;
}

lb_status launch(const char *fn, const lb_hadamard_params &p, const void *x, lb_dtype xt, void *y, lb_dtype yt,
                 int64_t rows, cudaStream_t s) {
  Launch L{};
  int k = 0;
  hadamard_split(p.n, &L.m, &k);
  L.n = p.n;
  L.c = p.n / L.m;
  L.seed = p.seed;
  L.signs = (p.flags & LB_HADAMARD_RANDOM_SIGNS) != 0;
  L.inverse = (p.flags & LB_HADAMARD_INVERSE) != 0;
  const bool normalize = (p.flags & LB_HADAMARD_NORMALIZE) != 0;
  L.scale = normalize ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(p.n)))
                      : (L.inverse ? static_cast<float>(1.0 / static_cast<double>(p.n)) : 1.0f);
  if (L.m > 1)
    if (lb_status st = device_core(fn, L.m, L.inverse, &L.core)) return st;
  const size_t smem = static_cast<size_t>(p.n) * sizeof(float);
  if (smem > 48 * 1024)
    if (lb_status st = check(cudaFuncSetAttribute(transform_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                  static_cast<int>(smem)),
                             fn, "cudaFuncSetAttribute"))
      return st;
  const int64_t groups = (p.n + 3) / 4;
  const int threads = groups >= 256 ? 256 : static_cast<int>((groups + 31) / 32 * 32);
  for (int64_t r0 = 0; r0 < rows; r0 += 65535 * 1024LL) {  // grid.x limit, far above real batches
    const int64_t chunk = rows - r0 < 65535 * 1024LL ? rows - r0 : 65535 * 1024LL;
    const char *xs = static_cast<const char *>(x) + r0 * p.n * (xt == LB_DTYPE_F32 ? 4 : 2);
    char *ys = static_cast<char *>(y) + r0 * p.n * (yt == LB_DTYPE_F32 ? 4 : 2);
    transform_kernel<<<static_cast<unsigned int>(chunk), threads, smem, s>>>(L, xs, xt, ys, yt);
  }
  return LB_OK;
}

}  // namespace

lb_status hadamard_transform(const lb_hadamard_params &p, const void *x, lb_dtype x_dtype, void *y, lb_dtype y_dtype,
                             int64_t rows, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_hadamard_transform";
  if (lb_status st = launch(fn, p, x, x_dtype, y, y_dtype, rows, s)) return st;
  return finish_launch(fn, stream);
}

lb_status hadamard_quantize(const lb_hadamard_params &p, const lb_quant_params &quant, const void *x, lb_dtype x_dtype,
                            int64_t rows, void *q, void *scales, void *zeros, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_hadamard_quantize";
  float *rotated = nullptr;
  const size_t bytes = static_cast<size_t>(rows * p.n) * sizeof(float);
  if (lb_status st = check(cudaMallocAsync(reinterpret_cast<void **>(&rotated), bytes, s), fn, "cudaMallocAsync")) return st;
  lb_status st = launch(fn, p, x, x_dtype, rotated, LB_DTYPE_F32, rows, s);
  if (st == LB_OK) st = check(cudaGetLastError(), fn, "kernel launch");
  if (st == LB_OK) st = quantize(quant, rotated, LB_DTYPE_F32, rows, p.n, q, scales, zeros, stream, s);
  cudaFreeAsync(rotated, s);
  return st;
}

}  // namespace lb::cuda
