// One-pass quantize: x crosses DRAM once. Three shapes of work:
//   tile:  blocks of one row and <= 256 columns (groups, short rows): G = block_cols / 8 lanes per
//          block (a power of two), one run of 8 values each, held in registers, the range merged by
//          shuffles within the G lanes; 32 / G blocks per warp;
//   warp:  other blocks of <= 2048 values (rows of 264 .. 2048 columns): a warp per block, up to 8
//          runs per lane held in registers, the range merged by shuffles;
//   block: other blocks of <= 65536 values (long rows, 128 x 128 fp8 blocks): a thread block per quant
//          block ranges it, then codes it reading it again — from L2, where the first read just brought
//          it; the grid keeps the quant blocks in flight within half the L2.
// Holding such long blocks in registers instead measured 0.39 (one block at a time) and 0.17 (two
// blocks in flight, one thread block an SM) of an H200's copy, below the four-kernel path's 0.46
// (docs/formats.md): too few bytes in flight.
// The range is the four-kernel path's [min(x, 0), max(x, 0)] (min and max do not depend on the order),
// found from the values' bits in integer maxes (range8.cuh), and the parameters and codes come from the
// same common/quant.h helpers, so the bits are the CPU's. Errors as there: the first NaN/Inf block and
// the first overflowing scale.
#include "../../common/quant.h"
#include "../convert/vec8.cuh"
#include "../runtime/runtime.h"
#include "codes8.cuh"
#include "one_pass.cuh"
#include "one_pass_layout.h"
#include "range8.cuh"

namespace lb::cuda {
namespace {

using namespace lb::cuda_quant1;

constexpr int kThreads = 256;
constexpr int kWarpRuns = 8;             // runs of 8 per lane in the warp kernel: blocks of <= 32 * 8 * 8 values
constexpr int64_t kMaxTileCols = 256;    // tile kernel: <= 32 lanes of one run
constexpr int64_t kMaxBlockValues = 65536;  // block kernel: one thread block ranges a quant block, so not the whole tensor
constexpr int kBlockUnroll = 4;          // block kernel: runs a thread has loading at once in its range pass (from DRAM)
constexpr int64_t kMaxPairedCols = 128;  // U4 zeros packed two blocks a byte: the pair must share a warp
constexpr unsigned kFull = 0xffffffffu;

// The four-kernel path hands the params kernel lo as -(bits of 0 - lo): +0 arrives as -0. The same
// value here, so block_params sees the same operands.
__device__ __forceinline__ BlockParams params_of(const lb_quant_params &p, const BlockRange &r) {
  return block_params(p, -(0.0f - r.lo), r.hi, 1.0f);
}

// Block `b`'s checks, scale and F16 zero point (U4 zeros packed two a byte are the caller's).
__device__ __forceinline__ void finish_block(const lb_quant_params &p, const BlockRange &r, const BlockParams &bp, int64_t b, void *scales,
                                             void *zeros, unsigned long long *bad) {
  if (!r.finite) note_failure(&bad[0], b);
  store_block_params(p, bp, b, scales, zeros, &bad[1]);
}

// Blocks of one row and 8 * G columns. Rows are padded to Cp block slots (C rounded up to even when U4
// zeros are packed, so that a byte's two blocks are neighbouring tiles of one warp); a padding slot
// loads nothing and stores nothing but takes part in the shuffles.
template <int G>
__global__ void __launch_bounds__(kThreads) tile_kernel(lb_quant_params p, const void *x, lb_dtype t, int64_t rows, int64_t cols,
                                                        int64_t Cp, FastDiv cp_div, uint8_t *q, void *scales, void *zeros,
                                                        unsigned long long *bad) {
  constexpr int kPerWarp = 32 / G;
  const int lane = threadIdx.x & 31;
  const int64_t C = cols / p.block_cols, slots = rows * Cp;  // Cp: tile_row_slots
  const bool paired_zeros = p.qtype == LB_DTYPE_U4 && p.zero_dtype == LB_DTYPE_U4, by_mag = symmetric_range(p);
  const int64_t step = static_cast<int64_t>(gridDim.x) * (kThreads / 32) * kPerWarp;
  int64_t base = (static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x) / 32 * kPerWarp;
  const bool small = slots + step + 32 <= int64_t{0xffffffff};  // every slot index a lane forms fits 32 bits
  TileLane at = tile_lane(base, lane, G, Cp, C, rows, cols, cp_div, small);
  Raw8 raw{};
  if (at.live) raw = load_raw8(x, t, at.e0);
  for (; base < slots; base += step) {  // the bound is the warp's: its lanes stay together for the shuffles
    // The warp's next batch is loaded before this one is ranged and coded: twice the bytes in flight
    // (the H200 profile, 2026-11-26, had this kernel at 48% of DRAM bandwidth, int4 g128).
    const TileLane next_at = tile_lane(base + step, lane, G, Cp, C, rows, cols, cp_div, small);  // past the end: not live
    Raw8 next_raw = raw;
    if (next_at.live) next_raw = load_raw8(x, t, next_at.e0);
    float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (at.live) decode8(raw, t, v);
    BlockRange range;
    widen(range, v, by_mag);
    merge_lanes(range, G, by_mag);
    settle(range, by_mag);
    const BlockParams bp = params_of(p, range);
    if (at.live) quantize8(p, bp, v, q, at.e0);
    if (at.leader) finish_block(p, range, bp, at.r * C + at.cb, scales, zeros, bad);
    if (paired_zeros) {
      const uint32_t z = static_cast<uint32_t>(bp.zero);
      const uint32_t next = __shfl_down_sync(kFull, z, G);  // the block to the right, in the next tile
      if (at.leader && at.cb % 2 == 0)
        static_cast<uint8_t *>(zeros)[zero_byte(at.r, at.cb, C)] = static_cast<uint8_t>(z | (at.cb + 1 < C ? next << 4 : 0u));
    }
    at = next_at;
    raw = next_raw;
  }
}

// One thread's runs of a quant block of `runs` runs: runs first, first + kStride, ... (up to kN),
// held raw — every load issued at once, the values decoded where they are used (the warp kernel's
// lanes, kStride 32; the block kernel's range pass, kStride kThreads).
template <int kN, int kStride>
struct HeldRuns {
  Raw8 raw[kN];

  __device__ __forceinline__ static bool has(int first, int k, int runs) { return first + k * kStride < runs; }

  __device__ __forceinline__ void load(const lb_quant_params &p, RunCols rc, const void *x, lb_dtype t, int64_t cols, int64_t rb,
                                       int64_t cb, int first, int runs) {
#pragma unroll
    for (int k = 0; k < kN; ++k)
      if (has(first, k, runs)) raw[k] = load_raw8(x, t, block_run_element(rb, cb, first + k * kStride, p.block_rows, rc, cols));
  }

  __device__ __forceinline__ void widen_range(BlockRange &range, lb_dtype t, int first, int runs, bool by_mag) const {
#pragma unroll
    for (int k = 0; k < kN; ++k)
      if (has(first, k, runs)) {
        float v[8];
        decode8(raw[k], t, v);
        widen(range, v, by_mag);
      }
  }

  __device__ __forceinline__ void code(const lb_quant_params &p, RunCols rc, const BlockParams &bp, lb_dtype t, int64_t cols, int64_t rb,
                                       int64_t cb, int first, int runs, uint8_t *q) const {
#pragma unroll
    for (int k = 0; k < kN; ++k)
      if (has(first, k, runs)) {
        float v[8];
        decode8(raw[k], t, v);
        quantize8(p, bp, v, q, block_run_element(rb, cb, first + k * kStride, p.block_rows, rc, cols));
      }
  }
};

// A warp per quant block, for blocks of <= 32 * kWarpRuns runs that the tile kernel does not take
// (rows of 264 .. 2048 columns: per-token int8 of MiniLM's 384 and 1536, say): lane L takes runs L,
// L + 32, ..., the range is merged by shuffles alone, and warps run independently — no shared memory,
// no barrier. The thread block per quant block it replaced left most of 256 threads idle (48 runs at
// 384 columns). Ran first on an H200 on 2026-11-26 (CudaTest: the CPU's bits).
__global__ void __launch_bounds__(kThreads) warp_kernel(lb_quant_params p, const void *x, lb_dtype t, int64_t rows, int64_t cols,
                                                        uint8_t *q, void *scales, void *zeros, unsigned long long *bad) {
  const int lane = threadIdx.x & 31;
  const int64_t C = cols / p.block_cols, blocks = rows / p.block_rows * C, warps = static_cast<int64_t>(gridDim.x) * (kThreads / 32);
  const int runs = static_cast<int>(p.block_rows * (p.block_cols / 8));
  const RunCols rc = run_cols_of(p.block_cols);
  const bool by_mag = symmetric_range(p);
  for (int64_t b = (static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x) / 32; b < blocks; b += warps) {
    const int64_t rb = b / C, cb = b - rb * C;
    HeldRuns<kWarpRuns, 32> held;
    held.load(p, rc, x, t, cols, rb, cb, lane, runs);
    BlockRange range;
    held.widen_range(range, t, lane, runs, by_mag);
    merge_lanes(range, 32, by_mag);
    settle(range, by_mag);
    const BlockParams bp = params_of(p, range);
    held.code(p, rc, bp, t, cols, rb, cb, lane, runs, q);
    if (lane == 0) finish_block(p, range, bp, b, scales, zeros, bad);
  }
}

// The range of the runs j = threadIdx.x + k kThreads of quant block (rb, cb), kBlockUnroll runs'
// loads issued before any is used (HeldRuns, as the warp kernel's lanes hold theirs).
__device__ __forceinline__ void range_of_runs(const lb_quant_params &p, RunCols rc, const void *x, lb_dtype t, int64_t cols, int64_t rb,
                                              int64_t cb, int runs, bool by_mag, BlockRange &range) {
  for (int j0 = static_cast<int>(threadIdx.x); j0 < runs; j0 += kThreads * kBlockUnroll) {
    HeldRuns<kBlockUnroll, kThreads> held;
    held.load(p, rc, x, t, cols, rb, cb, j0, runs);
    held.widen_range(range, t, j0, runs, by_mag);
  }
}

// The thread block's ranges merged (lanes by shuffles, warps through `part`); every thread gets the
// result. Two barriers: before the warps' ranges are read, and after, so that the next quant block may
// write them again.
struct WarpRanges {
  lb::BitsRange bits[kThreads / 32];
  uint32_t mag[kThreads / 32];
};

__device__ __forceinline__ void merge_block(BlockRange &range, WarpRanges &part, bool by_mag) {
  merge_lanes(range, 32, by_mag);
  const int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
  if (lane == 0) {
    part.bits[warp] = range.bits;
    part.mag[warp] = range.mag;
  }
  __syncthreads();
#pragma unroll
  for (int w = 0; w < kThreads / 32; ++w) {
    bits_range_merge(range.bits, part.bits[w]);
    range.mag = max(range.mag, part.mag[w]);
  }
  __syncthreads();
  settle(range, by_mag);
}

// A thread block per quant block at a time, striding over them: the range from a first read of the
// block, then its codes from a second read that finds it in L2 (block_kernel_grid keeps the blocks in
// flight there), so DRAM sees x once and the codes once. Few registers, so several thread blocks an
// SM keep loads in flight while others range or code: at least 4 (64 registers). Left to itself ptxas
// gave the RunCols version 79, 3 blocks an SM, and fp8 128 x 128 measured 5-14% slower on an H200
// (2026-11-27); bounded, it fits 64 without spills (not yet timed on a GPU).
__global__ void __launch_bounds__(kThreads, 4) block_kernel(lb_quant_params p, const void *x, lb_dtype t, int64_t rows, int64_t cols,
                                                            uint8_t *q, void *scales, void *zeros, unsigned long long *bad) {
  __shared__ WarpRanges part;
  const int64_t C = cols / p.block_cols, blocks = rows / p.block_rows * C;
  const int runs = static_cast<int>(p.block_rows * (p.block_cols / 8));
  const RunCols rc = run_cols_of(p.block_cols);
  const bool by_mag = symmetric_range(p);
  for (int64_t b = blockIdx.x; b < blocks; b += gridDim.x) {
    const int64_t rb = b / C, cb = b - rb * C;
    BlockRange range;
    range_of_runs(p, rc, x, t, cols, rb, cb, runs, by_mag, range);
    merge_block(range, part, by_mag);
    const BlockParams bp = params_of(p, range);
    // The code pass reads from L2, a run at a time: unrolled like the range pass it took 115 registers
    // (ptxas, sm_90a) against 64, and fewer thread blocks an SM than the grid counts on.
    for (int j = static_cast<int>(threadIdx.x); j < runs; j += kThreads) {
      const int64_t e0 = block_run_element(rb, cb, j, p.block_rows, rc, cols);
      float v[8];
      load8(x, t, e0, v);
      quantize8(p, bp, v, q, e0);
    }
    if (threadIdx.x == 0) finish_block(p, range, bp, b, scales, zeros, bad);
  }
}

// Quant blocks in flight (one a thread block) within half the L2, so that the code pass finds its
// block there; at least one thread block an SM, at most 8 (2048 threads).
unsigned block_kernel_grid(int64_t blocks, int64_t block_bytes) {
  const int64_t sms = multiprocessor_count();
  int64_t grid = l2_cache_bytes() / 2 / block_bytes;
  grid = grid < sms ? sms : (grid > 8 * sms ? 8 * sms : grid);
  return static_cast<unsigned>(blocks < grid ? blocks : grid);
}

template <int G>
void launch_tile(const lb_quant_params &p, const void *x, lb_dtype t, int64_t rows, int64_t cols, uint8_t *q, void *scales,
                 void *zeros, unsigned long long *bad, cudaStream_t s) {
  const int64_t C = cols / p.block_cols;
  const int64_t Cp = tile_row_slots(C, p.qtype == LB_DTYPE_U4 && p.zero_dtype == LB_DTYPE_U4);
  const int64_t need = (rows * Cp * G + kThreads - 1) / kThreads, cap = int64_t{multiprocessor_count()} * 16;
  const unsigned grid = static_cast<unsigned>(need < cap ? (need > 0 ? need : 1) : cap);
  tile_kernel<G><<<grid, kThreads, 0, s>>>(p, x, t, rows, cols, Cp, fast_div(static_cast<uint32_t>(Cp)), q, scales, zeros, bad);
}

}  // namespace

OnePassShape one_pass_shape(const lb_quant_params &p, const void *x, int64_t rows, int64_t cols, const void *q) {
  if (env_switched_off("LOWBIT_CUDA_QUANT_ONE_PASS")) return OnePassShape::None;
  if ((p.flags & LB_QUANT_MSE_CLIP) || !vector_ok(p, cols, x, q)) return OnePassShape::None;
  const bool paired_zeros = p.qtype == LB_DTYPE_U4 && p.zero_dtype == LB_DTYPE_U4;
  const int64_t g = p.block_cols / 8;
  if (p.block_rows == 1 && p.block_cols <= kMaxTileCols && (g & (g - 1)) == 0 && !(paired_zeros && p.block_cols > kMaxPairedCols))
    return OnePassShape::Tile;
  if (!paired_zeros && p.block_rows * g <= int64_t{32} * kWarpRuns) return OnePassShape::Warp;
  // A quant block a thread block: the tensor must have enough of them to fill the GPU (a per-tensor
  // scale's range is the four-kernel path's, merged by atomics across the grid).
  const int64_t blocks = rows / p.block_rows * (cols / p.block_cols);
  if (!paired_zeros && p.block_rows * p.block_cols <= kMaxBlockValues && blocks >= multiprocessor_count()) return OnePassShape::Block;
  return OnePassShape::None;
}

void quantize_one_pass(OnePassShape shape, const lb_quant_params &p, const void *x, lb_dtype t, int64_t rows, int64_t cols, void *q,
                       void *scales, void *zeros, unsigned long long *bad, cudaStream_t s) {
  if (rows == 0 || cols == 0) return;
  auto *codes = static_cast<uint8_t *>(q);
  if (shape == OnePassShape::Block) {
    const int64_t blocks = rows / p.block_rows * (cols / p.block_cols);
    const int64_t block_bytes = p.block_rows * p.block_cols * (t == LB_DTYPE_F32 ? 4 : 2);
    block_kernel<<<block_kernel_grid(blocks, block_bytes), kThreads, 0, s>>>(p, x, t, rows, cols, codes, scales, zeros, bad);
    return;
  }
  if (shape == OnePassShape::Warp) {
    const int64_t blocks = rows / p.block_rows * (cols / p.block_cols), per = kThreads / 32;
    const int64_t need = (blocks + per - 1) / per, cap = int64_t{multiprocessor_count()} * 16;
    warp_kernel<<<static_cast<unsigned>(need < cap ? need : cap), kThreads, 0, s>>>(p, x, t, rows, cols, codes, scales, zeros, bad);
    return;
  }
  switch (p.block_cols / 8) {
    case 1: return launch_tile<1>(p, x, t, rows, cols, codes, scales, zeros, bad, s);
    case 2: return launch_tile<2>(p, x, t, rows, cols, codes, scales, zeros, bad, s);
    case 4: return launch_tile<4>(p, x, t, rows, cols, codes, scales, zeros, bad, s);
    case 8: return launch_tile<8>(p, x, t, rows, cols, codes, scales, zeros, bad, s);
    case 16: return launch_tile<16>(p, x, t, rows, cols, codes, scales, zeros, bad, s);
    default: return launch_tile<32>(p, x, t, rows, cols, codes, scales, zeros, bad, s);
  }
}

}  // namespace lb::cuda
