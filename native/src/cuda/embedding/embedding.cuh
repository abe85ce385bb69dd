// CUDA backend of lb_embedding_lookup and lb_embedding_mean_pool.
#pragma once
#include <stdint.h>

#include "../runtime/stream_type.h"

#include "lowbit.h"

namespace lb::cuda {

// Validate nothing (the C ABI layer did: ids and seq_starts are host memory, already checked). Copy
// what the kernels need of them to the device (stream-ordered scratch) and launch; expect the device
// to be current.
lb_status embedding_lookup(const float *word, const float *position, const float *type_row, const int32_t *ids, const int64_t *seq_starts,
                           int64_t n_seq, int64_t hidden, float *out, lb_stream stream, cudaStream_t s);

lb_status embedding_mean_pool(const float *x, const int64_t *seq_starts, int64_t n_seq, int64_t hidden, bool normalize, float *out,
                              lb_stream stream, cudaStream_t s);

}  // namespace lb::cuda
