#include "checks.h"

#include <cstdint>

#include "../core/error.h"

namespace lb {

bool dtype_valid(lb_dtype t) { return t >= LB_DTYPE_F32 && t <= LB_DTYPE_I32; }

int64_t dtype_bytes(lb_dtype t, int64_t count) {
  switch (t) {
    case LB_DTYPE_F32:
    case LB_DTYPE_I32: return count * 4;
    case LB_DTYPE_F16:
    case LB_DTYPE_BF16: return count * 2;
    case LB_DTYPE_I4:
    case LB_DTYPE_U4: return (count + 1) / 2;
    default: return count;
  }
}

lb_status check_device_arg(const char *fn, int32_t device, lb_stream stream) {
  if (device < LB_DEVICE_CPU)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: device must be -1 (CPU) or a CUDA ordinal >= 0, got %d", fn, device);
  if (device == LB_DEVICE_CPU && stream)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: a CUDA stream was given for a CPU operation", fn);
  return LB_OK;
}

lb_status check_overlap(const char *fn, const void *a, int64_t a_bytes, const void *b, int64_t b_bytes, bool allow_exact) {
  const auto pa = reinterpret_cast<uintptr_t>(a), pb = reinterpret_cast<uintptr_t>(b);
  if (a_bytes <= 0 || b_bytes <= 0) return LB_OK;
  if (pa + static_cast<uintptr_t>(a_bytes) <= pb || pb + static_cast<uintptr_t>(b_bytes) <= pa) return LB_OK;
  if (allow_exact && pa == pb && a_bytes == b_bytes) return LB_OK;
  return fail(LB_ERR_INVALID_ARGUMENT, "%s: source and destination overlap%s", fn,
              allow_exact ? " (only exact aliasing with equal element sizes is allowed)" : "");
}

}  // namespace lb
