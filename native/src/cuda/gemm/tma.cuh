// The Hopper (sm_90a) PTX the warp-specialised GEMM (wg_ws_gemm.cuh) needs beyond wgmma.cuh:
// shared-memory mbarriers with transaction counts, TMA tensor loads (cp.async.bulk.tensor) that
// complete on them, cp.async completions as mbarrier arrivals, named barriers and register
// reallocation between warpgroups (setmaxnreg). Compiled for any other target each wrapper traps, as
// wgmma.cuh's do (the host launches those kernels on compute capability 9.0 alone).
//
// An mbarrier counts arrivals and, separately, bytes still to come ("transactions"); its phase
// completes when both reach zero, then it re-arms with the count it was initialised with. Waiters
// name the phase by its parity: waiting for parity 1 on a fresh barrier returns at once (the phase
// "before" the first counts as complete), which is how a producer's first pass over empty slots
// goes through.
#pragma once
#include <cstdint>

#include "ptx.cuh"    // smem_u32
#include "wgmma.cuh"  // LB_WGMMA_ENABLED

namespace lb::cuda {

__device__ __forceinline__ void mbar_init(uint64_t *bar, uint32_t count) {
#if LB_WGMMA_ENABLED
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(count) : "memory");
#endif
}

// Makes the initialisations above visible to the async proxy (TMA) before the barrier that follows.
__device__ __forceinline__ void fence_mbar_init() {
#if LB_WGMMA_ENABLED
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#endif
}

// One arrival that also announces `bytes` more transaction bytes for the current phase.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint64_t *bar, uint32_t bytes) {
#if LB_WGMMA_ENABLED
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(bytes) : "memory");
#endif
}

// One arrival (release: this thread's earlier shared-memory reads and writes happen before it).
__device__ __forceinline__ void mbar_arrive(uint64_t *bar) {
#if LB_WGMMA_ENABLED
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_u32(bar)) : "memory");
#endif
}

// One arrival once every cp.async this thread issued before has landed (.noinc: the arrival is one
// of the count the barrier was initialised with).
__device__ __forceinline__ void cp_async_mbar_arrive(uint64_t *bar) {
#if LB_WGMMA_ENABLED
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(smem_u32(bar)) : "memory");
#endif
}

// Waits until the phase of parity `parity` has completed (acquire: what the arrivals released and the
// transactions wrote is visible after). A wait that lasts ~2^32 cycles (about 2 s; a stage takes
// microseconds) traps instead of hanging the GPU: a protocol error surfaces as a launch failure.
__device__ __forceinline__ void mbar_wait(uint64_t *bar, uint32_t parity) {
#if LB_WGMMA_ENABLED
  const uint32_t addr = smem_u32(bar);
  const long long start = clock64();
  for (;;) {
    uint32_t done;
    asm volatile(
        "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(addr), "r"(parity)
        : "memory");
    if (done) return;
    if (clock64() - start > (1ll << 32)) __trap();
  }
#endif
}

// Loads the tensor map's box at the given coordinates (dimension 0 first, in elements) into `dst`
// (shared memory, aligned to the map's swizzle pattern); its bytes complete `bar`'s transactions.
// Parts of the box outside the tensor are written as zeros and still count their bytes.
__device__ __forceinline__ void tma_load_2d(void *dst, const void *map, int32_t c0, int32_t c1, uint64_t *bar) {
#if LB_WGMMA_ENABLED
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], [%4];\n" ::"r"(smem_u32(dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(smem_u32(bar))
      : "memory");
#else
  __trap();
#endif
}

__device__ __forceinline__ void tma_load_3d(void *dst, const void *map, int32_t c0, int32_t c1, int32_t c2, uint64_t *bar) {
#if LB_WGMMA_ENABLED
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n" ::"r"(
          smem_u32(dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(smem_u32(bar))
      : "memory");
#else
  __trap();
#endif
}

// The same 2D load into the same shared offset of every thread block of the cluster in `mask` (bit r:
// rank r), completing each one's barrier at `bar`'s offset with the bytes it receives.
__device__ __forceinline__ void tma_load_2d_multicast(void *dst, const void *map, int32_t c0, int32_t c1, uint64_t *bar, uint16_t mask) {
#if LB_WGMMA_ENABLED
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes.multicast::cluster [%0], [%1, {%2, %3}], [%4], "
      "%5;\n" ::"r"(smem_u32(dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(smem_u32(bar)), "h"(mask)
      : "memory");
#else
  __trap();
#endif
}

// This thread block's rank in its cluster.
__device__ __forceinline__ uint32_t cluster_rank() {
  uint32_t r = 0;
#if LB_WGMMA_ENABLED
  asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r));
#endif
  return r;
}

// Every thread of every thread block in the cluster arrives, then waits for all the others (release /
// acquire at cluster scope: barrier initialisations and shared-memory writes before it are visible to
// the whole cluster after it).
__device__ __forceinline__ void cluster_sync() {
#if LB_WGMMA_ENABLED
  asm volatile("barrier.cluster.arrive.release.aligned;\nbarrier.cluster.wait.acquire.aligned;\n" ::: "memory");
#endif
}

// One arrival on the barrier at `bar`'s offset in the shared memory of cluster rank `rank` (release at
// cluster scope: this thread's earlier reads and writes happen before it).
__device__ __forceinline__ void mbar_arrive_cluster(uint64_t *bar, uint32_t rank) {
#if LB_WGMMA_ENABLED
  uint32_t remote;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;\n" : "=r"(remote) : "r"(smem_u32(bar)), "r"(rank));
  asm volatile("mbarrier.arrive.release.cluster.shared::cluster.b64 _, [%0];\n" ::"r"(remote) : "memory");
#endif
}

// Fetches a tensor map (a __grid_constant__ kernel parameter) into the TMA unit's cache ahead of use.
__device__ __forceinline__ void tma_prefetch_map(const void *map) {
#if LB_WGMMA_ENABLED
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
#endif
}

// Barrier `id` (1..15; 0 is __syncthreads) among `threads` threads (a multiple of 32).
__device__ __forceinline__ void named_barrier(int id, int threads) { asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory"); }

// The registers per thread of the calling warpgroup (all 128 threads execute it): dec gives some back
// to the SM's pool, inc waits until the pool has them. N is a multiple of 8 in 24..256.
template <int N>
__device__ __forceinline__ void setmaxnreg_dec() {
#if LB_WGMMA_ENABLED
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(N));
#endif
}
template <int N>
__device__ __forceinline__ void setmaxnreg_inc() {
#if LB_WGMMA_ENABLED
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(N));
#endif
}

}  // namespace lb::cuda
