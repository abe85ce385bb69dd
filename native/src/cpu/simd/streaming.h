// When the CPU kernels write their output with non-temporal (streaming) stores: an output this large is
// not read back from cache by the next call anyway, and streaming it saves the read-for-ownership of
// every line written (on fp8 128 x 128 quantize, a sixth of the memory traffic). Smaller outputs keep
// ordinary stores, so that a consumer right after (the model runtime's next layer) finds them in cache.
#pragma once
#include <immintrin.h>

#include <cstdint>

namespace lb::cpu {

constexpr int64_t kStreamBytes = int64_t{32} << 20;

// Streamed stores are weakly ordered: a thread that made them fences before handing its work back to
// the pool, so that whoever reads the output next sees it.
inline void fence_streamed(bool streamed) {
  if (streamed) _mm_sfence();
}

}  // namespace lb::cpu
