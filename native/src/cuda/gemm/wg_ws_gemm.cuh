// The warp-specialised Hopper (sm_90a) GEMM: wg_gemm.cuh's tile, stage layout and Op interface, with
// the activations loaded by TMA and the stages filled by a producer warpgroup instead of every
// thread's cp.async, and the consumers synchronised by mbarriers instead of a block barrier per stage.
// W8A8 (its default since an H200 run checked and timed it) and FP8 (opt-in: LOWBIT_CUDA_WS=1); see ws_form.
//
// Why: in the cp.async kernel each of the 256 threads issues ~170-190 instructions a stage of address
// and copy work (W8A8 ran issue-bound on the H200), and the block barrier that publishes a stage makes
// both warpgroups wait for the slower one and for every thread's copies. Here the consumers only read
// fragments, issue wgmmas and fold, each warpgroup at its own pace: while one folds its sums (FP8's
// per-128-k f32 promotion) the other's wgmmas keep the tensor cores busy.
//
// Roles (384 threads): warpgroups 0 and 1 are the consumers, exactly the two warpgroups of
// wg_gemm.cuh (same thread indices, so the Op's fragment reads, accumulators and epilogue are
// shared); warpgroup 2 is the producer. Its thread 0 issues each stage's TMA loads: the activation box
// (128 rows x 128 k bytes) and, for FP8 (Op::kWsWeights), the weight box (8 column blocks x 64
// k-pairs) — wg_layout.h shows both land exactly where the cp.async plan puts them — or, with the
// K-major weights of the LOWBIT_CUDA_KMAJOR experiment, a box shaped as the activations' that
// the consumers' wgmmas read through a descriptor instead of fragment loads. W8A8's int8 quads
// are swizzled in a way no TMA mode reproduces, so its 128 producer threads copy the weights with
// cp.async (chunk t of each of the 8 column blocks' 2 KiB runs); they also copy FP8's BLOCK scale
// words. The producer gives back registers (setmaxnreg 40) so the consumers may hold 232.
//
// Pipeline: kWsStages slots, each with a `full` barrier (thread 0's arrival announcing the TMA bytes,
// plus one cp.async arrival per producer thread, which fires when that thread's copies have landed)
// and an `empty` barrier (one arrival per consumer warp, after its last read of the slot). The
// weights are read by ordinary shared loads (ldmatrix / ld.shared) and the activations by the tensor
// cores from TMA's writes, so no proxy fence is needed. FP8 consumers run wg_gemm.cuh's half-tile
// step, W8A8's keep one stage's wgmmas in flight behind the next as before. A wait that lasts ~2 s
// traps (tma.cuh) instead of hanging the GPU.
#pragma once
#include <cuda.h>  // CUtensorMap (the type only: maps are encoded through the runtime's driver entry point)

#include "tma.cuh"
#include "wg_gemm.cuh"
#include "ws_pipeline.h"

namespace lb::cuda {

using lb::cuda_wg::kWsStages;
constexpr int kWsThreads = 384;
constexpr int kWsProducerRegs = 40, kWsConsumerRegs = 232;  // 128 x 40 + 256 x 232 <= 64 Ki registers
static_assert(128 * kWsProducerRegs + 256 * kWsConsumerRegs <= 65536, "the register file holds both roles");
static_assert(kWsThreads == lb::cuda_wg::kWsProducerThreads + 32 * lb::cuda_wg::kWsConsumerWarps, "the roles fill the block");

// The kernel's TMA descriptors (a __grid_constant__ parameter: TMA reads them from parameter memory).
struct WsMaps {
  CUtensorMap x;  // activations [m][k] bytes, box {kWgK, kWgM}, SWIZZLE_128B
  CUtensorMap w;  // WsWeights::kTmaPairs: FP8 packed weights [n16][k / 2][32] bytes, box {32, kWgK / 2, kWgN / 16}, SWIZZLE_32B;
                  // kTmaKMajor: K-major weights (FP8 or int8) [n][k] bytes, box {kWgK, kWgN}, SWIZZLE_128B
};

// Shared memory: the stages (1024-aligned), one run of scale words per slot, then the barriers; and
// 1 KiB of alignment slack.
constexpr size_t ws_smem_bytes() {
  using namespace lb::cuda_wg;
  return size_t{kWsStages} * kStageBytes + size_t{kWsStages} * kScaleBytes + 2 * kWsStages * sizeof(uint64_t) + 1024;
}
static_assert(ws_smem_bytes() <= 227 * 1024, "within sm_90's 227 KiB of shared memory a block");
static_assert(lb::cuda_wg::kScaleBytes % 8 == 0, "the barriers after the scale words stay 8-byte aligned");

// Where a thread block's tile is, computed by each role after the split (values live across setmaxnreg
// were spilled).
struct WsTile {
  int64_t m0, jb0;  // first activation row, first weight column block
  int kt_count;     // 128-k stages
  __device__ WsTile(const TcOperands &o, bool cluster) {
    using namespace lb::cuda_wg;
    const unsigned id = blockIdx.y * gridDim.x + blockIdx.x;
    const WgTile at = cluster ? tile_of_cluster_block(id, gridDim.y, gridDim.x / kWsClusterBlocks) : tile_of_block(id, gridDim.y, gridDim.x);
    m0 = o.row0 + static_cast<int64_t>(at.row) * kWgM;
    jb0 = static_cast<int64_t>(at.col) * (kWgN / 16);
    kt_count = static_cast<int>((o.k + kWgK - 1) / kWgK);
  }
};

// The producer warpgroup (thread pt of 128): for each stage, once its slot is free, thread 0 announces
// the TMA bytes and issues the activation box (and, for TMA weights, the weight box); every thread copies
// its cp.async share — chunk pt of each column block's 2 KiB weight run (WsWeights::kCpAsync) and
// scale words (kWgStageScales) — and arrives on `full` when its copies have landed.
// kCluster: the activation box is half the rows (this block's rank's half), multicast to both blocks.
template <class Op, bool kCluster>
__device__ __forceinline__ void ws_produce(const typename Op::Args &p, const WsMaps &maps, uint8_t *smem, float *scale_area,
                                           uint64_t *full, uint64_t *empty, int pt) {
  using namespace lb::cuda_wg;
  static_assert(WgCopyPlan::kWChunks == kWsProducerThreads, "one weight chunk of every column block per producer thread");
  const TcOperands &o = p.op;
  const WsTile t(o, kCluster);
  const uint32_t rank = kCluster ? cluster_rank() : 0;
  constexpr bool kTmaWeights = Op::kWsWeights != WsWeights::kCpAsync;
  for (int kt = 0; kt < t.kt_count; ++kt) {
    const int slot = ws_slot(kt);
    mbar_wait(empty + slot, ws_empty_parity(kt));  // the consumers are done with the slot's previous stage
    uint8_t *stage = smem + slot * kStageBytes;
    if (pt == 0) {
      mbar_arrive_expect_tx(full + slot, kTmaWeights ? kStageBytes : kXBytes);
      if constexpr (kCluster)
        tma_load_2d_multicast(stage + rank * (kXBytes / kWsClusterBlocks), &maps.x, kt * kWgK,
                              static_cast<int32_t>(t.m0 + rank * (kWgM / kWsClusterBlocks)), full + slot, (1u << kWsClusterBlocks) - 1);
      else
        tma_load_2d(stage, &maps.x, kt * kWgK, static_cast<int32_t>(t.m0), full + slot);
      if constexpr (Op::kWsWeights == WsWeights::kTmaPairs)
        tma_load_3d(stage + kXBytes, &maps.w, 0, kt * kTmaWPairs, static_cast<int32_t>(t.jb0), full + slot);
      if constexpr (Op::kWsWeights == WsWeights::kTmaKMajor) tma_load_2d(stage + kXBytes, &maps.w, kt * kWgK, static_cast<int32_t>(t.jb0 * 16), full + slot);
    }
    if constexpr (!kTmaWeights) {
      const int64_t at = static_cast<int64_t>(kt) * (kWgK * 16) + 16 * pt;  // the chunk's byte in its column block's run
      const bool k_in = at < o.b_block_bytes;
#pragma unroll
      for (int jb = 0; jb < kWgN / 16; ++jb) {
        const bool valid = k_in && t.jb0 + jb < o.n16;
        cp_async16(stage + kXBytes + Op::w_chunk_byte(jb, pt), valid ? o.b + (t.jb0 + jb) * o.b_block_bytes + at : o.b, valid);
      }
    }
    if constexpr (Op::kWgStageScales) Op::load_stage_scales(p, t.m0, t.jb0, kt, scale_area + slot * kScaleWords, pt, kWsProducerThreads);
    cp_async_mbar_arrive(full + slot);  // when this thread's copies (if any) have landed
  }
  cp_async_wait<0>();  // no thread leaves with copies in flight
}

template <class Op, bool kCluster>
__device__ __forceinline__ void ws_gemm_tile(const typename Op::Args &p, const WsMaps &maps) {
  using namespace lb::cuda_wg;
  extern __shared__ uint8_t ws_smem_raw[];
  uint8_t *smem = wg_aligned_smem(ws_smem_raw);
  const uint32_t smem_addr = smem_u32(smem);
  float *const scale_area = reinterpret_cast<float *>(smem + kWsStages * kStageBytes);
  uint64_t *const full = reinterpret_cast<uint64_t *>(smem + kWsStages * (kStageBytes + kScaleBytes));
  uint64_t *const empty = full + kWsStages;
  const int tid = static_cast<int>(threadIdx.x), role = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;

  if (tid == 0) {
    for (int s = 0; s < kWsStages; ++s) {
      mbar_init(full + s, kWsFullArrivals);  // ws_pipeline.h
      mbar_init(empty + s, ws_empty_arrivals(kCluster ? kWsClusterBlocks : 1));
    }
    fence_mbar_init();
  }
  if (tid == 256) {
    tma_prefetch_map(&maps.x);
    if constexpr (Op::kWsWeights != WsWeights::kCpAsync) tma_prefetch_map(&maps.w);
  }
  // The only block-wide barrier (cluster-wide for kCluster, whose peer's multicasts and arrivals reach
  // these barriers): the producer leaves the consumers alone after it.
  if constexpr (kCluster) cluster_sync();
  else __syncthreads();

  if (role == 2) {
    setmaxnreg_dec<kWsProducerRegs>();
    ws_produce<Op, kCluster>(p, maps, smem, scale_area, full, empty, tid - 256);
    if constexpr (kCluster) cluster_sync();  // see the end of the consumers' part
    return;
  }

  setmaxnreg_inc<kWsConsumerRegs>();
  const WsTile t(p.op, kCluster);
  [[maybe_unused]] const uint32_t peer = kCluster ? cluster_rank() ^ 1u : 0;
  typename Op::WgAccumulators acc;
  uint32_t a[2][kWgK / 32][4];
  // (K-major weights: none — the wgmmas read them from the slot.)
  auto fragments = [&](int kt, uint32_t(&frag)[kWgK / 32][4]) {
    if constexpr (Op::kWsWeights != WsWeights::kTmaKMajor) {
#pragma unroll
      for (int s = 0; s < kWgK / 32; ++s)
        Op::w_fragments(smem + ws_slot(kt) * kStageBytes + kXBytes, 4 * role + warp, lane, s, frag[s]);
    }
  };
  auto wait_full = [&](int kt) { mbar_wait(full + ws_slot(kt), ws_full_parity(kt)); };
  // Every lane's reads of the slot (fragments, scale words) come before its warp's release.
  // kCluster: the peer's producer wrote into this slot too, so the peer's barrier hears it as well.
  auto release = [&](int kt) {
    if (kt < 0) return;
    __syncwarp();
    if (lane == 0) {
      mbar_arrive(empty + ws_slot(kt));
      if constexpr (kCluster) mbar_arrive_cluster(empty + ws_slot(kt), peer);
    }
  };
  // FP8 (kWgHalves): wg_gemm.cuh's half-tile step — stage j's two groups are issued, stage j + 1's
  // fragments read under them, then each half folded as it completes; the slot is free after the fold
  // has read its scale words.
  auto half_step = [&](int j, auto parity, auto &acc_h) {
    constexpr int P = decltype(parity)::value;
    const int slot = ws_slot(j);
    acc_h.issue_half(p, 0, a[P], smem_addr + slot * kStageBytes);
    acc_h.issue_half(p, 1, a[P], smem_addr + slot * kStageBytes);
    if (j + 1 < t.kt_count) {
      wait_full(j + 1);
      fragments(j + 1, a[1 - P]);
    }
    wgmma_wait<1>();
    acc_h.retire_half(p, 0, scale_area + slot * kScaleWords);
    wgmma_wait<0>();
    acc_h.retire_half(p, 1, scale_area + slot * kScaleWords);
    release(ws_release_in_step(j, true));
  };
  // W8A8 (kWgInFlight, nothing to fold): stage j's wgmmas queue behind stage j - 1's; once those are
  // complete, stage j - 1's slot and fragment registers are free, and stage j + 1's fragments are read.
  auto in_flight_step = [&](int j, auto parity) {
    constexpr int P = decltype(parity)::value;
    acc.issue(p, a[P], smem_addr + ws_slot(j) * kStageBytes, j);
    wgmma_wait<1>();
    release(ws_release_in_step(j, false));
    if (j + 1 < t.kt_count) {
      wait_full(j + 1);
      fragments(j + 1, a[1 - P]);
    }
  };
  auto step = [&](int j, auto parity) {
    if constexpr (Op::kWgHalves) half_step(j, parity, acc);
    else in_flight_step(j, parity);
  };
  wait_full(0);  // kt_count >= 1: wg_gemm_applies takes k > 0 only
  fragments(0, a[0]);
  int j = 0;
  for (; j + 1 < t.kt_count; j += 2) {
    step(j, std::integral_constant<int, 0>{});
    step(j + 1, std::integral_constant<int, 1>{});
  }
  if (j < t.kt_count) step(j, std::integral_constant<int, 0>{});
  wgmma_wait<0>();
  acc.settle();
  wg_epilogue<Op>(p, acc, smem, t.m0, t.jb0, [] { named_barrier(1, 256); });
  // kCluster: no block may leave while its peer can still multicast into it or arrive on its barriers.
  if constexpr (kCluster) cluster_sync();
}

template <class Op, bool kCluster>
__global__ void __launch_bounds__(kWsThreads, 1) ws_gemm_kernel(typename Op::Args p, const __grid_constant__ WsMaps maps) {
#if defined(__CUDA_ARCH__)
#  if LB_WGMMA_ENABLED
  ws_gemm_tile<Op, kCluster>(p, maps);
#  else
  __trap();
#  endif
#endif
}

// Encodes the activation tensor map of `o` (box rows: kWgM, or half of it for the clustered kernel) and,
// for TMA weights, the weight map of o.b in that form (host; tensor_maps.cu).
cudaError_t encode_ws_maps(const TcOperands &o, lb::cuda_wg::WsWeights weights, int x_box_rows, WsMaps *maps);

// Which kernel a wgmma-sized GEMM takes: 0 the cp.async kernel (wg_gemm.cuh), 1 the kernel above, 2 its
// clustered form (pairs of column tiles sharing their activation rows through TMA multicast: each block
// reads half of them from L2). LOWBIT_CUDA_WS=0/1/2 in the environment (read per call) chooses; unset,
// `measured_best`: what the GEMM measured fastest on an H200 (2026-11-26, docs/gemm.md) — W8A8 1 (0.99-1.26x
// torch._int_mm, against 0.84-1.09x on the cp.async kernel), FP8 0 (1 was faster only at 8192^3); the
// clustered form was slower for both (0.63-0.86x, 0.24-0.28x).
inline int ws_form(int measured_best) {
  const char *v = std::getenv("LOWBIT_CUDA_WS");
  if (!v || !v[0]) return measured_best;
  return v[0] == '1' || v[0] == '2' ? v[0] - '0' : 0;
}

// Launches the warp-specialised kernel over all of D on `s` (the maps cover all of A and B, so one
// encoding serves every launch of row tiles). kCluster: clusters of two blocks along the column tiles,
// the grid padded to an even number of them.
template <class Op, bool kCluster>
cudaError_t launch_ws_gemm_as(const typename Op::Args &p, cudaStream_t s) {
  using namespace lb::cuda_wg;
  static std::atomic<uint64_t> raised{0};
  if (cudaError_t err = raise_smem_limit(reinterpret_cast<const void *>(ws_gemm_kernel<Op, kCluster>), ws_smem_bytes(), raised);
      err != cudaSuccess)
    return err;
  if (p.op.m == 0) return cudaSuccess;  // nothing to do, and a tensor map cannot have an empty dimension
  WsMaps maps{};
  if (cudaError_t err = encode_ws_maps(p.op, Op::kWsWeights, kCluster ? kWgM / kWsClusterBlocks : kWgM, &maps); err != cudaSuccess)
    return err;
  return for_each_wg_launch(p, [s, &maps](const typename Op::Args &q, dim3 grid) {
    if constexpr (kCluster) {
      grid.x += grid.x % kWsClusterBlocks;
      cudaLaunchAttribute cluster{};
      cluster.id = cudaLaunchAttributeClusterDimension;
      cluster.val.clusterDim.x = kWsClusterBlocks;
      cluster.val.clusterDim.y = 1;
      cluster.val.clusterDim.z = 1;
      cudaLaunchConfig_t config{};
      config.gridDim = grid;
      config.blockDim = dim3(kWsThreads);
      config.dynamicSmemBytes = ws_smem_bytes();
      config.stream = s;
      config.attrs = &cluster;
      config.numAttrs = 1;
      cudaLaunchKernelEx(&config, ws_gemm_kernel<Op, true>, q, maps);  // errors: for_each_wg_launch's cudaGetLastError
    } else {
      ws_gemm_kernel<Op, false><<<grid, kWsThreads, ws_smem_bytes(), s>>>(q, maps);
    }
  });
}

// `form` as ws_form gives it (1 or 2).
template <class Op>
cudaError_t launch_ws_gemm(const typename Op::Args &p, cudaStream_t s, int form) {
  const cudaError_t err = form == 2 ? launch_ws_gemm_as<Op, true>(p, s) : launch_ws_gemm_as<Op, false>(p, s);
  // A driver without cuTensorMapEncodeTiled (tensor_maps.cu): the cp.async kernel does the same work.
  return err == cudaErrorNotSupported ? launch_wg_gemm<Op>(p, s) : err;
}

}  // namespace lb::cuda
