// CUDA backend of the gemm family: W8A8 and W4A4 on int8 tensor cores, FP8 and W4A8 on fp8 tensor
// cores (sm_89+), W4A16 on f16/bf16 tensor cores (m >= 2) and CUDA cores. All read the packed
// weight layouts lowbit.h defines for the CPU (the same bytes on both devices), so a weight matrix
// is prepacked once whatever device runs it.
#pragma once
#include "../runtime/stream_type.h"

#include "lowbit.h"

namespace lb::cuda {

// All validate nothing (the C ABI layer did) and expect the device to be current; the GEMMs only
// enqueue work on `s` (completion as lb::cuda::finish_launch says).
lb_status w8a8_gemm(const int8_t *a, const float *a_scales, const void *b_packed, const float *b_scales, const float *bias,
                    void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k, lb_stream stream, cudaStream_t s);
lb_status w4a4_gemm(const uint8_t *a, const float *a_scales, const void *b_packed, const float *b_scales, const float *bias, void *d,
                    lb_dtype d_dtype, int64_t m, int64_t n, int64_t k, lb_stream stream, cudaStream_t s);
// LB_ERR_UNSUPPORTED below compute capability 8.9.
lb_status fp8_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const void *b_packed, lb_dtype b_dtype,
                   const float *b_scales, int32_t scaling, const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n,
                   int64_t k, lb_stream stream, cudaStream_t s);
// I4/U4 weights in lb_w4a16_prepack's form x FP8 activations; sm_89+, group % 32 == 0 (else UNSUPPORTED).
lb_status w4a8_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const void *w_packed, const float *bias, void *d,
                    lb_dtype d_dtype, int64_t m, int64_t n, int64_t k, int64_t group, lb_stream stream, cudaStream_t s);
lb_status w4a16_gemm(const void *x, lb_dtype x_dtype, const void *w_packed, const float *bias, void *y, lb_dtype y_dtype,
                     int64_t m, int64_t n, int64_t k, int64_t group, lb_stream stream, cudaStream_t s);

// Prepacking is a one-time step per weight matrix: the inputs are staged through host memory, the
// CPU packer writes the layout (so both devices hold the same bytes) and the result is copied to
// `packed` on the device. Waits for `s`.
lb_status w8a8_prepack(const int8_t *b, int64_t n, int64_t k, void *packed, cudaStream_t s);
lb_status w4a4_prepack(const uint8_t *b, int64_t n, int64_t k, void *packed, cudaStream_t s);
lb_status fp8_prepack(const uint8_t *b, int64_t n, int64_t k, void *packed, cudaStream_t s);
lb_status w4a16_prepack(const lb_quant_params &p, const void *w, const void *scales, const void *zeros, int64_t n, int64_t k,
                        void *packed, cudaStream_t s);

}  // namespace lb::cuda
