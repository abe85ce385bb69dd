// CUDA backend of the quant family. Same block semantics and per-element helpers
// (common/quant.h) as the CPU backend, hence the same bits.
#pragma once
#include <cuda_runtime_api.h>

#include "lowbit.h"

namespace lb::cuda {

// Both validate nothing (the C ABI layer did) and expect the device to be current. quantize
// waits for `s` before returning: it reads back the NaN/Inf and scale-overflow checks, reported
// as `fn` (the C ABI function the caller serves).
lb_status quantize(const lb_quant_params &p, const void *x, lb_dtype x_dtype, int64_t rows, int64_t cols, void *q,
                   void *scales, void *zeros, lb_stream stream, cudaStream_t s, const char *fn = "lb_quantize");
// Ends a quantizing launch on `s`: checks the launch, then for the default stream (stream NULL)
// reads back the two failure indices the kernels left in device memory `bad` ([0] first NaN/Inf
// block, [1] first overflowing scale; ~0 for none), waits and reports as quant_report words it;
// on a lowbit stream it keeps a copy of them for lb_cuda_stream_synchronize to report and returns
// without waiting. Frees `scratch` (stream-ordered). C is the number of block columns.
lb_status finish_quantize(const char *fn, const lb_quant_params &p, int64_t C, const unsigned long long *bad, void *scratch,
                          lb_stream stream, cudaStream_t s);

// The checks of the quantizing calls queued on `stream` since the last call, read now (the stream
// has been synchronized): the first failing call's error in queue order, or LB_OK. Frees them.
lb_status report_pending_checks(lb_stream stream);

// Frees the pending checks unread (lb_cuda_stream_destroy).
void drop_pending_checks(lb_stream stream);

lb_status dequantize(const lb_quant_params &p, const void *q, const void *scales, const void *zeros, int64_t rows,
                     int64_t cols, void *y, lb_dtype y_dtype, lb_stream stream, cudaStream_t s);

}  // namespace lb::cuda
