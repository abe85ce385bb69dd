// The Hopper (sm_90a) tensor-core GEMM skeleton W8A8 and FP8 use when the output has enough 128 x
// 128 tiles to fill the GPU (prefill sizes): D = epilogue(A . B^T) on wgmma.mma_async instead of
// tc_gemm.cuh's mma.sync, which on Hopper reaches only part of the tensor cores' rate.
//
// Tiling: a thread block (2 warpgroups) computes 128 activation rows x 128 weight columns; each
// warpgroup owns 64 weight columns (wgmma's M, from registers: the packed weights, loaded from shared
// memory with the mma.sync kernels' fragment reads) and all 128 rows (wgmma's N, read by the tensor
// cores from shared memory in the 128-byte swizzle). k advances 128 bytes at a time through a
// cp.async pipeline of 32 KiB stages, 3 loaded ahead of the one in use (4 stages; 5 for W8A8, see
// below); each stage is four m64n128k32 wgmmas per warpgroup.
// The layouts and the fragment maps are in wg_layout.h, checked on the host by wg_layout_test.
//
// The pipeline is the simple kind: all 256 threads copy, one barrier per stage. W8A8 keeps one stage's
// wgmmas in flight while it issues the next (A registers double-buffered, one pipeline stage more).
// FP8 folds each stage's sums into f32 totals every 128 k, so a stage's wgmmas must be complete before
// the next one's start from zero in the same registers: it waits for stage j - 1 only after stage j's
// barrier, copy and fragment reads (which so overlap stage j - 1's wgmmas), folds, then issues stage j
// (also one stage more and double-buffered A). On an H100 the version that waited for each stage
// right after issuing it ran at 0.31x the W8A8 kernel's rate.
// wg_ws_gemm.cuh runs the same tile and Ops warp-specialised, TMA loading the stages (W8A8's default on
// Hopper; FP8 stays here, ws_form); larger tiles (weights read by the tensor cores from shared memory)
// are the known next step.
//
// An Op supplies: Args (with a TcOperands `op`, as tc_gemm.cuh's), w_chunk_byte (where 16 bytes of a
// weight column block's 2 KiB stage run go), w_fragments (a warp's A registers for one k32 step),
// kWgInFlight (1: a stage's wgmmas may still run while the next stage's are issued), kWgRetireLate
// (true: the sums are folded just before a stage that starts a fold (WgAccumulators::starts_fold(p, kt))
// is issued, after waiting for every earlier stage; other stages add to the sums in flight), WgAccumulators
// (issue: a stage's wgmmas, committed as one group; retire(p, words): after the wait for stage kt's
// group (for kWgInFlight: kt is the stage issued last, whose predecessor is complete), with stage kt's
// scale words; settle: after the last wait; raw(r): the sum of register r), Raw and finish
// (tc_gemm.cuh's epilogue of one output), kWgStageScales (true: load_stage_scales(p, m0, jb0, kt,
// words, t, threads): thread t of `threads` copies its share of kScaleWords words of per-stage scales
// with cp.async into a small area of their own, one per slot; they stay valid until the slot is
// reused, after retire) and
// kWgHalves (true: each stage is issued as two groups, activation rows 0..63 and 64..127, by
// issue_half(p, h, a, x_addr), and folded half by half with retire_half(p, h, words) as each group
// completes, in the half-tile pipeline below; needs kWgRetireLate's extra stage).
#pragma once
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#include "ptx.cuh"
#include "tc_gemm.cuh"
#include "wg_layout.h"
#include "wgmma.cuh"

namespace lb::cuda {

// 1 when a stage's wgmmas are still running while the next stage is loaded into the pipeline (its slot
// is then reused one stage later).
template <class Op>
constexpr int wg_extra_stage() {
  return Op::kWgInFlight || Op::kWgRetireLate ? 1 : 0;
}

// A thread's share of the copies of every stage of its tile (wg_layout.h's WgCopyPlan), worked out
// once: stage kt's chunks are stage 0's, kt stage lengths further along k. This path requires
// k % 16 == 0 and 16-byte aligned operands, so every chunk is whole or absent (zero-filled: rows past
// m, k past the end, column blocks past n).
struct WgCopies {
  const uint8_t *x_src, *w_src;  // stage 0's first chunk of each kind (rows / blocks past the end: not read)
  int64_t x_step, w_step;        // source bytes between a thread's chunks: kXRowStep rows, kWBlockStep column blocks
  int x_k, w_off;                // the chunks' first k byte / byte of the column block's run in stage 0
  int x_slot, w_slot;            // stage bytes of the first chunks (the others kSlotStep apart)
  uint32_t x_rows, w_blocks;     // bit it: chunk it's row is < m / column block < n16

  template <class WChunkByte>
  __device__ WgCopies(const TcOperands &o, int64_t m0, int64_t jb0, WChunkByte w_chunk_byte) {
    using namespace lb::cuda_wg;
    using P = WgCopyPlan;
    const int tid = static_cast<int>(threadIdx.x);
    x_k = 16 * P::x_chunk(tid);
    w_off = 16 * P::w_chunk(tid);
    x_src = o.a + (m0 + P::x_row(tid, 0)) * o.k + x_k;
    w_src = o.b + (jb0 + P::w_block(tid, 0)) * o.b_block_bytes + w_off;
    x_step = P::kXRowStep * o.k;
    w_step = P::kWBlockStep * o.b_block_bytes;
    x_slot = x_byte(P::x_row(tid, 0), x_k);
    w_slot = kXBytes + w_chunk_byte(P::w_block(tid, 0), P::w_chunk(tid));
    x_rows = w_blocks = 0;
#pragma unroll
    for (int it = 0; it < P::kCopies; ++it) {
      x_rows |= static_cast<uint32_t>(m0 + P::x_row(tid, it) < o.m) << it;
      w_blocks |= static_cast<uint32_t>(jb0 + P::w_block(tid, it) < o.n16) << it;
    }
  }

  // Stage kt (k bytes [128 kt, 128 kt + 128)) into `stage`.
  __device__ __forceinline__ void load(const TcOperands &o, int kt, uint8_t *stage) const {
    using namespace lb::cuda_wg;
    using P = WgCopyPlan;
    const int64_t x_at = static_cast<int64_t>(kt) * kWgK, w_at = static_cast<int64_t>(kt) * (kWgK * 16);
    const bool x_in = x_at + x_k < o.k, w_in = w_at + w_off < o.b_block_bytes;
#pragma unroll
    for (int it = 0; it < P::kCopies; ++it) {
      const bool valid = x_in && ((x_rows >> it) & 1u);
      cp_async16(stage + x_slot + it * P::kSlotStep, valid ? x_src + x_at + it * x_step : o.a, valid);
    }
#pragma unroll
    for (int it = 0; it < P::kCopies; ++it) {
      const bool valid = w_in && ((w_blocks >> it) & 1u);
      cp_async16(stage + w_slot + it * P::kSlotStep, valid ? w_src + w_at + it * w_step : o.b, valid);
    }
  }
};

// Stage kt of the tile: the operands' chunks and, for an Op with kWgStageScales, its scale words.
template <class Op>
__device__ __forceinline__ void wg_load_stage(const typename Op::Args &p, const WgCopies &copies, int64_t m0, int64_t jb0, int kt,
                                              uint8_t *stage, float *scales) {
  if constexpr (Op::kWgStageScales) Op::load_stage_scales(p, m0, jb0, kt, scales, static_cast<int>(threadIdx.x), lb::cuda_wg::kWgThreads);
  copies.load(p.op, kt, stage);
}

// The dynamic shared memory from its first 1024-byte boundary: the 128-byte swizzle is a function of
// address bits 4..9, so stages start 1024-aligned (the launches ask for 1 KiB more than they use).
__device__ __forceinline__ uint8_t *wg_aligned_smem(uint8_t *raw) {
  return raw + ((1024 - (smem_u32(raw) & 1023)) & 1023);
}

// The tile's epilogue, run by the two warpgroups that hold the sums (threads 0..255; `sync` is a barrier
// among exactly them): once both are done with the stages, the raw sums go through shared memory (the
// stages become the staging tile) so that the stores to D run along its rows (the accumulators hold
// 8-column strips of 4 rows per warp), then Op::finish per output.
template <class Op, class Sync>
__device__ __forceinline__ void wg_epilogue(const typename Op::Args &p, const typename Op::WgAccumulators &acc, uint8_t *smem, int64_t m0,
                                            int64_t jb0, Sync sync) {
  using namespace lb::cuda_wg;
  const int tid = static_cast<int>(threadIdx.x), wg = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
  sync();
  using Raw = typename Op::Raw;
  Raw *tile = reinterpret_cast<Raw *>(smem);
#pragma unroll
  for (int r = 0; r < 64; ++r) {
    const TileIndex at = acc_position(wg, warp, lane, r);
    tile[at.row * kOutPitch + at.col] = acc.raw(r);
  }
  sync();
  for (int idx = tid; idx < kWgM * kWgN; idx += kWgThreads) {
    const int row = idx / kWgN, col = idx % kWgN;
    const int64_t i = m0 + row, jcol = jb0 * 16 + col;
    if (i < p.op.m && jcol < p.op.n) Op::finish(p, i, jcol, tile[row * kOutPitch + col]);
  }
}

template <class Op>
__device__ __forceinline__ void wg_gemm_tile(const typename Op::Args &p) {
  using namespace lb::cuda_wg;
  extern __shared__ uint8_t wg_smem_raw[];
  uint8_t *smem = wg_aligned_smem(wg_smem_raw);
  const uint32_t smem_addr = smem_u32(smem);

  const TcOperands &o = p.op;
  const int tid = static_cast<int>(threadIdx.x), wg = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
  const WgTile at_tile = tile_of_block(blockIdx.y * gridDim.x + blockIdx.x, gridDim.y, gridDim.x);
  const int64_t m0 = o.row0 + static_cast<int64_t>(at_tile.row) * kWgM, jb0 = static_cast<int64_t>(at_tile.col) * (kWgN / 16);
  const int kt_count = static_cast<int>((o.k + kWgK - 1) / kWgK);
  typename Op::WgAccumulators acc;
  const WgCopies copies(o, m0, jb0, [](int jb, int c) { return Op::w_chunk_byte(jb, c); });

  // kIn = 1: a stage's wgmmas stay in flight while the next stage's are issued (W8A8: nothing to do
  // between stages); kLate: they stay in flight while the next stage is prepared. Either way their slot
  // and A registers are reused one stage later: one stage more (kBuf), and the A registers
  // double-buffered (the loop runs two stages per trip so that the buffer index is a constant). kAhead
  // stages are loaded ahead of the one in use.
  constexpr bool kLate = Op::kWgRetireLate;
  constexpr int kIn = Op::kWgInFlight, kBuf = wg_extra_stage<Op>(), kStages = kWgStages + kBuf, kAhead = kWgStages - 1;
  static_assert(!(kLate && kIn), "a late retire waits for every earlier stage");
  // Stage kt's scale words (kWgStageScales): after the kStages stages, one kScaleWords run per slot.
  float *const scale_area = reinterpret_cast<float *>(smem + kStages * kStageBytes);
  auto scales_of = [&](int kt) { return scale_area + (kt % kStages) * kScaleWords; };
  // Prologue: stages 0 .. kAhead - 1 in flight; one commit per stage even past the end, so the wait
  // below always counts the same number of groups.
#pragma unroll
  for (int s = 0; s < kAhead; ++s) {
    if (s < kt_count) wg_load_stage<Op>(p, copies, m0, jb0, s, smem + s * kStageBytes, scales_of(s));
    cp_async_commit();
  }
  uint32_t a[1 + kBuf][kWgK / 32][4];
  auto fragments = [&](int kt, uint32_t(&frag)[kWgK / 32][4]) {
#pragma unroll
    for (int s = 0; s < kWgK / 32; ++s) Op::w_fragments(smem + (kt % kStages) * kStageBytes + kXBytes, 4 * wg + warp, lane, s, frag[s]);
  };
  // The whole-stage pipeline (W8A8; FP8 without kWgHalves).
  auto step = [&](int j, auto parity) {
    constexpr int P = decltype(parity)::value;
    cp_async_wait<kAhead - 1>();  // this thread's copies of stage j have landed ...
    fence_proxy_async_shared();   // ... are visible to the tensor cores' proxy ...
    __syncthreads();              // ... everyone's too, and every warpgroup's wgmmas of stage j - 1 - kBuf are complete
    const int next = j + kAhead;  // into the slot of stage j - 1 - kBuf
    if (next < kt_count) wg_load_stage<Op>(p, copies, m0, jb0, next, smem + (next % kStages) * kStageBytes, scales_of(next));
    cp_async_commit();
    const int slot = j % kStages;
    fragments(j, a[P]);
    [[maybe_unused]] bool folds = false;
    if constexpr (kLate) {
      folds = acc.starts_fold(p, j);
      if (folds) {
        wgmma_wait<0>();  // stage j - 1's wgmmas are complete
        if (j > 0) acc.retire(p, scales_of(j - 1));
      }
    }
    acc.issue(p, a[P], smem_addr + slot * kStageBytes, j);
    if constexpr (!kLate) {
      wgmma_wait<kIn>();  // stage j's wgmmas (kIn = 0) or stage j - 1's are complete
      acc.retire(p, scales_of(j));
    } else {
      // Stage j adds to stage j - 1's sums in flight; j - 1's slot and A registers are reused next step.
      if (!folds) wgmma_wait<1>();
    }
  };
  // The half-tile pipeline (kWgHalves): stage j's fragments are in registers when its step starts; its
  // two groups are issued at once, and while they run the warpgroup passes the barrier that publishes
  // stage j + 1, reads stage j + 1's fragments, issues the copies ahead, and folds half 0 as soon as it
  // is complete; only half 1's fold leaves the tensor cores idle. Every group completes within its
  // step: ptxas serialises the wgmmas (C7514) when a group issued in one trip of the loop is waited for
  // in the next and accumulators are read meanwhile.
  // (The accumulators come in as a parameter so that the Ops without halves never see these calls.)
  auto half_step = [&](int j, auto parity, auto &acc_h) {
    constexpr int P = decltype(parity)::value;
    const int slot = j % kStages;
    acc_h.issue_half(p, 0, a[P], smem_addr + slot * kStageBytes);
    acc_h.issue_half(p, 1, a[P], smem_addr + slot * kStageBytes);
    cp_async_wait<kAhead - 2>();  // stage j + 1 has landed (this thread's copies) ...
    fence_proxy_async_shared();
    __syncthreads();  // ... everyone's; every warpgroup finished step j - 1, so stage j - 1's slot is free
    const int next = j + kAhead;  // slots of stages j and j + 1 are live: next lands two slots past them
    if (next < kt_count) wg_load_stage<Op>(p, copies, m0, jb0, next, smem + (next % kStages) * kStageBytes, scales_of(next));
    cp_async_commit();
    if (j + 1 < kt_count) fragments(j + 1, a[1 - P]);
    wgmma_wait<1>();  // half 0 of stage j is complete; half 1 runs on
    acc_h.retire_half(p, 0, scales_of(j));
    wgmma_wait<0>();
    acc_h.retire_half(p, 1, scales_of(j));
  };
  int j = 0;
  if constexpr (Op::kWgHalves) {
    static_assert(kAhead >= 2, "stage j + 1 is loaded while stage j runs");
    cp_async_wait<kAhead - 1>();  // stage 0, everyone's
    fence_proxy_async_shared();
    __syncthreads();
    fragments(0, a[0]);
    for (; j + 1 < kt_count; j += 2) {
      half_step(j, std::integral_constant<int, 0>{}, acc);
      half_step(j + 1, std::integral_constant<int, 1>{}, acc);
    }
    if (j < kt_count) half_step(j, std::integral_constant<int, 0>{}, acc);
  } else {
    if constexpr (kBuf) {
      for (; j + 1 < kt_count; j += 2) {
        step(j, std::integral_constant<int, 0>{});
        step(j + 1, std::integral_constant<int, 1>{});
      }
    }
    for (; j < kt_count; ++j) step(j, std::integral_constant<int, 0>{});
    wgmma_wait<0>();
    if constexpr (kLate) acc.retire(p, scales_of(kt_count - 1));
  }
  acc.settle();
  cp_async_wait<0>();
  wg_epilogue<Op>(p, acc, smem, m0, jb0, [] { __syncthreads(); });
}

// One thread block per 128 x 128 tile of D; 1 KiB of alignment slack on top of the stages. Anything
// but sm_90a gets an empty trap (the host launches it only on compute capability 9.0).
template <class Op>
__global__ void __launch_bounds__(lb::cuda_wg::kWgThreads, 1) wg_gemm_kernel(typename Op::Args p) {
#if defined(__CUDA_ARCH__)
#  if LB_WGMMA_ENABLED
  wg_gemm_tile<Op>(p);
#  else
  __trap();
#  endif
#endif
}

// The Op's stages (one more when a stage's wgmmas stay in flight), their scale words if it copies
// any, and 1 KiB of alignment slack.
template <class Op>
constexpr size_t wg_smem_bytes() {
  using namespace lb::cuda_wg;
  static_assert(!Op::kWgHalves || wg_extra_stage<Op>() == 1, "the half-tile pipeline double-buffers its fragments");
  const size_t stages = static_cast<size_t>(kWgStages + wg_extra_stage<Op>());
  return stages * kStageBytes + (Op::kWgStageScales ? stages * kScaleBytes : 0) + 1024;
}
static_assert(static_cast<size_t>(lb::cuda_wg::kWgM) * lb::cuda_wg::kOutPitch * 4 <= lb::cuda_wg::kWgStages * lb::cuda_wg::kStageBytes,
              "the epilogue's staging tile fits in the stages");

// Whether the wgmma path takes this GEMM: the current device is compute capability 9.0 (the sm_90a
// cubin), the operands allow whole 16-byte copies, and the 128 x 128 tiles alone give at least 3/4 of
// the SMs a block (smaller outputs stay on tc_gemm.cuh's kernel, which splits k to fill the GPU). The
// bar was every SM: m = 512 on a 4096-column layer (128 tiles, 132 SMs) then ran on mma.sync, which
// reaches a fraction of Hopper's tensor-core rate, to keep 4 SMs busy. LOWBIT_CUDA_WGMMA (read at
// every call) = 0 keeps every GEMM on the mma.sync kernel, = 1 sends every GEMM the operands allow to
// wgmma whatever its size: bench/gpu/peer_gemm.py times the paths side by side with it.
inline bool wg_gemm_applies(const TcOperands &o) {
  const char *v = std::getenv("LOWBIT_CUDA_WGMMA");
  if (v && v[0] == '0') return false;
  if (compute_capability() != 90) return false;
  if (o.k <= 0 || o.k % 16 != 0 || !aligned16(o.a) || !aligned16(o.b)) return false;
  if (v && v[0] == '1') return true;
  using namespace lb::cuda_wg;
  const int64_t tiles = (o.n16 + kWgN / 16 - 1) / (kWgN / 16) * ((o.m + kWgM - 1) / kWgM);
  return 4 * tiles >= 3 * static_cast<int64_t>(multiprocessor_count());
}

// Raises `kernel`'s dynamic shared memory limit to `bytes` (above the default 48 KiB) once per device;
// `raised` (one per kernel): bit d = done on device d.
inline cudaError_t raise_smem_limit(const void *kernel, size_t bytes, std::atomic<uint64_t> &raised) {
  int device = 0;
  if (cudaError_t err = cudaGetDevice(&device); err != cudaSuccess) return err;
  const uint64_t bit = uint64_t{1} << (device & 63);
  if (raised.load() & bit) return cudaSuccess;
  if (cudaError_t err = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)); err != cudaSuccess)
    return err;
  raised.fetch_or(bit);
  return cudaSuccess;
}

// launch(p, grid) once per launch of up to 65535 row tiles (gridDim.y's limit) of 128 x 128 tiles, with
// p.op.row0 the launch's first row; the wgmma kernels never split k.
template <class Args, class Launch>
cudaError_t for_each_wg_launch(Args p, Launch launch) {
  using namespace lb::cuda_wg;
  const int64_t rows_per_launch = int64_t{65535} * kWgM, m = p.op.m;
  p.op.split_kt = 0;
  p.op.partial = nullptr;
  cudaError_t err = cudaSuccess;
  for (int64_t r0 = 0; r0 < m && err == cudaSuccess; r0 += rows_per_launch) {
    p.op.row0 = r0;
    launch(p, dim3(static_cast<unsigned>((p.op.n16 + kWgN / 16 - 1) / (kWgN / 16)),
                   static_cast<unsigned>((std::min(rows_per_launch, m - r0) + kWgM - 1) / kWgM)));
    err = cudaGetLastError();
  }
  return err;
}

// Launches the Op's wgmma kernel over all of D on `s`. Its shared memory (161 KiB; FP8 2.6 more for
// its scale words) is above the default limit.
template <class Op>
cudaError_t launch_wg_gemm(const typename Op::Args &p, cudaStream_t s) {
  static_assert(wg_smem_bytes<Op>() <= 227 * 1024, "within sm_90's 227 KiB of shared memory a block");
  static std::atomic<uint64_t> raised{0};
  if (cudaError_t err = raise_smem_limit(reinterpret_cast<const void *>(wg_gemm_kernel<Op>), wg_smem_bytes<Op>(), raised); err != cudaSuccess)
    return err;
  return for_each_wg_launch(p, [s](const typename Op::Args &q, dim3 grid) {
    wg_gemm_kernel<Op><<<grid, lb::cuda_wg::kWgThreads, wg_smem_bytes<Op>(), s>>>(q);
  });
}

}  // namespace lb::cuda
