// 4-bit weights (lowbit.h's packed W4A16 layout) on tensor cores with swapped operands, for the
// decode and small-batch sizes: W4A16 (F16 / BF16 x, mma.m16n8k16, sm_80+) for 2 <= m, and W4A8
// (FP8 x, mma.m16n8k32 with E4M3 weights, sm_89+) for m <= 64. m = 1 W4A16 stays on the CUDA-core
// GEMV in w4a16.cu (it streams the weights without mma); W4A8 beyond 64 rows on the 128 x 128 tiles
// of w4a8.cu. Index maps checked on the host (w4_tc_layout_test); on an H200 (2026-11-26)
// GemmCudaTest's W4A8 and W4A16 tests pass. Slow there: W4A16 at m = 16 runs at 0.34x torch fp16 on
// 4096 x 4096 (0.41x on 14336 x 4096) with 8 blocks an SM (0.26x / 0.35x with 2), still far from
// its weights' streaming time (ncu: ~14% achieved occupancy before the change).
//
// Operands are swapped (y^T = W . x^T, w4_tc_layout.h): each warp owns one packed 16-column block,
// the mma's A, and up to 8 tiles of 8 rows of x are its B operands, so one converted A fragment
// feeds up to 8 mma. A thread block is 4 warps (64 columns) x up to 64 rows of x, and k flows
// through a 4-stage cp.async pipeline of 128 bytes of x per row (64 k of F16/BF16, 128 of FP8) and
// the matching 2 or 4 KiB of codes, so 6-12 KiB of weights per block are in flight while the warps
// multiply.
//
// The codes enter the tensor cores exactly as the integers u = 0..15: for W4A16 a byte of two codes
// becomes the 16-bit float pair {magic + u_lo, magic + u_hi} with one shift-or and one and-or, and
// one fma subtracts the magic; for W4A8 four codes become four E4M3 bytes by three byte permutes
// (w4_tc_layout.h's e4m3_codes4). Zero points and scales are applied per fold unit (the weight
// group, or 256-ish pieces of a per-row group): y += scale . (acc - zero . sum x), with sum x per row
// and unit from a small kernel first; W4A8 then multiplies by the row's activation scale. Products
// u . x are exact in f32, so results agree with the CPU's to accumulation order (the tests' bounds).
//
// Split-K: when the column blocks x row tiles give fewer than kBlocksPerSm thread blocks per SM, k is
// cut at fold-unit boundaries over gridDim.z; each split writes f32 partial sums to a scratch buffer and a
// second kernel adds them in split order (deterministic), then applies the activation scale and
// the bias and converts.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "../../common/float_io.h"
#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "ptx.cuh"
#include "row_sums.cuh"
#include "split_k.cuh"
#include "w4_tc.cuh"
#include "w4_tc_layout.h"

namespace lb::cuda {
namespace {

using namespace lb::cuda_w4tc;

struct W4TcArgs {
  const uint8_t *x;        // [m, k] (2 or 1 bytes per element), rows 16-byte aligned
  const uint8_t *codes;    // packed [n16][k/2][16]
  const float *scales;     // [n16][groups][16]
  const float *zeros;      // [n16][groups][16]
  const float *xsum;       // [m][units]: sum of each row of x over each fold unit
  const float *a_scales;   // [m] (W4A8: one scale per row of x), or null
  const float *bias;       // [n] or null
  void *y;                 // [m, n] (split == 1)
  lb_dtype y_dtype;
  float *partial;          // [splits][m][n] f32 (splits > 1), else null
  int64_t m, n, k, n16, group, groups, unit, units, split_k;
};

// W4A16: F16 (kBF16: BF16) x, mma.m16n8k16.
template <bool kBF16>
struct HalfX {
  static constexpr int kXBytes = 2, kMinArch = 800;
  using S = Stage<kXBytes>;

  // A registers of k16 step s: pair-rows t and t + 4, bytes 2g (column 2g) and 2g + 1.
  static __device__ __forceinline__ void a_fragments(const uint8_t *ws, int warp, int s, int g, int t, uint32_t (&a)[4]) {
    constexpr uint32_t kMagic = kBF16 ? kBF16Magic : kF16Magic;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const uint32_t v = *reinterpret_cast<const uint16_t *>(ws + w_byte<kXBytes>(warp, 8 * s + a_pair(t, 2 * h), 2 * g));
      a[2 * h] = fma_one_x2<kBF16>(biased_pair(v, 0, kMagic), kMagic | 0x80008000u);
      a[2 * h + 1] = fma_one_x2<kBF16>(biased_pair(v, 1, kMagic), kMagic | 0x80008000u);
    }
  }

  static __device__ __forceinline__ void mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) { mma_16816<kBF16>(d, a, b); }
};

// W4A8: E4M3 (kE5M2: E5M2) x, mma.m16n8k32 with the weights as E4M3.
template <bool kE5M2>
struct Fp8X {
  static constexpr int kXBytes = 1, kMinArch = 890;
  using S = Stage<kXBytes>;

  // A registers of k32 step s: pair-rows 2t, 2t + 1 (k 4t .. 4t + 3) and 8 + 2t, 9 + 2t, bytes 2g and 2g + 1.
  static __device__ __forceinline__ void a_fragments(const uint8_t *ws, int warp, int s, int g, int t, uint32_t (&a)[4]) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int pr = 16 * s + a8_pair(t, 2 * h);
      const uint32_t v0 = *reinterpret_cast<const uint16_t *>(ws + w_byte<kXBytes>(warp, pr, 2 * g));
      const uint32_t v1 = *reinterpret_cast<const uint16_t *>(ws + w_byte<kXBytes>(warp, pr + 1, 2 * g));
      a[2 * h] = e4m3_codes4(code_nibbles(v0, v1, 0));
      a[2 * h + 1] = e4m3_codes4(code_nibbles(v0, v1, 1));
    }
  }

  static __device__ __forceinline__ void mma(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
    mma_fp8_16832<false, kE5M2>(d, a, b);
  }
};

// Stage `kt` of this block's k range: the 4 column blocks' pair-rows and the x rows' chunks,
// zero-filled past n, m and the split's end (zero codes and zero x add nothing).
template <class Op, int kTiles>
__device__ __forceinline__ void load_stage(const W4TcArgs &p, int64_t jb0, int64_t row0, int64_t k_begin, int64_t k_end, int kt,
                                           uint8_t *ws, uint8_t *xs) {
  using S = typename Op::S;
  const int64_t kb = k_begin + static_cast<int64_t>(kt) * S::kK;
  for (int q = static_cast<int>(threadIdx.x); q < kWarps * S::kPairs; q += kThreads) {  // pair-row q % kPairs of block q / kPairs
    const int w = q / S::kPairs, pr = q % S::kPairs;
    const int64_t jb = jb0 + w, pair = kb / 2 + pr;
    const bool valid = jb < p.n16 && 2 * pair < k_end;
    cp_async16(ws + w_byte<Op::kXBytes>(w, pr, 0), valid ? p.codes + (jb * (p.k / 2) + pair) * 16 : p.codes, valid);
  }
  constexpr int kPerChunk = 16 / Op::kXBytes;  // elements of x per 16-byte chunk
  for (int q = static_cast<int>(threadIdx.x); q < kTiles * 8 * kXChunks; q += kThreads) {
    const int r = q / kXChunks, c = q % kXChunks;
    const int64_t i = row0 + r, l = kb + kPerChunk * c;
    const bool valid = i < p.m && l < k_end;  // k_end is a multiple of the mma step: chunks are whole
    cp_async16(xs + 16 * x_slot(r, c), valid ? p.x + (i * p.k + l) * Op::kXBytes : p.x, valid);
  }
}

// The B registers of x tiles `tile` (and `tile + 1` when kPair) for mma step s.
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

// The epilogue of one output from its f32 total (kernel or split sum): W4A8's activation scale,
// then the bias.
__device__ __forceinline__ void store_output(const W4TcArgs &p, int64_t i, int64_t j, float v) {
  if (p.a_scales) v = mul_rn(v, p.a_scales[i]);
  if (p.bias) v = add_rn(v, p.bias[j]);
  store_float(p.y, p.y_dtype, i * p.n + j, v);
}

template <class Op, int kTiles>
__device__ __forceinline__ void w4_tc_tile(const W4TcArgs &p) {
  using S = typename Op::S;
  __shared__ __align__(16) uint8_t Ws[kStages][S::kWBytes];
  __shared__ __align__(16) uint8_t Xs[kStages][kTiles * 8 * kXChunks * 16];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int64_t jb0 = static_cast<int64_t>(blockIdx.x) * kWarps, jb = jb0 + warp;
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * kTiles * 8;
  const int64_t k_begin = static_cast<int64_t>(blockIdx.z) * p.split_k, k_end = std::min(p.k, k_begin + p.split_k);
  const int stages = static_cast<int>((k_end - k_begin + S::kK - 1) / S::kK);
  const bool active = jb < p.n16;  // warps past n still load and wait with the block

  float acc[kTiles][4], total[kTiles][4];
#pragma unroll
  for (int mt = 0; mt < kTiles; ++mt)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[mt][e] = total[mt][e] = 0.0f;

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {  // one commit per stage even past the end (as tc_gemm)
    if (s < stages) load_stage<Op, kTiles>(p, jb0, row0, k_begin, k_end, s, Ws[s], Xs[s]);
    cp_async_commit();
  }
  for (int kt = 0; kt < stages; ++kt) {
    cp_async_wait<kStages - 2>();
    __syncthreads();
    const int next = kt + kStages - 1;
    if (next < stages) load_stage<Op, kTiles>(p, jb0, row0, k_begin, k_end, next, Ws[next % kStages], Xs[next % kStages]);
    cp_async_commit();
    if (!active) continue;

    const uint8_t *ws = Ws[kt % kStages], *xs = Xs[kt % kStages];
#pragma unroll
    for (int s = 0; s < 4; ++s) {  // mma steps of the stage
      const int64_t k0 = k_begin + static_cast<int64_t>(kt) * S::kK + S::kStepK * s;
      if (k0 >= k_end) break;
      uint32_t a[4];
      Op::a_fragments(ws, warp, s, g, t, a);
#pragma unroll
      for (int mt = 0; mt < kTiles; mt += 2) {
        uint32_t b[4];
        x_fragments<(kTiles > 1)>(xs, mt, s, lane, b);
        const uint32_t b_lo[2] = {b[0], b[1]}, b_hi[2] = {b[2], b[3]};
        Op::mma(acc[mt], a, b_lo);
        if constexpr (kTiles > 1) Op::mma(acc[mt + 1], a, b_hi);
      }
      if ((k0 + S::kStepK) % p.unit == 0) {  // end of a fold unit: take out the zero point, apply the scale
        const int64_t f = (k0 + S::kStepK) / p.unit - 1, grp = f * p.unit / p.group;
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
      if (p.partial) p.partial[(static_cast<int64_t>(blockIdx.z) * p.m + i) * p.n + j] = total[mt][e];
      else store_output(p, i, j, total[mt][e]);
    }
}

// Below Op::kMinArch (fp8 mma needs sm_89) the kernel is an empty trap; the host never launches it there.
template <class Op, int kTiles>
__global__ void __launch_bounds__(kThreads) w4_tc_kernel(W4TcArgs p) {
#if defined(__CUDA_ARCH__)
  if constexpr (__CUDA_ARCH__ < Op::kMinArch) {
    __trap();
  } else {
    w4_tc_tile<Op, kTiles>(p);
  }
#endif
}

// store_output, for add_split_sums_kernel.
struct StoreOutput {
  W4TcArgs p;
  __device__ void operator()(int64_t i, int64_t j, float v) const { store_output(p, i, j, v); }
};

// Thread blocks wanted per SM before k is split further. Each block keeps 6-12 KiB of weights in
// flight and an SM holds up to 8 (62 registers a thread); the big-tile GEMMs' 2 a SM left a 4096 x
// 4096 m = 16 call with ~10 warps an SM, latency-bound (14% occupancy, 0.07 of the H200's copy
// bandwidth). More splits cost f32 partial sums ([splits][m][n], written and read once), small
// beside the weights at decode sizes. LOWBIT_CUDA_W4_BLOCKS_PER_SM (1..32) overrides it, for tuning.
constexpr int64_t kBlocksPerSm = 8;

int64_t blocks_per_sm() {
  static const int64_t value = [] {
    const char *v = std::getenv("LOWBIT_CUDA_W4_BLOCKS_PER_SM");
    const long n = v ? std::strtol(v, nullptr, 10) : 0;
    return n >= 1 && n <= 32 ? int64_t{n} : kBlocksPerSm;
  }();
  return value;
}

template <class Op>
cudaError_t launch_tiles(const W4TcArgs &p, dim3 grid, int tiles, cudaStream_t s) {
  switch (tiles) {
    case 1: w4_tc_kernel<Op, 1><<<grid, kThreads, 0, s>>>(p); break;
    case 2: w4_tc_kernel<Op, 2><<<grid, kThreads, 0, s>>>(p); break;
    case 4: w4_tc_kernel<Op, 4><<<grid, kThreads, 0, s>>>(p); break;
    default: w4_tc_kernel<Op, 8><<<grid, kThreads, 0, s>>>(p); break;
  }
  return cudaGetLastError();
}

// Sums of x per fold unit, the tile count and split-K, the launch(es), the scratch freed
// stream-ordered. `x_sums` launches the row-sum kernel for x's element type.
template <class Op, class Elements>
lb_status w4_tc_gemm(const char *fn, const void *x, Elements elements, const uint8_t *codes, const float *scales, const float *zeros,
                     const float *a_scales, const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k,
                     int64_t group, cudaStream_t s) {
  const int tiles = m <= 8 ? 1 : m <= 16 ? 2 : m <= 32 ? 4 : 8;
  const int64_t n16 = (n + 15) / 16, col_blocks = (n16 + kWarps - 1) / kWarps, row_tiles = (m + 8 * tiles - 1) / (8 * tiles);
  const int64_t unit = fold_unit(group, Op::S::kStepK), units = k / unit;
  // Split k at fold units, each split at least ~256 k.
  const SplitK split = choose_split_k(col_blocks * row_tiles, units, std::min({units, std::max<int64_t>(1, k / 256), int64_t{65535}}),
                                      blocks_per_sm());
  const int64_t splits = split.splits, units_per_split = split.granules_per_split;

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
  launch_row_run_sums(elements, m, k, unit, xsum, s);
  cudaError_t err = cudaGetLastError();
  const W4TcArgs p{static_cast<const uint8_t *>(x), codes, scales, zeros, xsum, a_scales, bias, y, y_dtype, partial,
                   m, n, k, n16, group, k / group, unit, units, units_per_split * unit};
  if (err == cudaSuccess) {
    const dim3 grid(static_cast<unsigned>(col_blocks), static_cast<unsigned>(row_tiles), static_cast<unsigned>(splits));
    err = launch_tiles<Op>(p, grid, tiles, s);
  }
  if (err == cudaSuccess && partial) err = launch_add_split_sums(partial, splits, m, n, StoreOutput{p}, s);
  cudaFreeAsync(xsum, s);  // stream-ordered: after the kernels
  if (partial) cudaFreeAsync(partial, s);
  return check(err, fn, "kernel launch");
}

bool aligned_rows(const void *x, int64_t k, int bytes) { return (reinterpret_cast<uintptr_t>(x) & 15) == 0 && (k * bytes) % 16 == 0; }

}  // namespace

bool w4a16_tc_applies(const void *x, lb_dtype x_dtype, int64_t m, int64_t k, int64_t group) {
  return (x_dtype == LB_DTYPE_F16 || x_dtype == LB_DTYPE_BF16) && m >= 2 && m <= int64_t{65535} * 64 && k % 16 == 0 &&
         group % 16 == 0 && aligned_rows(x, k, 2);
}

lb_status w4a16_tc_gemm(const void *x, lb_dtype x_dtype, const uint8_t *codes, const float *scales, const float *zeros,
                        const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k, int64_t group,
                        cudaStream_t s) {
  static const char *fn = "lb_w4a16_gemm";
  const FloatElements elements{x, x_dtype};
  if (x_dtype == LB_DTYPE_BF16)
    return w4_tc_gemm<HalfX<true>>(fn, x, elements, codes, scales, zeros, nullptr, bias, y, y_dtype, m, n, k, group, s);
  return w4_tc_gemm<HalfX<false>>(fn, x, elements, codes, scales, zeros, nullptr, bias, y, y_dtype, m, n, k, group, s);
}

bool w4a8_tc_applies(const void *a, int64_t m, int64_t k, int64_t group) {
  return m <= 64 && k % 32 == 0 && group % 32 == 0 && aligned_rows(a, k, 1);
}

lb_status w4a8_tc_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const uint8_t *codes, const float *scales,
                       const float *zeros, const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k,
                       int64_t group, cudaStream_t s) {
  static const char *fn = "lb_w4a8_gemm";
  const bool e5m2 = a_dtype == LB_DTYPE_FP8_E5M2;
  const Fp8Elements elements{a, e5m2};
  if (e5m2) return w4_tc_gemm<Fp8X<true>>(fn, a, elements, codes, scales, zeros, a_scales, bias, y, y_dtype, m, n, k, group, s);
  return w4_tc_gemm<Fp8X<false>>(fn, a, elements, codes, scales, zeros, a_scales, bias, y, y_dtype, m, n, k, group, s);
}

}  // namespace lb::cuda
