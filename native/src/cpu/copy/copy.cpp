// lb_cpu_copy: memcpy split over the pool. It is the host "roof": memory-bound kernels
// report their bandwidth as a fraction of what this reaches in the same run.
#include <cstring>

#include "../../core/error.h"
#include "../../core/thread_pool.h"

extern "C" LB_API lb_status lb_cpu_copy(void *dst, const void *src, int64_t bytes) {
  if (bytes < 0) return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_cpu_copy: bytes must be >= 0, got %lld", (long long)bytes);
  if (bytes > 0 && (!dst || !src)) return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_cpu_copy: dst and src must not be NULL");
  const char *s = static_cast<const char *>(src);
  char *d = static_cast<char *>(dst);
  if (bytes > 0 && s < d + bytes && d < s + bytes)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_cpu_copy: dst and src overlap");
  return lb::guard("lb_cpu_copy", [&] {
    lb::parallel_for(bytes, 1 << 20, [&](int64_t b, int64_t e) { std::memcpy(d + b, s + b, static_cast<size_t>(e - b)); });
    return LB_OK;
  });
}
