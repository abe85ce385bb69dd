// W8A8 GEMM on int8 tensor cores (mma.sync m16n8k32, sm_80+; also what sm_89 and sm_90 run —
// Hopper's faster wgmma path is not written yet).
//
// Tiling: a thread block computes a 128 x 128 tile of D with 8 warps (2 along m x 4 along n, 64 x
// 32 each: 4 x 4 mma tiles of 16 x 8, 64 int32 accumulators per thread). k advances 64 at a time
// through a 3-stage cp.async pipeline (16 KiB of A and B per stage): while the warps multiply one
// stage, the copies of the next two are in flight. Shared memory is swizzled so fragment reads are
// free of bank conflicts (int8_tile_layout.h, checked by a host test).
//
// B is read in lowbit.h's packed layout, whose 16-column blocks hold each column's 4 k values of a
// quad in one 32-bit word — exactly an mma B-fragment register — and whose blocks are contiguous
// along k, so a stage of B is 8 runs of 1 KiB. The packed column sums (the CPU's VPDPBUSD
// correction) are not needed: the tensor cores multiply signed bytes.
//
// The epilogue repeats the CPU's operations in the CPU's order with no fused multiply-adds, so F32
// (and F16 / BF16, rounded by the same helpers) outputs equal the CPU's bit for bit, and I32 outputs
// are the exact sums on both.
#include <algorithm>
#include <cstdint>

#include "../../common/float_io.h"
#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "gemm.cuh"
#include "int8_tile_layout.h"
#include "ptx.cuh"

namespace lb::cuda {
namespace {

using namespace lb::cuda_int8;

struct Int8GemmArgs {
  const int8_t *a;
  const float *a_scales;
  const uint8_t *b;  // packed
  const float *b_scales, *bias;
  void *d;
  lb_dtype d_dtype;
  int64_t m, n, k;
  int64_t k4, n16;  // quads of k, 16-column blocks of the packed B
};

// 16 bytes from `src` with the ones at positions >= `valid` (0..16) read as zero, byte by byte:
// the path for operands whose rows are not 16-byte aligned.
__device__ __forceinline__ uint4 load16_bytes(const uint8_t *src, int valid) {
  uint32_t w[4] = {0, 0, 0, 0};
  for (int e = 0; e < valid; ++e) w[e >> 2] |= static_cast<uint32_t>(src[e]) << (8 * (e & 3));
  return make_uint4(w[0], w[1], w[2], w[3]);
}

// Stage `kt` (k values [64 kt, 64 kt + 64)) of the block's A rows [m0, m0 + 128) and packed
// column blocks [jb0, jb0 + 8) into shared memory; zeros past m, k and n. kAsync: cp.async of
// 16-byte chunks (A rows and both bases 16-byte aligned); otherwise ordinary loads.
template <bool kAsync>
__device__ __forceinline__ void load_stage(const Int8GemmArgs &p, int64_t m0, int64_t jb0, int kt, uint32_t *As,
                                           uint32_t *Bs) {
#pragma unroll
  for (int it = 0; it < 2; ++it) {
    const int q = static_cast<int>(threadIdx.x) + it * kThreads;  // 512 chunks of A, 512 of B
    {  // A: row q / 4, 16-byte chunk q % 4 (four threads read a row's 64 contiguous bytes)
      const int row = q >> 2, c = q & 3;
      const int64_t i = m0 + row, l = static_cast<int64_t>(kt) * kBK + c * 16;
      uint32_t *dst = As + a_word(row, c * 4);
      const bool inside = i < p.m && l < p.k;
      if (kAsync) {
        cp_async16(dst, inside ? p.a + i * p.k + l : p.a, inside);
      } else {
        const int valid = inside ? static_cast<int>(std::min<int64_t>(16, p.k - l)) : 0;
        *reinterpret_cast<uint4 *>(dst) = load16_bytes(reinterpret_cast<const uint8_t *>(p.a + i * p.k + l), valid);
      }
    }
    {  // B: column block q / 64, quad (q / 4) % 16, columns 4 (q % 4) .. + 3 (1 KiB runs per block)
      const int jb = q >> 6, kq = (q >> 2) & 15, c = q & 3;
      const int64_t gjb = jb0 + jb, gkq = static_cast<int64_t>(kt) * (kBK / 4) + kq;
      uint32_t *dst = Bs + b_word(jb, kq, c * 4);
      const bool inside = gjb < p.n16 && gkq < p.k4;
      const uint8_t *src = p.b + ((gjb * p.k4 + gkq) * 16 + c * 4) * 4;
      if (kAsync) cp_async16(dst, inside ? src : p.b, inside);
      else *reinterpret_cast<uint4 *>(dst) = load16_bytes(src, inside ? 16 : 0);
    }
  }
}

// One output element through the lowbit.h epilogue: I32 as is; otherwise ((float)acc * a_scale)
// * b_scale (+ bias), each step rounded (no FMA contraction), then narrowed like the CPU.
__device__ __forceinline__ void store_out(const Int8GemmArgs &p, int64_t i, int64_t j, int32_t acc) {
  if (i >= p.m || j >= p.n) return;
  if (p.d_dtype == LB_DTYPE_I32) {
    static_cast<int32_t *>(p.d)[i * p.n + j] = acc;
    return;
  }
  float v = mul_rn(mul_rn(static_cast<float>(acc), p.a_scales[i]), p.b_scales[j]);
  if (p.bias) v = add_rn(v, p.bias[j]);
  store_float(p.d, p.d_dtype, i * p.n + j, v);
}

template <bool kAsync>
__global__ void __launch_bounds__(kThreads) int8_gemm_kernel(Int8GemmArgs p) {
  __shared__ __align__(16) uint32_t As[kStages][kAWords];
  __shared__ __align__(16) uint32_t Bs[kStages][kBWords];
  const int64_t m0 = static_cast<int64_t>(blockIdx.y) * kBM;
  const int64_t jb0 = static_cast<int64_t>(blockIdx.x) * (kBN / 16);
  const int kt_count = static_cast<int>((p.k4 + kBK / 4 - 1) / (kBK / 4));
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int wm = warp >> 2, wn = warp & 3;  // rows 64 wm .., column blocks 2 wn, 2 wn + 1

  int32_t acc[4][4][4];
#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int ni = 0; ni < 4; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mi][ni][e] = 0;

  // Prologue: stages 0 .. kStages - 2 in flight. One commit per stage even past the end, so the
  // wait below always counts the same number of groups.
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < kt_count) load_stage<kAsync>(p, m0, jb0, s, As[s], Bs[s]);
    cp_async_commit();
  }
  for (int kt = 0; kt < kt_count; ++kt) {
    cp_async_wait<kStages - 2>();  // this thread's copies of stage kt have landed ...
    __syncthreads();               // ... everyone's too, and everyone is done with stage kt - 1
    const int next = kt + kStages - 1;
    if (next < kt_count) load_stage<kAsync>(p, m0, jb0, next, As[next % kStages], Bs[next % kStages]);
    cp_async_commit();

    const uint32_t *as = As[kt % kStages], *bs = Bs[kt % kStages];
#pragma unroll
    for (int s = 0; s < kBK / 32; ++s) {  // two k32 steps per stage
      uint32_t af[4][4], bf[4][2];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi) {
        const int row = wm * 64 + mi * 16 + g;
        af[mi][0] = as[a_word(row, 8 * s + t)];
        af[mi][1] = as[a_word(row + 8, 8 * s + t)];
        af[mi][2] = as[a_word(row, 8 * s + 4 + t)];
        af[mi][3] = as[a_word(row + 8, 8 * s + 4 + t)];
      }
#pragma unroll
      for (int ni = 0; ni < 4; ++ni) {
        const int jb = wn * 2 + (ni >> 1), jj = (ni & 1) * 8 + g;
        bf[ni][0] = bs[b_word(jb, 8 * s + t, jj)];
        bf[ni][1] = bs[b_word(jb, 8 * s + 4 + t, jj)];
      }
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) mma_s8_16832(acc[mi][ni], af[mi], bf[ni]);
    }
  }
  cp_async_wait<0>();  // nothing useful is left in flight, but leave no copy behind the block's exit

#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int ni = 0; ni < 4; ++ni) {
      const int64_t i = m0 + wm * 64 + mi * 16 + g;
      const int64_t j = (jb0 + wn * 2 + (ni >> 1)) * 16 + (ni & 1) * 8 + 2 * t;
      store_out(p, i, j, acc[mi][ni][0]);
      store_out(p, i, j + 1, acc[mi][ni][1]);
      store_out(p, i + 8, j, acc[mi][ni][2]);
      store_out(p, i + 8, j + 1, acc[mi][ni][3]);
    }
}

bool aligned16(const void *ptr) { return (reinterpret_cast<uintptr_t>(ptr) & 15) == 0; }

}  // namespace

lb_status w8a8_gemm(const int8_t *a, const float *a_scales, const void *b_packed, const float *b_scales, const float *bias,
                    void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_w8a8_gemm";
  Int8GemmArgs p{a, a_scales, static_cast<const uint8_t *>(b_packed), b_scales, bias, d, d_dtype, 0, n, k,
                 (k + 3) / 4, (n + 15) / 16};
  const bool async = k % 16 == 0 && aligned16(a) && aligned16(b_packed);
  const int64_t col_tiles = (n + kBN - 1) / kBN;
  // gridDim.y is at most 65535: row tiles beyond that go in further launches.
  const int64_t rows_per_launch = int64_t{65535} * kBM;
  const int64_t d_elem = d_dtype == LB_DTYPE_I32 || d_dtype == LB_DTYPE_F32 ? 4 : 2;
  for (int64_t i0 = 0; i0 < m; i0 += rows_per_launch) {
    p.m = std::min(rows_per_launch, m - i0);
    p.a = a + i0 * k;
    p.a_scales = a_scales ? a_scales + i0 : nullptr;
    p.d = static_cast<char *>(d) + i0 * n * d_elem;
    const dim3 grid(static_cast<unsigned>(col_tiles), static_cast<unsigned>((p.m + kBM - 1) / kBM));
    if (async) int8_gemm_kernel<true><<<grid, kThreads, 0, s>>>(p);
    else int8_gemm_kernel<false><<<grid, kThreads, 0, s>>>(p);
    if (lb_status st = check(cudaGetLastError(), fn, "kernel launch")) return st;
  }
  return finish_launch(fn, stream);
}

}  // namespace lb::cuda
