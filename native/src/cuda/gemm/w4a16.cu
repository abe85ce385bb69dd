// W4A16 GEMM on CUDA cores: the m = 1 decode path, and every case the tensor-core kernel
// (w4_tc.cu: F16/BF16 x, m >= 2, groups a multiple of 16, aligned rows) does not take — F32 x,
// odd group sizes, unaligned views — correct for any m (larger m re-reads the weights once per 4
// rows).
//
// Work split: a thread block owns one packed 16-column block; its threads stride over k in chunks of
// 4 k-pairs (8 k; 64 contiguous bytes of codes: four 16-byte loads, the next chunk's issued before
// the current one is multiplied, so each thread keeps 128 bytes in flight). Each thread sums its
// chunks for all 16 columns, then the block reduces: a transposing butterfly inside each warp (16
// shuffles for 16 columns instead of 80), then the warps' sums in a fixed order. No atomics, so the
// result does not depend on scheduling. Blocks have 128 threads, or 256 for the m = 1 decode of
// rows of >= 4096 k: with 128, a 4096 x 4096 matrix had 256 blocks x 128 threads, each walking 4
// chunks two at a time, and ran at 0.30 of the H100's copy bandwidth (latency-bound: ~4 MB of its
// 9 MB in flight); with 256 (80 registers: up to three blocks an SM, all 256 blocks in one wave)
// each thread has its two chunks in flight from the start, the whole matrix at once. Larger
// matrices (14336 x 4096: 896 column blocks, ~2.3 such waves, 0.36 of the H200's copy) ran wave by
// wave, every block loading, then multiplying, then reducing; the decode grid is now the blocks that
// fit at once, each streaming through column blocks with its next chunk always in flight (H200,
// 2026-11-26 (12): 0.25 / 0.44 of copy at 4096 x 4096 / 14336 x 4096).
//
// Arithmetic: a code u becomes the float 128 + u in two integer operations (the nibble OR'ed into
// the bf16 pattern of 128.0, two nibbles per 32-bit operation, then shifted into f32 position);
// the offset is taken out per chunk: for each column, D = sum (128 + u_l) x_l over the chunk's 8 k,
// X = sum x_l, and y += scale * ((D - 128 X) - zero X). That is lowbit.h's sum_l scale (u_l - zero)
// x_l with f32 rounding in a different order than the CPU's (documented: CUDA agrees with the CPU
// to f32 tolerance, not bit for bit).
#include <algorithm>
#include <cstdint>

#include "../../common/float_io.h"
#include "../../core/error.h"
#include "../convert/vec8.cuh"
#include "../runtime/runtime.h"
#include "gemm.cuh"
#include "w4_tc.cuh"

namespace lb::cuda {
namespace {

constexpr int kThreads = 128, kDecodeThreads = 256;

struct W4A16Args {
  const void *x;
  lb_dtype x_dtype;
  const uint8_t *codes;  // packed: [n16][k/2][16] bytes, then
  const float *scales;   // [n16][k/group][16] and
  const float *zeros;    // [n16][k/group][16]
  const float *bias;
  void *y;
  lb_dtype y_dtype;
  int64_t m, n, k, group;
  bool x_vec;  // x 16-byte aligned and k % 8 == 0: a chunk's 8 x of a row are one or two 16-byte loads
};

// Two nibbles (bits 0..3 and 16..19 of w) as two bf16 values 128 + u.
__device__ __forceinline__ uint32_t nibbles_bf16(uint32_t w) { return and_or(w, 0x000F000Fu, 0x43004300u); }
__device__ __forceinline__ float low_f32(uint32_t bf16x2) { return __uint_as_float(bf16x2 << 16); }
__device__ __forceinline__ float high_f32(uint32_t bf16x2) { return __uint_as_float(bf16x2 & 0xFFFF0000u); }

__device__ __forceinline__ uint32_t word(const uint4 &q, int i) { return i == 0 ? q.x : i == 1 ? q.y : i == 2 ? q.z : q.w; }

// One butterfly step: lanes with `Half`'s partner bit set keep the upper Half of their columns,
// the others the lower Half, and each adds its partner's copy of the half it kept.
template <int Half>
__device__ __forceinline__ void exchange_half(float (&v)[16], int lane) {
  const bool upper = (lane & (2 * Half)) != 0;
#pragma unroll
  for (int i = 0; i < Half; ++i) {
    const float send = upper ? v[i] : v[i + Half];
    const float keep = upper ? v[i + Half] : v[i];
    v[i] = keep + __shfl_xor_sync(0xffffffffu, send, 2 * Half);
  }
}

// Sum of v[0..15] over the warp's 32 lanes, column by column: each step halves the columns a lane
// holds. Returns the total of column 8 b4 + 4 b3 + 2 b2 + b1 (b = the lane's bits), held by lanes
// 2c and 2c + 1 alike.
__device__ __forceinline__ float warp_sum_columns(float (&v)[16], int lane) {
  exchange_half<8>(v, lane);
  exchange_half<4>(v, lane);
  exchange_half<2>(v, lane);
  exchange_half<1>(v, lane);
  return v[0] + __shfl_xor_sync(0xffffffffu, v[0], 1);
}

__device__ __forceinline__ int warp_sum_column_of(int lane) {
  return ((lane >> 4) & 1) * 8 + ((lane >> 3) & 1) * 4 + ((lane >> 2) & 1) * 2 + ((lane >> 1) & 1);
}

// MT rows of x per block (rows past m read as zero and are not written); P k-pairs per chunk
// (4 when the group size is a multiple of 8, so a chunk never straddles two groups; else 1).
// kStream (the decode kernel): block b takes column blocks b, b + gridDim.x, ..., and a thread's
// next chunk — in this column block or the next one it takes — is always loading while it
// multiplies the current one, so each SM streams across column blocks instead of stopping at every
// block's reduction. Otherwise a block takes column block blockIdx.x alone (the MT = 4 kernel spilled
// when it was written as a loop over column blocks too).
template <int MT, int P, int T, bool kStream>
__device__ __forceinline__ void w4a16_block(const W4A16Args &p) {
  const int64_t i0 = static_cast<int64_t>(blockIdx.y) * MT, n16 = (p.n + 15) / 16;
  const int64_t pairs = p.k / 2, chunks = pairs / P, groups = p.k / p.group;
  const auto codes_of = [&](int64_t jb) { return reinterpret_cast<const uint4 *>(p.codes + jb * pairs * 16); };  // a uint4 a k-pair
  // Two for kStream: a column block's sums are written while the last one's may still be read.
  __shared__ float partial[kStream ? 2 : 1][T / 32][MT][16];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;

  uint4 next[P];
  const int64_t step = kStream ? gridDim.x : n16;
  int64_t jb = blockIdx.x;
  if (jb < n16 && threadIdx.x < chunks)
#pragma unroll
    for (int pp = 0; pp < P; ++pp) next[pp] = __ldg(codes_of(jb) + threadIdx.x * P + pp);
  for (int buf = 0; jb < n16; jb += step, buf ^= kStream ? 1 : 0) {
    const float4 *scales = reinterpret_cast<const float4 *>(p.scales + jb * groups * 16);
    const float4 *zeros = reinterpret_cast<const float4 *>(p.zeros + jb * groups * 16);
    float y[MT][16];
#pragma unroll
    for (int r = 0; r < MT; ++r)
#pragma unroll
      for (int j = 0; j < 16; ++j) y[r][j] = 0.0f;

    for (int64_t c = threadIdx.x; c < chunks; c += T) {
      uint4 q[P];
#pragma unroll
      for (int pp = 0; pp < P; ++pp) q[pp] = next[pp];
      if (c + T < chunks) {
#pragma unroll
        for (int pp = 0; pp < P; ++pp) next[pp] = __ldg(codes_of(jb) + (c + T) * P + pp);
      } else if (kStream && jb + step < n16) {  // this thread's first chunk of its next column block
#pragma unroll
        for (int pp = 0; pp < P; ++pp) next[pp] = __ldg(codes_of(jb + step) + threadIdx.x * P + pp);
      }

      const int64_t l0 = c * 2 * P, grp = l0 / p.group;
      float xv[MT][2 * P], xs[MT];
#pragma unroll
      for (int r = 0; r < MT; ++r) {
        const bool row_in = i0 + r < p.m;
        if (2 * P == 8 && row_in && p.x_vec) {
          load8(p.x, p.x_dtype, (i0 + r) * p.k + l0, xv[r]);
        } else {
#pragma unroll
          for (int e = 0; e < 2 * P; ++e) xv[r][e] = row_in ? load_float(p.x, p.x_dtype, (i0 + r) * p.k + l0 + e) : 0.0f;
        }
        xs[r] = 0.0f;
#pragma unroll
        for (int e = 0; e < 2 * P; ++e) xs[r] += xv[r][e];
      }
#pragma unroll
      for (int c4 = 0; c4 < 4; ++c4) {  // columns 4 c4 .. 4 c4 + 3: byte b of each word
        const float4 s4 = __ldg(scales + grp * 4 + c4), z4 = __ldg(zeros + grp * 4 + c4);
        const float s[4] = {s4.x, s4.y, s4.z, s4.w}, z[4] = {z4.x, z4.y, z4.z, z4.w};
        float d[MT][4];
#pragma unroll
        for (int r = 0; r < MT; ++r)
#pragma unroll
          for (int b = 0; b < 4; ++b) d[r][b] = 0.0f;
#pragma unroll
        for (int pp = 0; pp < P; ++pp) {
          // Byte b of the word: column 4 c4 + b, low nibble = even k, high nibble = odd k.
          const uint32_t w = word(q[pp], c4);
          const uint32_t even02 = nibbles_bf16(w), odd02 = nibbles_bf16(w >> 4);
          const uint32_t even13 = nibbles_bf16(w >> 8), odd13 = nibbles_bf16(w >> 12);
          const float we[4] = {low_f32(even02), low_f32(even13), high_f32(even02), high_f32(even13)};
          const float wo[4] = {low_f32(odd02), low_f32(odd13), high_f32(odd02), high_f32(odd13)};
#pragma unroll
          for (int r = 0; r < MT; ++r)
#pragma unroll
            for (int b = 0; b < 4; ++b) d[r][b] = fmaf(wo[b], xv[r][2 * pp + 1], fmaf(we[b], xv[r][2 * pp], d[r][b]));
        }
#pragma unroll
        for (int r = 0; r < MT; ++r)
#pragma unroll
          for (int b = 0; b < 4; ++b) {
            const float v = fmaf(-z[b], xs[r], fmaf(-128.0f, xs[r], d[r][b]));
            y[r][4 * c4 + b] = fmaf(s[b], v, y[r][4 * c4 + b]);
          }
      }
    }

    // The column block's sums: across each warp by the transposing butterfly, then the warps' in a
    // fixed order. One barrier a column block: the next one writes the other half of `partial`, and
    // the one after that this half only behind the next block's barrier, after these reads.
#pragma unroll
    for (int r = 0; r < MT; ++r) {
      const float total = warp_sum_columns(y[r], lane);
      if ((lane & 1) == 0) partial[buf][warp][r][warp_sum_column_of(lane)] = total;
    }
    __syncthreads();
    if (threadIdx.x < MT * 16) {
      const int r = threadIdx.x / 16, col = threadIdx.x % 16;
      const int64_t i = i0 + r, j = jb * 16 + col;
      if (i < p.m && j < p.n) {
        float v = partial[buf][0][r][col];
#pragma unroll
        for (int w = 1; w < T / 32; ++w) v += partial[buf][w][r][col];
        if (p.bias) v += p.bias[j];
        store_float(p.y, p.y_dtype, i * p.n + j, v);
      }
    }
  }
}

// Two declarations: the decode kernel asks for 3 blocks an SM (85 registers: it takes 80, no spills;
// unasked, ptxas took 108 once x was read with 16-byte loads, 2 blocks an SM), while a minimum of 1
// made ptxas take more registers for the others (as in w4_tc.cu), so they stay unbounded.
template <int MT, int P>
__global__ void __launch_bounds__(kThreads) w4a16_kernel(W4A16Args p) {
  w4a16_block<MT, P, kThreads, false>(p);
}
__global__ void __launch_bounds__(kDecodeThreads, 3) w4a16_decode_kernel(W4A16Args p) { w4a16_block<1, 4, kDecodeThreads, true>(p); }

template <int MT>
void launch(const W4A16Args &p, dim3 grid, cudaStream_t s) {
  if (p.group % 8 != 0) {
    w4a16_kernel<MT, 1><<<grid, kThreads, 0, s>>>(p);
    return;
  }
  if constexpr (MT == 1)
    if (p.k / 8 >= 2 * kDecodeThreads) {  // two chunks of 8 k per thread at least
      // As many blocks as fit the GPU at once, each streaming across column blocks (w4a16_block).
      static const int per_sm = resident_blocks_per_sm(reinterpret_cast<const void *>(w4a16_decode_kernel), kDecodeThreads);
      const dim3 resident(static_cast<unsigned>(std::min<int64_t>(grid.x, int64_t{multiprocessor_count()} * per_sm)), grid.y);
      w4a16_decode_kernel<<<resident, kDecodeThreads, 0, s>>>(p);
      return;
    }
  w4a16_kernel<MT, 4><<<grid, kThreads, 0, s>>>(p);
}

}  // namespace

lb_status w4a16_gemm(const void *x, lb_dtype x_dtype, const void *w_packed, const float *bias, void *y, lb_dtype y_dtype,
                     int64_t m, int64_t n, int64_t k, int64_t group, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_w4a16_gemm";
  if (reinterpret_cast<uintptr_t>(w_packed) & 15)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: on CUDA, w_packed must be 16-byte aligned (as lb_cuda_malloc returns), got %p", fn,
                w_packed);
  const int64_t n16 = (n + 15) / 16, cols = n16 * 16;
  const uint8_t *codes = static_cast<const uint8_t *>(w_packed);
  const float *scales = reinterpret_cast<const float *>(codes + cols * (k / 2));
  const float *zeros = scales + cols * (k / group);
  if (w4a16_tc_applies(x, x_dtype, m, k, group)) {
    if (lb_status st = w4a16_tc_gemm(x, x_dtype, codes, scales, zeros, bias, y, y_dtype, m, n, k, group, s)) return st;
    return finish_launch(fn, stream);
  }
  W4A16Args p{x, x_dtype, codes, scales, zeros, bias, y, y_dtype, 0, n, k, group, k % 8 == 0 && (reinterpret_cast<uintptr_t>(x) & 15) == 0};
  const int mt = m == 1 ? 1 : m == 2 ? 2 : 4;
  const int64_t rows_per_launch = int64_t{65535} * mt;
  const int64_t x_elem = x_dtype == LB_DTYPE_F32 ? 4 : 2, y_elem = y_dtype == LB_DTYPE_F32 ? 4 : 2;
  for (int64_t i0 = 0; i0 < m; i0 += rows_per_launch) {
    p.m = std::min(rows_per_launch, m - i0);
    p.x = static_cast<const char *>(x) + i0 * k * x_elem;
    p.y = static_cast<char *>(y) + i0 * n * y_elem;
    const dim3 grid(static_cast<unsigned>(n16), static_cast<unsigned>((p.m + mt - 1) / mt));
    if (mt == 1) launch<1>(p, grid, s);
    else if (mt == 2) launch<2>(p, grid, s);
    else launch<4>(p, grid, s);
    if (lb_status st = check(cudaGetLastError(), fn, "kernel launch")) return st;
  }
  return finish_launch(fn, stream);
}

}  // namespace lb::cuda
