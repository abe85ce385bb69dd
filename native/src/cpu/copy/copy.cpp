// lb_cpu_copy: memcpy split over the pool. It is the host "roof": memory-bound kernels
// report their bandwidth as a fraction of what this reaches in the same run, so it must be the
// fastest copy the machine does. Copies of kStreamBytes and more store with non-temporal stores, as the
// kernels' large outputs do: memcpy of the pool's 1 MiB pieces stays below glibc's own non-temporal
// threshold and pays a read-for-ownership of every destination line, a third more traffic (1 GiB, two
// threads, Zen 4 host: 27-28 GB/s against 44-48 streamed, 2026-11-27). SSE2 is every x86-64's
// baseline, and a streamed line costs the same whatever the width of the stores that fill it.
#include <emmintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "../../core/error.h"
#include "../../core/thread_pool.h"
#include "../simd/streaming.h"

namespace {

// memcpy with non-temporal stores: the head up to d's first 16-byte boundary and the tail by memcpy.
void stream_copy(char *d, const char *s, int64_t bytes) {
  const int64_t head = std::min<int64_t>(bytes, (16 - reinterpret_cast<uintptr_t>(d) % 16) % 16);
  std::memcpy(d, s, static_cast<size_t>(head));
  int64_t i = head;
  for (; i + 64 <= bytes; i += 64)
    for (int k = 0; k < 64; k += 16)
      _mm_stream_si128(reinterpret_cast<__m128i *>(d + i + k), _mm_loadu_si128(reinterpret_cast<const __m128i *>(s + i + k)));
  std::memcpy(d + i, s + i, static_cast<size_t>(bytes - i));
  _mm_sfence();
}

}  // namespace

extern "C" LB_API lb_status lb_cpu_copy(void *dst, const void *src, int64_t bytes) {
  if (bytes < 0) return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_cpu_copy: bytes must be >= 0, got %lld", (long long)bytes);
  if (bytes > 0 && (!dst || !src)) return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_cpu_copy: dst and src must not be NULL");
  const char *s = static_cast<const char *>(src);
  char *d = static_cast<char *>(dst);
  if (bytes > 0 && s < d + bytes && d < s + bytes)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_cpu_copy: dst and src overlap");
  return lb::guard("lb_cpu_copy", [&] {
    const bool stream = bytes >= lb::cpu::kStreamBytes;
    lb::parallel_for(bytes, 1 << 20, [&](int64_t b, int64_t e) {
      if (stream) stream_copy(d + b, s + b, e - b);
      else std::memcpy(d + b, s + b, static_cast<size_t>(e - b));
    });
    return LB_OK;
  });
}
