// lb_embedding_lookup and lb_embedding_mean_pool on the CPU (see lowbit.h). Arguments are checked
// by the C ABI layer (api/embedding.cpp).
#pragma once
#include <stdint.h>

namespace lb::cpu {

void embedding_lookup(const float *word, const float *position, const float *type_row, const int32_t *ids, const int64_t *seq_starts,
                      int64_t n_seq, int64_t hidden, float *out);

void embedding_mean_pool(const float *x, const int64_t *seq_starts, int64_t n_seq, int64_t hidden, bool normalize, float *out);

}  // namespace lb::cpu
