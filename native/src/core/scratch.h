// Grow-only scratch buffers of the calling thread. Fresh large allocations per call would be newly
// mapped pages every time: the page faults and the kernel's zeroing cost as much as a kernel (a
// std::vector also zero-fills). Entries are not initialised; callers write before reading. Each
// user owns its slots, so buffers alive at the same time (a GEMM calling the quantizer) never alias.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <memory>

namespace lb {

// kScratchGemmA / A2: a GEMM's operands, taken by the calling thread before its parallel loop;
// kScratchTile*: the GEMM drivers' per-work-item buffers, taken inside the loop by every thread.
enum ScratchSlot {
  kScratchQuantLo,
  kScratchQuantHi,
  kScratchQuantParams,
  kScratchQuantLanes,
  kScratchQuantLanes2,
  kScratchGemmA,
  kScratchGemmA2,
  kScratchTileAcc,
  kScratchTilePartial,
  kScratchTilePanel,
  kScratchSlots
};

template <class T>
T *thread_scratch(ScratchSlot slot, int64_t n) {
  thread_local std::unique_ptr<char[]> bufs[kScratchSlots];
  thread_local size_t caps[kScratchSlots] = {};
  const size_t bytes = static_cast<size_t>(n) * sizeof(T);
  if (caps[slot] < bytes) {
    bufs[slot].reset(new char[bytes]);
    caps[slot] = bytes;
  }
  return reinterpret_cast<T *>(bufs[slot].get());
}

}  // namespace lb
