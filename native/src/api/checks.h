// Argument checks shared by the C ABI entry points. The Java side validates everything
// first; these keep the C ABI safe for direct C callers too.
#pragma once
#include <stdint.h>

#include "lowbit.h"

namespace lb {

// Bytes that `count` elements of `dtype` occupy (packed 4-bit types round up).
int64_t dtype_bytes(lb_dtype dtype, int64_t count);
bool dtype_valid(lb_dtype dtype);

// LB_OK if device is LB_DEVICE_CPU with stream NULL, or a CUDA ordinal (checked later by
// the CUDA backend); otherwise a failure naming `fn`.
lb_status check_device_arg(const char *fn, int32_t device, lb_stream stream);

// LB_OK unless [a, a+a_bytes) and [b, b+b_bytes) overlap; exact aliasing (a == b with equal
// sizes) is allowed when `allow_exact` is set.
lb_status check_overlap(const char *fn, const void *a, int64_t a_bytes, const void *b, int64_t b_bytes, bool allow_exact);

// LB_OK if seq_starts (host memory) holds n_seq + 1 offsets from 0, every sequence 1..max_len rows
// long (lb_attention's and the embedding calls' stacked sequences); otherwise a failure naming the first
// bad sequence.
lb_status check_seq_starts(const char *fn, const int64_t *seq_starts, int64_t n_seq, int64_t max_len);

bool is_float_dtype(lb_dtype t);  // F32, F16 or BF16
// The quant parameters and the [rows, cols] operands of lb_quantize / lb_dequantize
// (float_dtype: x's or y's dtype, named float_name in messages).
lb_status check_quant_params(const char *fn, const lb_quant_params *p, lb_dtype float_dtype, const char *float_name,
                             int64_t rows, int64_t cols, const void *x, const void *q, const void *scales,
                             const void *zeros);
}  // namespace lb
