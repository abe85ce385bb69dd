// The warp-specialised Hopper (sm_90a) GEMM: wg_gemm.cuh's tile, stage layout and Op interface, with
// the stages loaded by TMA and a producer warp instead of every thread's cp.async, and the consumers
// synchronised by mbarriers instead of a block barrier per stage. FP8 only for now (the one layout a
// TMA swizzle reproduces: wg_layout.h); opt-in with LOWBIT_CUDA_FP8_WS=1 until a GPU run has timed it.
//
// Why: in the cp.async kernel each of the 256 threads issues ~190 instructions a stage of address and
// copy work (W8A8 ran issue-bound on the H200), and the block barrier that publishes a stage makes both
// warpgroups wait for the slower one and for every thread's copies. Here the copies are two TMA
// instructions a stage, and each consumer warpgroup runs at its own pace: while one folds its sums
// (FP8's per-128-k f32 promotion) the other's wgmmas keep the tensor cores busy.
//
// Roles (384 threads): warpgroups 0 and 1 are the consumers, exactly the two warpgroups of
// wg_gemm.cuh (same thread indices, so the Op's fragment reads, accumulators and epilogue are
// shared); warpgroup 2 is the producer, of which one warp works: lane 0 issues each stage's two TMA
// loads (activations 128 x 128 bytes, weights 8 column blocks x 64 k-pairs), all 32 lanes copy the
// stage's scale words (BLOCK scaling) with cp.async. The producer gives back registers (setmaxnreg 40)
// so that the consumers can hold 232 (their 64 sums, 64 totals and two stages of fragments).
//
// Pipeline: kWsStages slots, each with a `full` barrier (1 arrival with the stage's 32 KiB of TMA
// transactions + 32 cp.async arrivals) and an `empty` barrier (one arrival per consumer warp, after its
// last read of the slot). Consumers run wg_gemm.cuh's half-tile step: a stage's two wgmma groups are
// issued as soon as its fragments are in registers; meanwhile they wait for the next stage's `full`
// and read its fragments, then fold half 0, then half 1, then release the slot.
#pragma once
#include <cuda.h>  // CUtensorMap (the type only: maps are encoded through the runtime's driver entry point)

#include "tma.cuh"
#include "wg_gemm.cuh"

namespace lb::cuda {

constexpr int kWsStages = 5;
constexpr int kWsThreads = 384;
constexpr int kWsProducerRegs = 40, kWsConsumerRegs = 232;  // 128 x 40 + 256 x 232 <= 64 Ki registers
static_assert(128 * kWsProducerRegs + 256 * kWsConsumerRegs <= 65536, "the register file holds both roles");

// The kernel's TMA descriptors (a __grid_constant__ parameter: TMA reads them from parameter memory).
struct WsMaps {
  CUtensorMap x;  // activations [m][k] bytes, box {kWgK, kWgM}, SWIZZLE_128B
  CUtensorMap w;  // FP8 packed weights [n16][k / 2][32] bytes, box {32, kWgK / 2, kWgN / 16}, SWIZZLE_32B
};

// Shared memory: the stages (1024-aligned), one run of scale words per slot, then the barriers; and
// 1 KiB of alignment slack.
constexpr size_t ws_smem_bytes() {
  using namespace lb::cuda_wg;
  return size_t{kWsStages} * kStageBytes + size_t{kWsStages} * kScaleBytes + 2 * kWsStages * sizeof(uint64_t) + 1024;
}
static_assert(ws_smem_bytes() <= 227 * 1024, "within sm_90's 227 KiB of shared memory a block");
static_assert(lb::cuda_wg::kScaleBytes % 8 == 0, "the barriers after the scale words stay 8-byte aligned");

template <class Op>
__device__ __forceinline__ void ws_gemm_tile(const typename Op::Args &p, const WsMaps &maps) {
  using namespace lb::cuda_wg;
  static_assert(Op::kWgHalves, "the consumers run the half-tile step");
  extern __shared__ uint8_t ws_smem_raw[];
  const uint32_t raw_addr = smem_u32(ws_smem_raw);
  uint8_t *smem = ws_smem_raw + ((1024 - (raw_addr & 1023)) & 1023);
  const uint32_t smem_addr = smem_u32(smem);
  float *const scale_area = reinterpret_cast<float *>(smem + kWsStages * kStageBytes);
  uint64_t *const full = reinterpret_cast<uint64_t *>(smem + kWsStages * (kStageBytes + kScaleBytes));
  uint64_t *const empty = full + kWsStages;

  const TcOperands &o = p.op;
  const int tid = static_cast<int>(threadIdx.x), role = tid >> 7, warp = (tid >> 5) & 3, lane = tid & 31;
  const WgTile at_tile = tile_of_block(blockIdx.y * gridDim.x + blockIdx.x, gridDim.y, gridDim.x);
  const int64_t m0 = o.row0 + static_cast<int64_t>(at_tile.row) * kWgM, jb0 = static_cast<int64_t>(at_tile.col) * (kWgN / 16);
  const int kt_count = static_cast<int>((o.k + kWgK - 1) / kWgK);

  if (tid == 0) {
    for (int s = 0; s < kWsStages; ++s) {
      mbar_init(full + s, 1 + 32);
      mbar_init(empty + s, 8);
    }
    fence_mbar_init();
  }
  if (tid == 256) {
    tma_prefetch_map(&maps.x);
    tma_prefetch_map(&maps.w);
  }
  __syncthreads();  // the last block-wide barrier: the producer's idle warps leave below

  if (role == 2) {
    setmaxnreg_dec<kWsProducerRegs>();
    if (warp != 0) return;
    for (int kt = 0; kt < kt_count; ++kt) {
      const int slot = kt % kWsStages, fill = kt / kWsStages;
      mbar_wait(empty + slot, (fill & 1) ^ 1);  // the consumers are done with the slot's previous stage
      uint8_t *stage = smem + slot * kStageBytes;
      if (lane == 0) {
        mbar_arrive_expect_tx(full + slot, kStageBytes);
        tma_load_2d(stage, &maps.x, kt * kWgK, static_cast<int32_t>(m0), full + slot);
        tma_load_3d(stage + kXBytes, &maps.w, 0, kt * kTmaWPairs, static_cast<int32_t>(jb0), full + slot);
      }
      if constexpr (Op::kWgStageScales) Op::load_stage_scales(p, m0, jb0, kt, scale_area + slot * kScaleWords, lane, 32);
      cp_async_mbar_arrive(full + slot);  // when this lane's scale copies (if any) have landed
    }
    return;
  }

  setmaxnreg_inc<kWsConsumerRegs>();
  typename Op::WgAccumulators acc;
  uint32_t a[2][kWgK / 32][4];
  auto fragments = [&](int kt, uint32_t(&frag)[kWgK / 32][4]) {
#pragma unroll
    for (int s = 0; s < kWgK / 32; ++s)
      Op::w_fragments(smem + (kt % kWsStages) * kStageBytes + kXBytes, 4 * role + warp, lane, s, frag[s]);
  };
  auto wait_full = [&](int kt) { mbar_wait(full + kt % kWsStages, (kt / kWsStages) & 1); };
  auto step = [&](int j, auto parity) {
    constexpr int P = decltype(parity)::value;
    const int slot = j % kWsStages;
    const float *scales = scale_area + slot * kScaleWords;
    acc.issue_half(p, 0, a[P], smem_addr + slot * kStageBytes);
    acc.issue_half(p, 1, a[P], smem_addr + slot * kStageBytes);
    if (j + 1 < kt_count) {
      wait_full(j + 1);
      fragments(j + 1, a[1 - P]);
    }
    wgmma_wait<1>();
    acc.retire_half(p, 0, scales);
    wgmma_wait<0>();
    acc.retire_half(p, 1, scales);
    __syncwarp();  // every lane's reads of the slot (fragments, scale words) come before the release
    if (lane == 0) mbar_arrive(empty + slot);
  };
  if (kt_count > 0) {
    wait_full(0);
    fragments(0, a[0]);
  }
  int j = 0;
  for (; j + 1 < kt_count; j += 2) {
    step(j, std::integral_constant<int, 0>{});
    step(j + 1, std::integral_constant<int, 1>{});
  }
  if (j < kt_count) step(j, std::integral_constant<int, 0>{});
  acc.settle();
  wg_epilogue<Op>(p, acc, smem, m0, jb0, [] { named_barrier(1, 256); });
}

template <class Op>
__global__ void __launch_bounds__(kWsThreads, 1) ws_gemm_kernel(typename Op::Args p, const __grid_constant__ WsMaps maps) {
#if defined(__CUDA_ARCH__)
#  if LB_WGMMA_ENABLED
  ws_gemm_tile<Op>(p, maps);
#  else
  __trap();
#  endif
#endif
}

// Encodes the activation and FP8 weight tensor maps of `o` (host; wg_ws_gemm.cu).
cudaError_t encode_ws_maps(const TcOperands &o, WsMaps *maps);

// Launches the warp-specialised kernel over all of D on `s` (the maps cover all of A and B, so one
// encoding serves every launch of row tiles).
template <class Op>
cudaError_t launch_ws_gemm(const typename Op::Args &p, cudaStream_t s) {
  static std::atomic<uint64_t> raised{0};
  if (cudaError_t err = raise_smem_limit(reinterpret_cast<const void *>(ws_gemm_kernel<Op>), ws_smem_bytes(), raised); err != cudaSuccess)
    return err;
  WsMaps maps;
  if (cudaError_t err = encode_ws_maps(p.op, &maps); err != cudaSuccess) return err;
  return for_each_wg_launch(p, [s, &maps](const typename Op::Args &q, dim3 grid) {
    ws_gemm_kernel<Op><<<grid, kWsThreads, ws_smem_bytes(), s>>>(q, maps);
  });
}

}  // namespace lb::cuda
