// CUDA backend of lb_attention (encoder self-attention over stacked sequences).
#pragma once
#include "../runtime/stream_type.h"

#include "lowbit.h"

namespace lb::cuda {

// Validates nothing (the C ABI layer did: seq_starts is host memory, already checked). Copies the
// offsets to the device (stream-ordered scratch) and launches; expects the device to be current.
lb_status attention(const float *qkv, const int64_t *seq_starts, int64_t n_seq, int64_t heads, int64_t head_dim, float scale,
                    float *out, lb_stream stream, cudaStream_t s);

}  // namespace lb::cuda
