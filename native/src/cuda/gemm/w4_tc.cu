// 4-bit weights (lowbit.h's packed W4A16 layout) on tensor cores with swapped operands, for the
// decode and small-batch sizes: W4A16 (F16 / BF16 x, mma.m16n8k16, sm_80+) for 2 <= m, and W4A8
// (FP8 x, mma.m16n8k32 with E4M3 weights, sm_89+) for m <= 64. m = 1 W4A16 stays on the CUDA-core
// GEMV in w4a16.cu (it streams the weights without mma; LOWBIT_CUDA_W4A16_M1=tc for an A/B); W4A8
// beyond 64 rows on the 128 x 128 tiles of w4a8.cu. Index maps checked on the host
// (w4_tc_layout_test). The version before this one passed GemmCudaTest on an H200 (2026-11-26) but
// was slow: W4A16 at m = 16 ran at 0.34x torch fp16 on 4096 x 4096 (0.41x on 14336 x 4096). This
// one (the sums on the tensor cores, a lean main loop; see below) passes there too and runs m = 16 at
// 0.96x / 1.01x torch fp16 (H200, 2026-11-26 (12)): 2.5-2.8x faster, still far from the weights' streaming time.
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
// and unit from one more mma per tile pair and step (x's B registers as A, times ones:
// w4_tc_layout.h's sum_a_reg) and a shuffle at the fold; W4A8 then multiplies by the row's
// activation scale. Products u . x are exact in f32, so results agree with the CPU's to
// accumulation order (the tests' bounds).
//
// Until 2026-11-26 the sums came from a kernel of their own (row_sums.cuh) run first: ncu timed it at
// 20 us of a 4096 x 4096 m = 16 call, one thread a run summing 128 elements one load after another,
// and this kernel at ~720 instructions a warp per stage, at 14% occupancy (8.5% of DRAM bandwidth):
// 64-bit index arithmetic, a 64-bit modulo each step and the fold's dependent global loads. Now each
// thread works out its copies once (StageCopies), the fold counts steps, and a fold unit's scale and
// zero point are loaded one unit ahead (FoldParams).
//
// Split-K: when the column blocks x row tiles give fewer than kBlocksPerSm thread blocks per SM, k is
// cut at fold-unit boundaries over gridDim.z; each split writes f32 partial sums to a scratch buffer and a
// second kernel adds them in split order (deterministic), then applies the activation scale and
// the bias and converts.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "../../common/float_io.h"
#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "ptx.cuh"
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
  const float *a_scales;   // [m] (W4A8: one scale per row of x), or null
  const float *bias;       // [n] or null
  void *y;                 // [m, n] (split == 1)
  lb_dtype y_dtype;
  float *partial;          // [splits][m][n] f32 (splits > 1), else null
  int64_t m, n, k, n16, group, groups, unit, split_k;
};

// W4A16: F16 (kBF16: BF16) x, mma.m16n8k16.
template <bool kBF16>
struct HalfX {
  static constexpr int kXBytes = 2, kMinArch = 800;
  static constexpr uint32_t kOnes = kBF16 ? 0x3F803F80u : 0x3C003C00u;  // two 1.0
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
  // d += x rows (as A) . ones: the row sums (w4_tc_layout.h's sum_a_reg).
  static __device__ __forceinline__ void sum_mma(float (&d)[4], const uint32_t (&x)[4]) {
    const uint32_t ones[2] = {kOnes, kOnes};
    mma_16816<kBF16>(d, x, ones);
  }
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
  static __device__ __forceinline__ void sum_mma(float (&d)[4], const uint32_t (&x)[4]) {
    const uint32_t ones[2] = {0x38383838u, 0x38383838u};  // E4M3 1.0, four a register
    mma_fp8_16832<kE5M2, false>(d, x, ones);
  }
};

// One thread's share of every stage's cp.async copies, worked out once (w4_tc_layout.h's CopyPlan:
// one source pointer, one stride and one shared offset a kind, a validity bit a chunk); stage kt
// adds kt * 128 bytes to x and kt * kPairs * 16 to the codes. Copies past n, m or the split's end
// zero-fill (zero codes and zero x add nothing).
template <class Op, int kTiles>
struct StageCopies {
  using S = typename Op::S;
  using Plan = CopyPlan<Op::kXBytes>;
  static constexpr int kXAll = kTiles * 8 * kXChunks, kX = (kXAll + kThreads - 1) / kThreads;  // x chunks (a thread)
  static constexpr int64_t kWStride = S::kPairs * 16, kXStride = 128;

  const uint8_t *w_src, *x_src;  // chunk 0 of stage 0
  int64_t w_step, x_step;        // chunk c + 1 minus chunk c, in bytes
  int w_at, x_at, w_k, x_k;      // chunk 0's shared offset; the k within a stage the chunks start at
  unsigned w_ok = 0, x_ok = 0;   // bit c: chunk c's column block / x row exists

  __device__ StageCopies(const W4TcArgs &p, int64_t jb0, int64_t row0, int64_t k_begin) {
    const int tid = static_cast<int>(threadIdx.x), w0 = Plan::w_block(tid, 0), pr = Plan::w_pair(tid);
    w_at = w_byte<Op::kXBytes>(w0, pr, 0);
    w_k = 2 * pr;
    w_step = Plan::kWPass * (p.k / 2) * 16;
    w_src = p.codes + ((jb0 + w0) * (p.k / 2) + k_begin / 2 + pr) * 16;
#pragma unroll
    for (int c = 0; c < Plan::kW; ++c) w_ok |= (jb0 + Plan::w_block(tid, c) < p.n16 ? 1u : 0u) << c;
    constexpr int kPerChunk = 16 / Op::kXBytes;  // elements of x per 16-byte chunk
    const int r0 = Plan::x_row(tid, 0);
    x_at = 16 * x_slot(r0, Plan::x_chunk(tid));
    x_k = kPerChunk * Plan::x_chunk(tid);
    x_step = Plan::kXPass * p.k * Op::kXBytes;
    x_src = p.x + ((row0 + r0) * p.k + k_begin + x_k) * Op::kXBytes;
#pragma unroll
    for (int c = 0; c < kX; ++c) x_ok |= (tid + c * kThreads < kXAll && row0 + Plan::x_row(tid, c) < p.m ? 1u : 0u) << c;
  }

  // Stage kt's copies into ws / xs; `len` is the split's k (every chunk whole: len is a multiple of the mma step).
  __device__ __forceinline__ void issue(int kt, int len, uint8_t *ws, uint8_t *xs, const W4TcArgs &p) const {
    const int kb = kt * S::kK;
#pragma unroll
    for (int c = 0; c < Plan::kW; ++c) {
      const bool ok = (w_ok >> c & 1u) && kb + w_k < len;
      cp_async16(ws + w_at + c * Plan::kWSlotStep, ok ? w_src + c * w_step + kt * kWStride : p.codes, ok);
    }
#pragma unroll
    for (int c = 0; c < kX; ++c) {
      if (kXAll % kThreads != 0 && static_cast<int>(threadIdx.x) + c * kThreads >= kXAll) break;  // kTiles = 1: half the threads
      const bool ok = (x_ok >> c & 1u) && kb + x_k < len;
      cp_async16(xs + x_at + c * Plan::kXSlotStep, ok ? x_src + c * x_step + kt * kXStride : p.x, ok);
    }
  }
};

// The B registers of x tiles `tile` (and `tile + 1` when kPair) for mma step s; without kPair
// b[2], b[3] are zero (the row-sum mma's rows 8..15).
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
    b[2] = b[3] = 0;
  }
}

// The epilogue of one output from its f32 total (kernel or split sum): W4A8's activation scale,
// then the bias.
__device__ __forceinline__ void store_output(const W4TcArgs &p, int64_t i, int64_t j, float v) {
  if (p.a_scales) v = mul_rn(v, p.a_scales[i]);
  if (p.bias) v = add_rn(v, p.bias[j]);
  store_float(p.y, p.y_dtype, i * p.n + j, v);
}

// The scale and zero point pairs (columns 2g, 2g + 1) of one warp's column block, group by group
// (w4_tc_layout.h's FoldCursor): the pair for the next fold unit is loaded right after a fold, so
// its latency hides behind the unit's mma instead of stalling the fold.
struct FoldParams {
  const float *scales, *zeros;  // this lane's pair in the current group
  FoldCursor cursor;
  float2 sc, zp;

  __device__ FoldParams(const W4TcArgs &p, int64_t jb, int64_t k_begin, int g) : cursor(k_begin, p.unit, p.group) {
    const int64_t at = (jb * p.groups + cursor.group) * 16 + 2 * g;
    scales = p.scales + at;
    zeros = p.zeros + at;
    load();
  }
  __device__ __forceinline__ void load() {
    sc = __ldg(reinterpret_cast<const float2 *>(scales));
    zp = __ldg(reinterpret_cast<const float2 *>(zeros));
  }
  // After a fold; `more`: another unit follows in this split (so its group exists).
  __device__ __forceinline__ void next(bool more) {
    if (cursor.advance()) {
      scales += 16;
      zeros += 16;
    }
    if (more) load();
  }
};

template <class Op, int kTiles>
__device__ __forceinline__ void w4_tc_tile(const W4TcArgs &p) {
  using S = typename Op::S;
  constexpr int kPairs = (kTiles + 1) / 2;  // tile pairs: one ldmatrix and one row-sum mma each
  __shared__ __align__(16) uint8_t Ws[kStages][S::kWBytes];
  __shared__ __align__(16) uint8_t Xs[kStages][kTiles * 8 * kXChunks * 16];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int64_t jb0 = static_cast<int64_t>(blockIdx.x) * kWarps, jb = jb0 + warp;
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * kTiles * 8;
  const int64_t k_begin = static_cast<int64_t>(blockIdx.z) * p.split_k;
  const int len = static_cast<int>(std::min(p.k, k_begin + p.split_k) - k_begin);  // a multiple of the unit
  const int stages = (len + S::kK - 1) / S::kK, steps_per_unit = static_cast<int>(p.unit / S::kStepK);
  const bool active = jb < p.n16;  // warps past n still copy and wait with the block
  const StageCopies<Op, kTiles> copies(p, jb0, row0, k_begin);

  float acc[kTiles][4], total[kTiles][4], sums[kPairs][4];
#pragma unroll
  for (int mt = 0; mt < kTiles; ++mt)
#pragma unroll
    for (int e = 0; e < 4; ++e) acc[mt][e] = total[mt][e] = 0.0f;
#pragma unroll
  for (int pt = 0; pt < kPairs; ++pt)
#pragma unroll
    for (int e = 0; e < 4; ++e) sums[pt][e] = 0.0f;

#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {  // one commit per stage even past the end (as tc_gemm)
    if (s < stages) copies.issue(s, len, Ws[s], Xs[s], p);
    cp_async_commit();
  }
  FoldParams fold(p, active ? jb : 0, k_begin, g);  // inactive warps read block 0's (valid) pair, never use it
  int step_in_unit = 0, units_left = len / static_cast<int>(p.unit);
  for (int kt = 0; kt < stages; ++kt) {
    cp_async_wait<kStages - 2>();
    __syncthreads();
    const int next = kt + kStages - 1;
    if (next < stages) copies.issue(next, len, Ws[next % kStages], Xs[next % kStages], p);
    cp_async_commit();
    if (!active) continue;

    const uint8_t *ws = Ws[kt % kStages], *xs = Xs[kt % kStages];
    const int steps = std::min(4, (len - kt * S::kK) / S::kStepK);  // 4 but in a split's last stage
#pragma unroll
    for (int s = 0; s < 4; ++s) {  // mma steps of the stage
      if (s >= steps) break;
      uint32_t a[4];
      Op::a_fragments(ws, warp, s, g, t, a);
#pragma unroll
      for (int pt = 0; pt < kPairs; ++pt) {
        uint32_t b[4];
        x_fragments<(kTiles > 1)>(xs, 2 * pt, s, lane, b);
        const uint32_t b_lo[2] = {b[0], b[1]}, b_hi[2] = {b[2], b[3]};
        Op::mma(acc[2 * pt], a, b_lo);
        if constexpr (kTiles > 1) Op::mma(acc[2 * pt + 1], a, b_hi);
        const uint32_t xa[4] = {b[sum_a_reg(0)], b[sum_a_reg(1)], b[sum_a_reg(2)], b[sum_a_reg(3)]};
        Op::sum_mma(sums[pt], xa);
      }
      if (++step_in_unit == steps_per_unit) {  // end of a fold unit: take out the zero point, apply the scale
        step_in_unit = 0;
#pragma unroll
        for (int mt = 0; mt < kTiles; ++mt) {
          const float src = sums[mt / 2][2 * (mt % 2)];  // d_row(t, e) depends on e & 1 only: two rows a lane
          const float xsum[2] = {__shfl_sync(0xffffffffu, src, sum_lane(d_row(t, 0))), __shfl_sync(0xffffffffu, src, sum_lane(d_row(t, 1)))};
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const float scale = (e >> 1) ? fold.sc.y : fold.sc.x, zero = (e >> 1) ? fold.zp.y : fold.zp.x;
            total[mt][e] = fmaf(scale, fmaf(-zero, xsum[e & 1], acc[mt][e]), total[mt][e]);
            acc[mt][e] = 0.0f;
          }
        }
#pragma unroll
        for (int pt = 0; pt < kPairs; ++pt)
#pragma unroll
          for (int e = 0; e < 4; ++e) sums[pt][e] = 0.0f;
        fold.next(--units_left > 0);
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
__device__ __forceinline__ void w4_tc_entry(const W4TcArgs &p) {
#if defined(__CUDA_ARCH__)
  if constexpr (__CUDA_ARCH__ < Op::kMinArch) {
    __trap();
  } else {
    w4_tc_tile<Op, kTiles>(p);
  }
#endif
}

template <class Op, int kTiles>
__global__ void __launch_bounds__(kThreads) w4_tc_kernel(W4TcArgs p) {
  w4_tc_entry<Op, kTiles>(p);
}

// The same with 8 blocks an SM asked of ptxas (64 registers), for the tile counts where that fits
// without spills (w4_tc_fits_8): left to itself ptxas put 16-bit x, 2 tiles at 64 registers with an
// 8-byte spill, and an explicit minimum of 1 for the larger tiles made it take more registers than
// no minimum (fp8 x, 8 tiles: 206 against 168), hence two kernels rather than one computed bound.
template <class Op, int kTiles>
__global__ void __launch_bounds__(kThreads, 8) w4_tc_kernel_8(W4TcArgs p) {
  w4_tc_entry<Op, kTiles>(p);
}

// 16-bit x up to 2 tiles, fp8 x with 1 (2 tiles of fp8 x spill at 64 registers): matches kBlocksPerSm.
template <class Op, int kTiles>
constexpr bool w4_tc_fits_8() {
  return kTiles <= (Op::kXBytes == 2 ? 2 : 1);
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
  const auto launch = [&](auto count) {
    constexpr int kTiles = decltype(count)::value;
    if constexpr (w4_tc_fits_8<Op, kTiles>()) w4_tc_kernel_8<Op, kTiles><<<grid, kThreads, 0, s>>>(p);
    else w4_tc_kernel<Op, kTiles><<<grid, kThreads, 0, s>>>(p);
  };
  switch (tiles) {
    case 1: launch(std::integral_constant<int, 1>{}); break;
    case 2: launch(std::integral_constant<int, 2>{}); break;
    case 4: launch(std::integral_constant<int, 4>{}); break;
    default: launch(std::integral_constant<int, 8>{}); break;
  }
  return cudaGetLastError();
}

// The tile count and split-K, the launch(es), the scratch freed stream-ordered.
template <class Op>
lb_status w4_tc_gemm(const char *fn, const void *x, const uint8_t *codes, const float *scales, const float *zeros,
                     const float *a_scales, const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k,
                     int64_t group, cudaStream_t s) {
  const int tiles = m <= 8 ? 1 : m <= 16 ? 2 : m <= 32 ? 4 : 8;
  const int64_t n16 = (n + 15) / 16, col_blocks = (n16 + kWarps - 1) / kWarps, row_tiles = (m + 8 * tiles - 1) / (8 * tiles);
  const int64_t unit = fold_unit(group, Op::S::kStepK), units = k / unit;
  // Split k at fold units, each split at least ~256 k.
  const SplitK split = choose_split_k(col_blocks * row_tiles, units, std::min({units, std::max<int64_t>(1, k / 256), int64_t{65535}}),
                                      blocks_per_sm());
  const int64_t splits = split.splits, units_per_split = split.granules_per_split;

  float *partial = nullptr;
  if (splits > 1)
    if (lb_status st = check(cudaMallocAsync(reinterpret_cast<void **>(&partial), static_cast<size_t>(splits * m * n) * sizeof(float), s),
                             fn, "cudaMallocAsync of the split-K partial sums"))
      return st;
  const W4TcArgs p{static_cast<const uint8_t *>(x), codes, scales, zeros, a_scales, bias, y, y_dtype, partial,
                   m, n, k, n16, group, k / group, unit, units_per_split * unit};
  const dim3 grid(static_cast<unsigned>(col_blocks), static_cast<unsigned>(row_tiles), static_cast<unsigned>(splits));
  cudaError_t err = launch_tiles<Op>(p, grid, tiles, s);
  if (err == cudaSuccess && partial) err = launch_add_split_sums(partial, splits, m, n, StoreOutput{p}, s);
  if (partial) cudaFreeAsync(partial, s);  // stream-ordered: after the kernels
  return check(err, fn, "kernel launch");
}

// Aligned rows, and k small enough for the kernel's 32-bit offsets within a split.
bool aligned_rows(const void *x, int64_t k, int bytes) {
  return (reinterpret_cast<uintptr_t>(x) & 15) == 0 && (k * bytes) % 16 == 0 && k < (int64_t{1} << 30);
}

// m = 1 stays on the CUDA-core GEMV (w4a16.cu), which streams the weights without mma, unless
// LOWBIT_CUDA_W4A16_M1=tc: an A/B switch for the GPU scripts, since which of the two reads the
// weights faster at m = 1 has not been measured since this kernel's rewrite.
bool m1_on_tensor_cores() {
  static const bool value = [] {
    const char *v = std::getenv("LOWBIT_CUDA_W4A16_M1");
    return v && std::strcmp(v, "tc") == 0;
  }();
  return value;
}

}  // namespace

bool w4a16_tc_applies(const void *x, lb_dtype x_dtype, int64_t m, int64_t k, int64_t group) {
  return (x_dtype == LB_DTYPE_F16 || x_dtype == LB_DTYPE_BF16) && (m >= 2 || (m == 1 && m1_on_tensor_cores())) &&
         m <= int64_t{65535} * 64 && k % 16 == 0 && group % 16 == 0 && aligned_rows(x, k, 2);
}

lb_status w4a16_tc_gemm(const void *x, lb_dtype x_dtype, const uint8_t *codes, const float *scales, const float *zeros,
                        const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k, int64_t group,
                        cudaStream_t s) {
  static const char *fn = "lb_w4a16_gemm";
  if (x_dtype == LB_DTYPE_BF16) return w4_tc_gemm<HalfX<true>>(fn, x, codes, scales, zeros, nullptr, bias, y, y_dtype, m, n, k, group, s);
  return w4_tc_gemm<HalfX<false>>(fn, x, codes, scales, zeros, nullptr, bias, y, y_dtype, m, n, k, group, s);
}

bool w4a8_tc_applies(const void *a, int64_t m, int64_t k, int64_t group) {
  return m <= 64 && k % 32 == 0 && group % 32 == 0 && aligned_rows(a, k, 1);
}

lb_status w4a8_tc_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const uint8_t *codes, const float *scales,
                       const float *zeros, const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k,
                       int64_t group, cudaStream_t s) {
  static const char *fn = "lb_w4a8_gemm";
  const bool e5m2 = a_dtype == LB_DTYPE_FP8_E5M2;
  if (e5m2) return w4_tc_gemm<Fp8X<true>>(fn, a, codes, scales, zeros, a_scales, bias, y, y_dtype, m, n, k, group, s);
  return w4_tc_gemm<Fp8X<false>>(fn, a, codes, scales, zeros, a_scales, bias, y, y_dtype, m, n, k, group, s);
}

}  // namespace lb::cuda
