// Hadamard transform on CUDA. Two kernels, the same operations in the same order as the CPU
// kernels (cpu/hadamard/kernels.inc), so every backend agrees bit for bit; __fadd_rn and __fsub_rn
// keep nvcc from contracting anything into an fma.
//
// fwht8_kernel, the fast path (n a multiple of 8, 2^k part c >= 8, 16-byte aligned x and y):
// one row per group of n/8 threads (up to 1024), several rows per block when rows are short, the
// row in shared memory as f32.
//   1. load: each thread reads 8 consecutive elements with 16-byte loads, applies the random
//      signs (one hash per 8 elements), does strides 1, 2, 4 in registers;
//   2. radix-8 passes: strides s, 2s, 4s in registers per thread (8 elements s apart), one
//      __syncthreads per pass instead of one per stride;
//   3. store: the m-part (groups of four signed terms summed left to right, then the group sums;
//      core matrix from global memory, the same +-1 across a warp) or a plain read, scale,
//      inverse signs, 16-byte stores.
// transform_kernel, the general path (any n, e.g. n = 12 or c < 8, or unaligned views): one
// thread block per row, one __syncthreads per stride.
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <type_traits>

#include "../../common/float_io.h"
#include "../../common/hadamard.h"
#include "../../common/hadamard_cores.h"
#include "../../common/quant.h"
#include "../../core/error.h"
#include "../../core/hadamard_orders.h"
#include "../convert/vec8.cuh"
#include "../quant/codes8.cuh"
#include "../quant/quant.cuh"
#include "../quant/range8.cuh"
#include "../runtime/runtime.h"
#include "fwht8_geometry.h"
#include "hadamard.cuh"

namespace lb::cuda {
namespace {

// v with its sign flipped when bit j of `bits` is set: an XOR of the sign bit, as the CPU's flip
// (NaN payloads included), in two integer operations where a test, a negation and a select took
// about five.
__device__ __forceinline__ float flip_if(float v, uint32_t bits, int j) {
  return __uint_as_float(__float_as_uint(v) ^ ((bits << (31 - j)) & 0x80000000u));
}

__device__ __forceinline__ float signed_value(float v, uint64_t seed, int64_t i) {
  return flip_if(v, static_cast<uint32_t>(hadamard_sign_word(seed, i >> 6) >> (i & 63)), 0);
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

constexpr int kGroup = static_cast<int>(cuda_fwht8::kGroup);
// Groups each thread loads at once in fwht8_kernel (rows of more than kLoads groups per thread
// loop): 128 bytes of f32 or 64 of bf16 in flight per thread.
constexpr int kLoads = static_cast<int>(cuda_fwht8::kLoads);

// Signs of elements i0 .. i0+7 (i0 a multiple of 8): one sign word covers all eight.
__device__ __forceinline__ void apply_signs8(float v[kGroup], uint64_t seed, int64_t i0) {
  const uint32_t bits = static_cast<uint32_t>(hadamard_sign_word(seed, i0 >> 6) >> (i0 & 63));
#pragma unroll
  for (int j = 0; j < kGroup; ++j) v[j] = flip_if(v[j], bits, j);
}

__device__ __forceinline__ void butterfly(float &a, float &b) {
  const float s = __fadd_rn(a, b), d = __fsub_rn(a, b);
  a = s;
  b = d;
}

using cuda_fwht8::slot;  // the padded shared-memory layout (fwht8_geometry.h)

__device__ __forceinline__ void load_slots8(const float *row, int i0, float v[kGroup]) {
  const float4 *p = reinterpret_cast<const float4 *>(row + slot(i0));
  const float4 a = p[0], b = p[1];
  v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
}

__device__ __forceinline__ void store_slots8(float *row, int i0, const float v[kGroup]) {
  float4 *p = reinterpret_cast<float4 *>(row + slot(i0));
  p[0] = make_float4(v[0], v[1], v[2], v[3]);
  p[1] = make_float4(v[4], v[5], v[6], v[7]);
}

// One pass of radix R (8; 4 or 2 for the last when log2 c is not a multiple of 3) at stride s =
// 2^log_s: strides s, 2s, 4s (those below R s) of every set of R elements s apart, in registers,
// the butterflies in the CPU's order. The set's slots are one base and a constant step
// (fwht8_geometry.h's radix8_slot_step, which holds for the sets of 4 and 2 as well). The version
// before worked out each element's slot and tested the radix per element: the H200 profile
// (2026-11-26) had the plain kernel issue-bound (85% SM throughput, ~110 instructions an element
// at n = 4096, most of them these passes' address arithmetic).
template <int R>
__device__ __forceinline__ void radix_pass(float *row, int t, int threads_per_row, int n, int log_s) {
  constexpr int kLogR = R == 8 ? 3 : R == 4 ? 2 : 1;
  const int s = 1 << log_s, step = cuda_fwht8::radix8_slot_step(log_s), sets = n / R;
  for (int g = t; g < sets; g += threads_per_row) {
    float *p = row + slot(((g >> log_s) << (log_s + kLogR)) + (g & (s - 1)));
    float v[R];
#pragma unroll
    for (int j = 0; j < R; ++j) v[j] = p[j * step];
#pragma unroll
    for (int h = 1; h < R; h <<= 1)
#pragma unroll
      for (int j = 0; j < R; ++j)
        if (!(j & h)) butterfly(v[j], v[j + h]);
#pragma unroll
    for (int j = 0; j < R; ++j) p[j * step] = v[j];
  }
}

// Floats of shared memory per row (the padded layout of slot()).
__host__ __device__ inline int64_t padded_row(int64_t n) { return n + (n / 64) * 8 + 8; }

// Row elements i0 .. i0+7 after the 2^k stages: the m-part (groups of four signed terms summed
// left to right, then the group sums; `mixed`: done already, by mix_fixed_in_place), scale and
// inverse signs.
__device__ __forceinline__ void finish_group(const Launch &L, const float *row, int i0, int log_c, float v[kGroup], bool mixed = false) {
  const int c = static_cast<int>(L.c), m = static_cast<int>(L.m);
  if (m > 1 && !mixed) {
    const int a = i0 >> log_c, b = i0 & (c - 1);  // c >= 8: the eight outputs share a
    for (int q = 0; q < m / 4; ++q) {
      const char4 h = *reinterpret_cast<const char4 *>(L.core + a * m + 4 * q);  // m % 4 == 0
      float t0[kGroup], t1[kGroup], t2[kGroup], t3[kGroup];
      load_slots8(row, (4 * q) * c + b, t0);
      load_slots8(row, (4 * q + 1) * c + b, t1);
      load_slots8(row, (4 * q + 2) * c + b, t2);
      load_slots8(row, (4 * q + 3) * c + b, t3);
#pragma unroll
      for (int e = 0; e < kGroup; ++e) {
        float sum = h.x > 0 ? t0[e] : -t0[e];
        sum = h.y > 0 ? __fadd_rn(sum, t1[e]) : __fsub_rn(sum, t1[e]);
        sum = h.z > 0 ? __fadd_rn(sum, t2[e]) : __fsub_rn(sum, t2[e]);
        sum = h.w > 0 ? __fadd_rn(sum, t3[e]) : __fsub_rn(sum, t3[e]);
        v[e] = q == 0 ? sum : __fadd_rn(v[e], sum);
      }
    }
  } else {
    load_slots8(row, i0, v);
  }
  if (L.scale != 1.0f)
#pragma unroll
    for (int e = 0; e < kGroup; ++e) v[e] = __fmul_rn(v[e], L.scale);
  if (L.signs && L.inverse) apply_signs8(v, L.seed, i0);
}

// Step 3 for the cores known at compile time (m = 12, 20, 28; common/hadamard_cores.h): a thread
// takes whole positions b of its row and computes their m outputs at once (hadamard_mix_column),
// so each output costs one shared-memory read and about m/4 + 3.5 adds, where finish_group reads m
// floats per output (28 at n = 14336, the H100's shared-memory rate then bounded the kernel) — and
// the results are the CPU's bits. Lanes take consecutive b: reads hit 32 banks, and a warp's stores
// of one output chunk are 32 consecutive elements.
template <int M, bool kT>
__device__ void finish_columns(const Launch &L, const float *row, int t, int threads_per_row, void *y, lb_dtype yt, int64_t base) {
  const int c = static_cast<int>(L.c);
  for (int b = t; b < c; b += threads_per_row) {
    float v[M];
    hadamard_mix_column<M, kT, FloatMixOps>([&](int j) { return row[slot(j * c + b)]; }, v);
#pragma unroll
    for (int a = 0; a < M; ++a) {
      const int64_t i = static_cast<int64_t>(a) * c + b;
      float e = v[a];
      if (L.scale != 1.0f) e = __fmul_rn(e, L.scale);
      if (L.signs && L.inverse) e = signed_value(e, L.seed, i);
      store_float(y, yt, base + i, e);
    }
  }
}

// finish_columns for the row's core (has_fixed_core(L.m)).
template <int M>
__device__ void finish_columns_t(const Launch &L, const float *row, int t, int threads_per_row, void *y, lb_dtype yt, int64_t base) {
  if (L.inverse) finish_columns<M, true>(L, row, t, threads_per_row, y, yt, base);
  else finish_columns<M, false>(L, row, t, threads_per_row, y, yt, base);
}
__device__ void finish_fixed(const Launch &L, const float *row, int t, int threads_per_row, void *y, lb_dtype yt, int64_t base) {
  if (L.m == 12) finish_columns_t<12>(L, row, t, threads_per_row, y, yt, base);
  else if (L.m == 20) finish_columns_t<20>(L, row, t, threads_per_row, y, yt, base);
  else finish_columns_t<28>(L, row, t, threads_per_row, y, yt, base);
}

// f(M, kT) with the row's fixed core (has_fixed_core(L.m)) and direction as compile-time constants.
template <class F>
__device__ __forceinline__ void with_fixed_core(const Launch &L, F f) {
  const auto dir = [&](auto m) {
    if (L.inverse) f(m, std::true_type{});
    else f(m, std::false_type{});
  };
  if (L.m == 12) dir(std::integral_constant<int, 12>{});
  else if (L.m == 20) dir(std::integral_constant<int, 20>{});
  else dir(std::integral_constant<int, 28>{});
}

// The same m-part in place, for the fused kernel (whose quantizing step wants runs of 8 consecutive
// outputs): position b's inputs j·c + b and its outputs a·c + b are the same slots, so a thread
// rewrites its own positions without disturbing anyone's reads; one barrier after, before the runs
// are read. Scale and signs stay with finish_group.
__device__ void mix_fixed_in_place(const Launch &L, float *row, int t, int threads_per_row) {
  with_fixed_core(L, [&](auto mc, auto tc) {
    constexpr int M = decltype(mc)::value;
    const int c = static_cast<int>(L.c);
    for (int b = t; b < c; b += threads_per_row) {
      float v[M];
      hadamard_mix_column<M, decltype(tc)::value, FloatMixOps>([&](int j) { return row[slot(j * c + b)]; }, v);
#pragma unroll
      for (int a = 0; a < M; ++a) row[slot(a * c + b)] = v[a];
    }
  });
}

// Where the fused kernel writes (lb_quantize's layout for [rows, n] with block_rows 1), and its
// failure indices: [0] the first block with NaN/Inf, [1] the first overflowing scale (~0: none).
struct QuantOut {
  lb_quant_params p;
  uint8_t *q;
  void *scales, *zeros;
  unsigned long long *bad;
  cuda_fwht8::BlockCols cols;  // a group's block without dividing (set by launch_fast)
  int32_t blocks, lanes;       // blocks a row; quant_block_lanes(block_cols)
};

// Quantizes the rotated row in place of the store, in two steps around one barrier. Each thread takes
// groups of 8 consecutive values (t, t + threads_per_row, ...), each inside one block (block_cols % 8 == 0).
// quantize_range: a group's range, a shuffle reduction over the lanes of its block (threads_per_row
// is a multiple of the lane count, so a block's groups sit on aligned lanes), then shared-memory
// atomics on the bits of -lo and hi (both >= 0, so the unsigned max is the float max, exactly the
// CPU's min/max), the range found from the values' bits as the one-pass quantize kernels find it
// (../quant/range8.cuh). A NaN or Inf block fails the call, its outputs unspecified. quantize_store, after the
// barrier: the block's parameters with common/quant.h, the codes, and from the block's first thread
// the scale and zero point.
__device__ void quantize_range(const QuantOut &o, int64_t r, int i0, bool mine, const float v[kGroup], unsigned int *range) {
  const int C = o.blocks, cb = o.cols.block(i0), width = o.lanes;
  const bool by_mag = symmetric_range(o.p);
  BlockRange block;
  if (mine) widen(block, v, by_mag);
  merge_lanes(block, width, by_mag);  // all 32 lanes take part: blockDim is a multiple of 32
  settle(block, by_mag);
  if (mine && ((i0 / kGroup) & (width - 1)) == 0) {  // a segment's first lane (lanes: a power of two)
    if (!block.finite) note_failure(&o.bad[0], r * C + cb);
    atomicMax(&range[2 * cb], float_bits(0.0f - block.lo));  // 0 - lo: never -0 (see the quant range kernel)
    atomicMax(&range[2 * cb + 1], float_bits(block.hi));
  }
}

__device__ __forceinline__ BlockParams range_params(const lb_quant_params &p, const unsigned int *range, int cb) {
  return block_params(p, -bits_float(range[2 * cb]), bits_float(range[2 * cb + 1]), 1.0f);
}

// Block cb's parameters, worked out once for a thread's run of groups in the same block (a per-row
// block takes all of them): block_params costs two or three correctly rounded divisions, ~35
// instructions, which the fused kernel's SASS repeated for each of a thread's up to 8 groups.
struct ParamsCache {
  int cb = -1;
  BlockParams bp{};
  __device__ __forceinline__ const BlockParams &of(const lb_quant_params &p, const unsigned int *range, int block) {
    if (block != cb) {
      bp = range_params(p, range, block);
      cb = block;
    }
    return bp;
  }
};

__device__ void quantize_store(const QuantOut &o, int64_t r, int n, int i0, const float v[kGroup], const unsigned int *range,
                               ParamsCache &cache) {
  const lb_quant_params &p = o.p;
  const int C = o.blocks, cb = o.cols.block(i0);
  const BlockParams bp = cache.of(p, range, cb);
  const int64_t b = r * C + cb;
  if (o.cols.starts(i0)) {
    store_block_params(p, bp, b, o.scales, o.zeros, &o.bad[1]);
    if (p.qtype == LB_DTYPE_U4 && p.zero_dtype == LB_DTYPE_U4 && cb % 2 == 0) {
      uint32_t byte = static_cast<uint32_t>(bp.zero);
      if (cb + 1 < C) byte |= static_cast<uint32_t>(range_params(p, range, cb + 1).zero) << 4;
      static_cast<uint8_t *>(o.zeros)[r * ((C + 1) / 2) + cb / 2] = static_cast<uint8_t>(byte);
    }
  }
  quantize8(p, bp, v, o.q, r * n + i0);
}

// threads_per_row threads per row, rows_per_block rows per block (blockDim.x rounded up to whole
// warps; the extra threads idle). In-row indices are 32-bit and strides are shifts: 64-bit
// division is a long software sequence on the GPU. kQuant: quantize (quantize_range, a barrier,
// quantize_store) instead of storing y. Launched with up to 1024 threads per block: __launch_bounds__
// keeps both forms within 64 registers (finish_columns' m = 28 wanted 72 unbounded, and a 1024-thread
// launch would then fail).
template <bool kQuant>
__global__ void __launch_bounds__(cuda_fwht8::kMaxThreads) fwht8_kernel(Launch L, int threads_per_row, int rows_per_block, int64_t rows,
                                                     const void *x, lb_dtype xt, void *y, lb_dtype yt, QuantOut qo) {
  extern __shared__ float smem[];
  const int n = static_cast<int>(L.n), c = static_cast<int>(L.c), groups = n / kGroup;
  const int log_c = __ffs(c) - 1;
  const int local = threadIdx.x / threads_per_row, t = threadIdx.x % threads_per_row;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * rows_per_block + local;
  const bool active = local < rows_per_block && r < rows;  // no early return: all threads reach each barrier
  float *row = smem + local * padded_row(n);
  unsigned int *range = reinterpret_cast<unsigned int *>(smem + rows_per_block * padded_row(n)) +
                        local * 2 * (kQuant ? qo.blocks : 0);
  if (kQuant && active)
    for (int i = t; i < 2 * qo.blocks; i += threads_per_row) range[i] = 0;
  const int64_t base = r * n;
  // 1. Load, signs, strides 1, 2, 4 (all below c >= 8). kLoads groups' loads are issued before
  //    the first is used: the kernel is bound by the bytes in flight, not by arithmetic. Raw bits
  //    first, decoded at use: with load8 (load and decode, a branch on the dtype between them) the
  //    SASS waited for each group's load before issuing the next one's (2026-11-26).
  if (active)
    for (int g0 = t; g0 < groups; g0 += kLoads * threads_per_row) {
      Raw8 raw[kLoads];
#pragma unroll
      for (int u = 0; u < kLoads; ++u)
        if (g0 + u * threads_per_row < groups) raw[u] = load_raw8(x, xt, base + (g0 + u * threads_per_row) * kGroup);
      float v[kLoads][kGroup];
#pragma unroll
      for (int u = 0; u < kLoads; ++u) {
        const int g = g0 + u * threads_per_row;
        if (g >= groups) break;
        decode8(raw[u], xt, v[u]);
        if (L.signs && !L.inverse) apply_signs8(v[u], L.seed, g * kGroup);
#pragma unroll
        for (int h = 1; h < kGroup; h <<= 1)
#pragma unroll
          for (int j = 0; j < kGroup; ++j)
            if (!(j & h)) butterfly(v[u][j], v[u][j + h]);
        store_slots8(row, g * kGroup, v[u]);
      }
    }
  // 2. Radix-8 passes (the last one radix 2 or 4 when log2 c is not a multiple of 3). Pairs never
  //    cross a chunk of c: every stride is below c and 2 * stride divides it.
  for (int log_s = 3; log_s < log_c; log_s += 3) {
    __syncthreads();
    const int log_radix = log_c - log_s >= 3 ? 3 : log_c - log_s;
    if (!active) continue;
    if (log_radix == 3) radix_pass<8>(row, t, threads_per_row, n, log_s);
    else if (log_radix == 2) radix_pass<4>(row, t, threads_per_row, n, log_s);
    else radix_pass<2>(row, t, threads_per_row, n, log_s);
  }
  __syncthreads();
  // 3. m-part, scale, inverse signs, store (or quantize). No barrier follows the plain store, so
  //    inactive threads may leave.
  if constexpr (!kQuant)
    if (has_fixed_core(L.m)) {
      if (active) finish_fixed(L, row, t, threads_per_row, y, yt, base);
      return;
    }
  if constexpr (kQuant) {
    const bool mixed = has_fixed_core(L.m);
    if (mixed) {
      if (active) mix_fixed_in_place(L, row, t, threads_per_row);
      __syncthreads();
    }
    // Each group is finished twice from the row in shared memory (which nothing writes any more):
    // once for its block's range, and after the barrier that completes every range, for its codes.
    // Holding up to 8 finished groups a thread in registers in between (122 registers, a quarter of
    // the SM's warps) left the fused kernel at 3x the plain rotation's time (H200, 2026-11-26 (12));
    // finishing costs a shared-memory read of the group (m-part rows: m / 4 + 1 reads) and two or
    // three operations a value. The same number of passes for every thread of the block (the shuffles).
    const int passes = (groups + threads_per_row - 1) / threads_per_row;
    for (int u = 0; u < passes; ++u) {
      const int g = t + u * threads_per_row;
      const bool mine = active && g < groups;
      float v[kGroup];
      if (mine) finish_group(L, row, g * kGroup, log_c, v, mixed);
      quantize_range(qo, r, g * kGroup, mine, v, range);
    }
    __syncthreads();  // every block's range is complete
    ParamsCache params;
    if (active)
      for (int g = t; g < groups; g += threads_per_row) {
        float v[kGroup];
        finish_group(L, row, g * kGroup, log_c, v, mixed);
        quantize_store(qo, r, n, g * kGroup, v, range, params);
      }
  } else {
    for (int g = t; g < groups; g += threads_per_row) {
      float v[kGroup];
      if (active) {
        finish_group(L, row, g * kGroup, log_c, v);
        store8(y, yt, base + g * kGroup, v);
      }
    }
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

// Rows per launch: far above real batches, and far below the grid.x limit at one row per block.
constexpr int64_t kMaxGridRows = 65535 * 1024LL;

template <typename P>
P *row_at(P *base, lb_dtype t, int64_t r, int64_t n) {
  using Byte = std::conditional_t<std::is_const_v<P>, const char, char>;
  return reinterpret_cast<Byte *>(base) + r * n * (t == LB_DTYPE_F32 ? 4 : 2);
}

lb_status prepare(const char *fn, const lb_hadamard_params &p, Launch *out) {
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
  *out = L;
  return LB_OK;
}

bool aligned16(const void *a, const void *b) {
  return ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b)) & 15) == 0;
}

// fwht8_kernel's preconditions (besides 16-byte aligned x and y).
bool fast_path(const Launch &L) { return L.n % kGroup == 0 && L.c >= kGroup; }

template <bool kQuant>
lb_status launch_fast(const char *fn, const Launch &L, const void *x, lb_dtype xt, void *y, lb_dtype yt, int64_t rows,
                      const QuantOut &qo, cudaStream_t s) {
  QuantOut rowwise = qo;  // with the quant blocks' geometry in a row, which every chunk below shares
  if (kQuant) {
    rowwise.cols = cuda_fwht8::block_cols_of(L.n, qo.p.block_cols);
    rowwise.blocks = static_cast<int32_t>(L.n / qo.p.block_cols);
    rowwise.lanes = static_cast<int32_t>(cuda_fwht8::quant_block_lanes(qo.p.block_cols));
  }
  // kLoads groups per thread, up to 1024 threads per row; kQuant: a multiple of the lanes a quant
  // block's groups span in quantize_range (at most 32), so that they sit on aligned lanes of one warp.
  const int per_row = static_cast<int>(cuda_fwht8::threads_per_row(L.n, kLoads, kQuant ? rowwise.lanes : 1));
  const int rows_per_block = static_cast<int>(cuda_fwht8::rows_per_block(per_row));
  const int threads = (per_row * rows_per_block + 31) / 32 * 32;
  const int64_t range_words = kQuant ? 2 * rowwise.blocks : 0;
  const size_t smem = static_cast<size_t>(rows_per_block * (padded_row(L.n) + range_words)) * sizeof(float);
  if (smem > 48 * 1024)
    if (lb_status st = check(cudaFuncSetAttribute(fwht8_kernel<kQuant>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                  static_cast<int>(smem)),
                             fn, "cudaFuncSetAttribute"))
      return st;
  for (int64_t r0 = 0; r0 < rows; r0 += kMaxGridRows) {
    const int64_t chunk = rows - r0 < kMaxGridRows ? rows - r0 : kMaxGridRows;
    const unsigned int blocks = static_cast<unsigned int>((chunk + rows_per_block - 1) / rows_per_block);
    QuantOut part = rowwise;  // the quantized outputs of rows r0.. (row-local blocks: C per row)
    if (kQuant) {
      const int64_t C = rowwise.blocks, scale_bytes = qo.p.scale_dtype == LB_DTYPE_F32 ? 4 : 2;
      part.q += r0 * ((qo.p.qtype == LB_DTYPE_I4 || qo.p.qtype == LB_DTYPE_U4) ? L.n / 2 : L.n);
      part.scales = static_cast<char *>(qo.scales) + r0 * C * scale_bytes;
      if (qo.zeros)
        part.zeros = static_cast<char *>(qo.zeros) + r0 * (qo.p.zero_dtype == LB_DTYPE_F16 ? 2 * C : (C + 1) / 2);
    }
    fwht8_kernel<kQuant><<<blocks, threads, smem, s>>>(L, per_row, rows_per_block, chunk, row_at(x, xt, r0, L.n), xt,
                                                       kQuant ? nullptr : row_at(y, yt, r0, L.n), yt, part);
  }
  return LB_OK;
}

lb_status launch(const char *fn, const Launch &L, const void *x, lb_dtype xt, void *y, lb_dtype yt, int64_t rows,
                 cudaStream_t s) {
  if (fast_path(L) && aligned16(x, y)) return launch_fast<false>(fn, L, x, xt, y, yt, rows, QuantOut{}, s);
  const size_t smem = static_cast<size_t>(L.n) * sizeof(float);
  if (smem > 48 * 1024)
    if (lb_status st = check(cudaFuncSetAttribute(transform_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                                  static_cast<int>(smem)),
                             fn, "cudaFuncSetAttribute"))
      return st;
  const int64_t groups = (L.n + 3) / 4;
  const int threads = groups >= 256 ? 256 : static_cast<int>((groups + 31) / 32 * 32);
  for (int64_t r0 = 0; r0 < rows; r0 += kMaxGridRows) {
    const int64_t chunk = rows - r0 < kMaxGridRows ? rows - r0 : kMaxGridRows;
    transform_kernel<<<static_cast<unsigned int>(chunk), threads, smem, s>>>(L, row_at(x, xt, r0, L.n), xt,
                                                                             row_at(y, yt, r0, L.n), yt);
  }
  return LB_OK;
}

// The fused kernel's preconditions: the plain fast path's, groups inside quantization blocks, no clip
// search (the MSE search re-reads the block per candidate: the two-pass path does it), and q aligned
// for its 4- or 8-byte code stores.
bool fused_path(const Launch &L, const lb_quant_params &quant, const void *x, const void *q) {
  const bool packed = quant.qtype == LB_DTYPE_I4 || quant.qtype == LB_DTYPE_U4;
  const uintptr_t q_align = packed ? 4 : 8;
  return fast_path(L) && quant.block_cols % kGroup == 0 &&
         !(quant.flags & LB_QUANT_MSE_CLIP) && aligned16(x, nullptr) && reinterpret_cast<uintptr_t>(q) % q_align == 0;
}

}  // namespace

lb_status hadamard_transform(const lb_hadamard_params &p, const void *x, lb_dtype x_dtype, void *y, lb_dtype y_dtype,
                             int64_t rows, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_hadamard_transform";
  Launch L{};
  if (lb_status st = prepare(fn, p, &L)) return st;
  if (lb_status st = launch(fn, L, x, x_dtype, y, y_dtype, rows, s)) return st;
  return finish_launch(fn, stream);
}

lb_status hadamard_quantize(const lb_hadamard_params &p, const lb_quant_params &quant, const void *x, lb_dtype x_dtype,
                            int64_t rows, void *q, void *scales, void *zeros, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_hadamard_quantize";
  Launch L{};
  if (lb_status st = prepare(fn, p, &L)) return st;
  if (fused_path(L, quant, x, q)) {
    unsigned long long *bad = nullptr;
    if (lb_status st = check(cudaMallocAsync(reinterpret_cast<void **>(&bad), 2 * sizeof *bad, s), fn, "cudaMallocAsync"))
      return st;
    cudaMemsetAsync(bad, 0xff, 2 * sizeof *bad, s);
    if (lb_status st = launch_fast<true>(fn, L, x, x_dtype, nullptr, LB_DTYPE_F32, rows,
                                         QuantOut{quant, static_cast<uint8_t *>(q), scales, zeros, bad}, s)) {
      cudaFreeAsync(bad, s);
      return st;
    }
    return finish_quantize(fn, quant, p.n / quant.block_cols, bad, bad, stream, s);
  }
  float *rotated = nullptr;
  const size_t bytes = static_cast<size_t>(rows * p.n) * sizeof(float);
  if (lb_status st = check(cudaMallocAsync(reinterpret_cast<void **>(&rotated), bytes, s), fn, "cudaMallocAsync")) return st;
  lb_status st = launch(fn, L, x, x_dtype, rotated, LB_DTYPE_F32, rows, s);
  if (st == LB_OK) st = check(cudaGetLastError(), fn, "kernel launch");
  if (st == LB_OK) st = quantize(quant, rotated, LB_DTYPE_F32, rows, p.n, q, scales, zeros, stream, s, fn);
  cudaFreeAsync(rotated, s);
  return st;
}

}  // namespace lb::cuda
