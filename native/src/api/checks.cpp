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

lb_status check_seq_starts(const char *fn, const int64_t *seq_starts, int64_t n_seq, int64_t max_len) {
  if (seq_starts[0] != 0) return fail(LB_ERR_INVALID_ARGUMENT, "%s: seq_starts[0] must be 0, got %lld", fn, (long long)seq_starts[0]);
  for (int64_t s = 0; s < n_seq; ++s) {
    const int64_t len = seq_starts[s + 1] - seq_starts[s];
    if (len < 1 || len > max_len)
      return fail(LB_ERR_INVALID_ARGUMENT, "%s: sequence %lld has %lld tokens (seq_starts %lld..%lld); expected 1..%lld", fn,
                  (long long)s, (long long)len, (long long)seq_starts[s], (long long)seq_starts[s + 1], (long long)max_len);
  }
  return LB_OK;
}

bool is_float_dtype(lb_dtype t) { return t == LB_DTYPE_F32 || t == LB_DTYPE_F16 || t == LB_DTYPE_BF16; }

lb_status check_quant_params(const char *fn, const lb_quant_params *p, lb_dtype float_dtype, const char *float_name,
                       int64_t rows, int64_t cols, const void *x, const void *q, const void *scales, const void *zeros) {
  if (!p) return fail(LB_ERR_INVALID_ARGUMENT, "%s: params is NULL", fn);
  const lb_dtype t = p->qtype;
  if (t != LB_DTYPE_I8 && t != LB_DTYPE_I4 && t != LB_DTYPE_U4 && t != LB_DTYPE_FP8_E4M3 && t != LB_DTYPE_FP8_E5M2)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: qtype must be I8, I4, U4, FP8_E4M3 or FP8_E5M2, got %s", fn, dtype_name(t));
  if (!is_float_dtype(p->scale_dtype))
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: scale_dtype must be F32, F16 or BF16, got %s", fn, dtype_name(p->scale_dtype));
  if (t == LB_DTYPE_U4 && p->zero_dtype != LB_DTYPE_U4 && p->zero_dtype != LB_DTYPE_F16)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: zero_dtype must be U4 or F16 for U4, got %s", fn, dtype_name(p->zero_dtype));
  if (p->flags & ~(LB_QUANT_RESTRICT_RANGE | LB_QUANT_MSE_CLIP | LB_QUANT_POW2_SCALE))
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: unknown flags 0x%x", fn, p->flags);
  if (!is_float_dtype(float_dtype))
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: %s must be F32, F16 or BF16, got %s", fn, float_name, dtype_name(float_dtype));
  if (rows <= 0 || cols <= 0)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: rows and cols must be > 0, got %lld x %lld", fn, (long long)rows, (long long)cols);
  if (p->block_rows <= 0 || p->block_cols <= 0 || rows % p->block_rows || cols % p->block_cols)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: a %lld x %lld matrix does not divide into %lld x %lld blocks", fn,
                    (long long)rows, (long long)cols, (long long)p->block_rows, (long long)p->block_cols);
  if ((t == LB_DTYPE_I4 || t == LB_DTYPE_U4) && cols % 2)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: %s packs two values per byte along a row, so cols must be even, got %lld", fn,
                    dtype_name(t), (long long)cols);
  if (!x || !q || !scales) return fail(LB_ERR_INVALID_ARGUMENT, "%s: data, q and scales must not be NULL", fn);
  if (t == LB_DTYPE_U4 && !zeros) return fail(LB_ERR_INVALID_ARGUMENT, "%s: U4 needs zeros", fn);
  return LB_OK;
}

}  // namespace lb
