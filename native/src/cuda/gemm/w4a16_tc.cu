// W4A16 on tensor cores (sm_80+): F16 / BF16 activations x 4-bit weights in lowbit.h's packed
// W4A16 layout, for 2 <= m (the decode and small-batch sizes the CUDA-core kernel in w4a16.cu is
// too slow for beyond a few rows; m = 1 stays there, it streams the weights without mma).
// WRITTEN WITHOUT A GPU: compiled for sm_80 / sm_89 / sm_90a, its index maps checked on the host
// (w4a16_tc_layout_test), never run. GemmCudaTest.w4a16IsCloseToTheCpu covers it.
//
// Operands are swapped (y^T = W . x^T, w4a16_tc_layout.h): each warp owns one packed 16-column
// block, the mma's A, and up to 8 tiles of 8 rows of x are its B operands, so one dequantized A
// fragment feeds up to 8 mma. A thread block is 4 warps (64 columns) x up to 64 rows of x, and k
// flows through a 4-stage cp.async pipeline of 64 k per stage (2 KiB of codes and up to 8 KiB of
// x), so ~6 KiB of weights per block are in flight while the warps multiply.
//
// Dequantization in registers: a byte of two codes becomes the 16-bit float pair {magic + u_lo,
// magic + u_hi} with one shift-or and one and-or, then one fma subtracts the magic: the tensor
// cores see the codes u (0..15) exactly. Zero points and scales are applied per fold unit (the
// weight group, or 256-ish pieces of a per-row group): y += scale . (acc - zero . sum x), with
// sum x per row and unit from a small kernel first. Products u . x are exact in f32, so the result
// agrees with the CPU's to f32 accumulation order (the test's bound).
//
// Split-K: when the column blocks x row tiles give fewer than 2 thread blocks per SM, k is cut at
// fold-unit boundaries over gridDim.z; each split writes f32 partial sums to a scratch buffer and a
// second kernel adds them in split order (deterministic), adds the bias and converts.
#include <algorithm>
#include <cstdint>

#include "../../common/float_io.h"
#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "ptx.cuh"
#include "row_sums.cuh"
#include "w4a16_tc.cuh"
#include "w4a16_tc_layout.h"

namespace lb::cuda {
namespace {

using namespace lb::cuda_w4tc;

struct TcW4A16Args {
  const uint8_t *x;       // [m, k] F16 / BF16, rows 16-byte aligned
  const uint8_t *codes;   // packed [n16][k/2][16]
  const float *scales;    // [n16][groups][16]
  const float *zeros;     // [n16][groups][16]
  const float *xsum;      // [m][units]: sum of each row of x over each fold unit
  const float *bias;      // [n] or null
  void *y;                // [m, n] (split == 1)
  lb_dtype y_dtype;
  float *partial;         // [splits][m][n] f32 (splits > 1), else null
  int64_t m, n, k, n16, group, groups, unit, units, split_k;
};

// Stage `kt` of this block's k range: the 4 column blocks' pair-rows and the x rows' chunks,
// zero-filled past n, m and the split's end (zero codes and zero x add nothing).
template <int kTiles>
__device__ __forceinline__ void load_stage(const TcW4A16Args &p, int64_t jb0, int64_t row0, int64_t k_begin, int64_t k_end, int kt,
                                           uint8_t *ws, uint8_t *xs) {
  const int64_t kb = k_begin + static_cast<int64_t>(kt) * kStageK;
  {  // 128 pair-rows: thread q copies pair-row q % 32 of block q / 32
    const int q = static_cast<int>(threadIdx.x), w = q >> 5, pr = q & 31;
    const int64_t jb = jb0 + w, pair = kb / 2 + pr;
    const bool valid = jb < p.n16 && 2 * pair < k_end;
    cp_async16(ws + w_byte(w, pr, 0), valid ? p.codes + (jb * (p.k / 2) + pair) * 16 : p.codes, valid);
  }
  for (int q = static_cast<int>(threadIdx.x); q < kTiles * 8 * kXChunks; q += kThreads) {
    const int r = q / kXChunks, c = q % kXChunks;
    const int64_t i = row0 + r, l = kb + 8 * c;
    const bool valid = i < p.m && l < k_end;  // k_end is a multiple of 16: chunks are whole
    cp_async16(xs + 16 * x_slot(r, c), valid ? p.x + (i * p.k + l) * 2 : p.x, valid);
  }
}

// The B registers of x tiles `tile` (and `tile + 1` when kPair) for k16 step s.
template <bool kPair>
__device__ __forceinline__ void x_fragments(const uint8_t *xs, int tile, int s, int lane, uint32_t (&b)[4]) {
  const uint8_t *row = xs + 16 * x_slot(ldm_row(tile, lane & (kPair ? 31 : 15)), ldm_chunk(s, lane));
  if constexpr (kPair) {
    ldmatrix_x4(b, row);
  } else {
    uint32_t two[2];
    ldmatrix_x2(two, row);
    b[0] = two[0];
    b[1] = two[1];
  }
}

template <bool kBF16, int kTiles>
__global__ void __launch_bounds__(kThreads) w4a16_tc_kernel(TcW4A16Args p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  __shared__ __align__(16) uint8_t Ws[kStages][kWStageBytes];
  __shared__ __align__(16) uint8_t Xs[kStages][kTiles * 8 * kXChunks * 16];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int64_t jb0 = static_cast<int64_t>(blockIdx.x) * kWarps, jb = jb0 + warp;
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * kTiles * 8;
  const int64_t k_begin = static_cast<int64_t>(blockIdx.z) * p.split_k, k_end = std::min(p.k, k_begin + p.split_k);
  const int stages = static_cast<int>((k_end - k_begin + kStageK - 1) / kStageK);
  const bool active = jb < p.n16;  // warps past n still load and wait with the block
  constexpr uint32_t kMagic = kBF16 ? kBF16Magic : kF16Magic;
  const uint32_t neg_magic = kMagic | 0x80008000u;

  float acc[kTiles][4], total[kTiles][4];
#pragma unroll
  for (int mt = 0; mt < kTiles; ++mt)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[mt][e] = total[mt][e] = 0.0f;

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {  // one commit per stage even past the end (as tc_gemm)
    if (s < stages) load_stage<kTiles>(p, jb0, row0, k_begin, k_end, s, Ws[s], Xs[s]);
    cp_async_commit();
  }
  for (int kt = 0; kt < stages; ++kt) {
    cp_async_wait<kStages - 2>();
    __syncthreads();
    const int next = kt + kStages - 1;
    if (next < stages) load_stage<kTiles>(p, jb0, row0, k_begin, k_end, next, Ws[next % kStages], Xs[next % kStages]);
    cp_async_commit();
    if (!active) continue;

    const uint8_t *ws = Ws[kt % kStages], *xs = Xs[kt % kStages];
#pragma unroll
    for (int s = 0; s < kStageK / 16; ++s) {
      const int64_t k16 = k_begin + static_cast<int64_t>(kt) * kStageK + 16 * s;
      if (k16 >= k_end) break;
      uint32_t a[4];
#pragma unroll
      for (int h = 0; h < 2; ++h) {  // pair-rows t and t + 4 of the step: registers 2h, 2h + 1
        const uint32_t v = *reinterpret_cast<const uint16_t *>(ws + w_byte(warp, 8 * s + a_pair(t, 2 * h), 2 * g));
        a[2 * h] = fma_one_x2<kBF16>(biased_pair(v, 0, kMagic), neg_magic);
        a[2 * h + 1] = fma_one_x2<kBF16>(biased_pair(v, 1, kMagic), neg_magic);
      }
#pragma unroll
      for (int mt = 0; mt < kTiles; mt += 2) {
        uint32_t b[4];
        x_fragments<(kTiles > 1)>(xs, mt, s, lane, b);
        const uint32_t b_lo[2] = {b[0], b[1]}, b_hi[2] = {b[2], b[3]};
        mma_16816<kBF16>(acc[mt], a, b_lo);
        if constexpr (kTiles > 1) mma_16816<kBF16>(acc[mt + 1], a, b_hi);
      }
      if ((k16 + 16) % p.unit == 0) {  // end of a fold unit: take out the zero point, apply the scale
        const int64_t f = (k16 + 16) / p.unit - 1, grp = f * p.unit / p.group;
        const int64_t at = (jb * p.groups + grp) * 16 + 2 * g;  // columns 2g, 2g + 1 of the block
        const float2 sc = __ldg(reinterpret_cast<const float2 *>(p.scales + at));
        const float2 zp = __ldg(reinterpret_cast<const float2 *>(p.zeros + at));
#pragma unroll
        for (int mt = 0; mt < kTiles; ++mt)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int64_t i = row0 + 8 * mt + d_row(t, e);
            const float xsum = i < p.m ? __ldg(p.xsum + i * p.units + f) : 0.0f;
            const float scale = (e >> 1) ? sc.y : sc.x, zero = (e >> 1) ? zp.y : zp.x;
            total[mt][e] = fmaf(scale, fmaf(-zero, xsum, acc[mt][e]), total[mt][e]);
            acc[mt][e] = 0.0f;
          }
      }
    }
  }
  cp_async_wait<0>();
  if (!active) return;
#pragma unroll
  for (int mt = 0; mt < kTiles; ++mt)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      const int64_t i = row0 + 8 * mt + d_row(t, e), j = jb * 16 + d_col(g, e);
      if (i >= p.m || j >= p.n) continue;
      if (p.partial) {
        p.partial[(static_cast<int64_t>(blockIdx.z) * p.m + i) * p.n + j] = total[mt][e];
      } else {
        float v = total[mt][e];
        if (p.bias) v += p.bias[j];
        store_float(p.y, p.y_dtype, i * p.n + j, v);
      }
    }
#else
  __trap();
#endif
}

// y = the splits' partial sums added in split order (+ bias), converted.
__global__ void add_splits_kernel(const float *partial, int64_t splits, int64_t m, int64_t n, const float *bias, void *y,
                                  lb_dtype y_dtype) {
  const int64_t idx = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (idx >= m * n) return;
  float v = partial[idx];
  for (int64_t s = 1; s < splits; ++s) v += partial[s * m * n + idx];
  if (bias) v += bias[idx % n];
  store_float(y, y_dtype, idx, v);
}

template <bool kBF16>
cudaError_t launch_tiles(const TcW4A16Args &p, dim3 grid, int tiles, cudaStream_t s) {
  switch (tiles) {
    case 1: w4a16_tc_kernel<kBF16, 1><<<grid, kThreads, 0, s>>>(p); break;
    case 2: w4a16_tc_kernel<kBF16, 2><<<grid, kThreads, 0, s>>>(p); break;
    case 4: w4a16_tc_kernel<kBF16, 4><<<grid, kThreads, 0, s>>>(p); break;
    default: w4a16_tc_kernel<kBF16, 8><<<grid, kThreads, 0, s>>>(p); break;
  }
  return cudaGetLastError();
}

}  // namespace

bool w4a16_tc_applies(const void *x, lb_dtype x_dtype, int64_t m, int64_t k, int64_t group) {
  return (x_dtype == LB_DTYPE_F16 || x_dtype == LB_DTYPE_BF16) && m >= 2 && m <= int64_t{65535} * 64 && k % 16 == 0 &&
         group % 16 == 0 && (reinterpret_cast<uintptr_t>(x) & 15) == 0;
}

lb_status w4a16_tc_gemm(const void *x, lb_dtype x_dtype, const uint8_t *codes, const float *scales, const float *zeros,
                        const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k, int64_t group,
                        cudaStream_t s) {
  static const char *fn = "lb_w4a16_gemm";
  const int tiles = m <= 8 ? 1 : m <= 16 ? 2 : m <= 32 ? 4 : 8;
  const int64_t n16 = (n + 15) / 16, col_blocks = (n16 + kWarps - 1) / kWarps, row_tiles = (m + 8 * tiles - 1) / (8 * tiles);
  const int64_t unit = fold_unit(group), units = k / unit;
  // Split k (at fold units, each split at least ~256 k) until there are about 2 blocks per SM.
  const int64_t wanted = (2 * multiprocessor_count() + col_blocks * row_tiles - 1) / (col_blocks * row_tiles);
  int64_t splits = std::max<int64_t>(1, std::min({wanted, units, std::max<int64_t>(1, k / 256), int64_t{65535}}));
  const int64_t units_per_split = (units + splits - 1) / splits;
  splits = (units + units_per_split - 1) / units_per_split;

  float *xsum = nullptr, *partial = nullptr;
  if (lb_status st = check(cudaMallocAsync(reinterpret_cast<void **>(&xsum), static_cast<size_t>(m * units) * sizeof(float), s), fn,
                           "cudaMallocAsync of the row sums"))
    return st;
  if (splits > 1) {
    if (lb_status st = check(cudaMallocAsync(reinterpret_cast<void **>(&partial), static_cast<size_t>(splits * m * n) * sizeof(float), s),
                             fn, "cudaMallocAsync of the split-K partial sums")) {
      cudaFreeAsync(xsum, s);
      return st;
    }
  }
  launch_row_run_sums(FloatElements{x, x_dtype}, m, k, unit, xsum, s);
  cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) {
    const TcW4A16Args p{static_cast<const uint8_t *>(x), codes, scales, zeros, xsum, bias, y, y_dtype, partial,
                        m, n, k, n16, group, k / group, unit, units, units_per_split * unit};
    const dim3 grid(static_cast<unsigned>(col_blocks), static_cast<unsigned>(row_tiles), static_cast<unsigned>(splits));
    err = x_dtype == LB_DTYPE_BF16 ? launch_tiles<true>(p, grid, tiles, s) : launch_tiles<false>(p, grid, tiles, s);
  }
  if (err == cudaSuccess && partial) {
    add_splits_kernel<<<static_cast<unsigned>((m * n + 255) / 256), 256, 0, s>>>(partial, splits, m, n, bias, y, y_dtype);
    err = cudaGetLastError();
  }
  cudaFreeAsync(xsum, s);  // stream-ordered: after the kernels
  if (partial) cudaFreeAsync(partial, s);
  return check(err, fn, "kernel launch");
}

}  // namespace lb::cuda
