// The mbarrier protocol of the warp-specialised wgmma GEMM (wg_ws_gemm.cuh) as plain functions, so
// that a host test (native/tests/ws_pipeline_test.cpp) can run the same protocol under random
// interleavings of producer, copies and consumers: no deadlock, and every read of a stage finds that
// stage, never the one before it in the slot nor the one after.
//
// Stage kt lives in slot ws_slot(kt). Each slot has two barriers:
//   full:  completes a phase when stage kt's TMA bytes have landed and every producer thread's
//          cp.async copies for it too (kWsFullArrivals arrivals: thread 0's arrive.expect_tx, then one
//          cp.async.mbarrier.arrive.noinc per producer thread, thread 0's included);
//   empty: completes a phase when every consumer warp has finished with the stage in the slot
//          (ws_empty_arrivals: in a cluster, the consumers of every block, since every block's
//          producer writes into every block's slot).
// A phase is waited for by parity: the k-th use of a slot (k = kt / kWsStages) is full's phase k;
// the producer's k-th load into a slot waits for empty's phase k - 1, which for k = 0 is the phase
// "before the first" — parity 1 on a fresh barrier, complete at once.
#pragma once
#include <stdint.h>

#include "../../common/host_device.h"

namespace lb::cuda_wg {

constexpr int kWsStages = 5;
constexpr int kWsProducerThreads = 128;
constexpr int kWsConsumerWarps = 8;
constexpr int kWsFullArrivals = 1 + kWsProducerThreads;
// In a cluster of `blocks` (LOWBIT_CUDA_WS=2: two, sharing activation rows through TMA multicast), a
// slot is written by every block's producer, so every block's consumer warps release it to every
// block: each empty barrier counts all of them.
LB_HD constexpr int ws_empty_arrivals(int blocks) { return kWsConsumerWarps * blocks; }

LB_HD int ws_slot(int kt) { return kt % kWsStages; }
// The parity a consumer waits for on full[ws_slot(kt)] before reading stage kt.
LB_HD uint32_t ws_full_parity(int kt) { return static_cast<uint32_t>(kt / kWsStages) & 1u; }
// The parity the producer waits for on empty[ws_slot(kt)] before loading stage kt.
LB_HD uint32_t ws_empty_parity(int kt) { return (static_cast<uint32_t>(kt / kWsStages) & 1u) ^ 1u; }
// The stage a consumer warp releases at the end of its step j (-1: none): the half-tile step (FP8)
// releases stage j once both halves are folded; the in-flight step (W8A8) releases stage j - 1 once
// stage j's wgmmas are issued and j - 1's have completed. The last stage of an in-flight tile is
// never released (nothing waits for it).
LB_HD int ws_release_in_step(int j, bool halves) { return halves ? j : j - 1; }

}  // namespace lb::cuda_wg
