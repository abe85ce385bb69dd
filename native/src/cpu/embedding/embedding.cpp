// lb_embedding_lookup and lb_embedding_mean_pool on the CPU. Both read each element once and do one
// or two adds with it: memory-bound, so the baseline (SSE2) build the compiler vectorises is near
// memory speed and there are no per-ISA variants. Sequences are spread over lowbit's pool in chunks
// of ~64 K elements, so a small batch runs on the calling thread.
#include "embedding.h"

#include <algorithm>

#include "../../common/embedding.h"
#include "../../core/thread_pool.h"

namespace lb::cpu {
namespace {

int64_t sequences_per_chunk(const int64_t *seq_starts, int64_t n_seq, int64_t hidden) {
  const int64_t per_sequence = std::max<int64_t>(1, seq_starts[n_seq] / n_seq * hidden);
  return std::max<int64_t>(1, 65536 / per_sequence);
}

}  // namespace

void embedding_lookup(const float *word, const float *position, const float *type_row, const int32_t *ids, const int64_t *seq_starts,
                      int64_t n_seq, int64_t hidden, float *out) {
  parallel_for(n_seq, sequences_per_chunk(seq_starts, n_seq, hidden), [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s)
      for (int64_t t = seq_starts[s]; t < seq_starts[s + 1]; ++t) {
        const float *w = word + static_cast<int64_t>(ids[t]) * hidden, *p = position + (t - seq_starts[s]) * hidden;
        float *o = out + t * hidden;
        if (type_row) {
          for (int64_t j = 0; j < hidden; ++j) o[j] = embedding_value(w[j], type_row[j], p[j]);
        } else {
          for (int64_t j = 0; j < hidden; ++j) o[j] = add_rn(w[j], p[j]);
        }
      }
  });
}

void embedding_mean_pool(const float *x, const int64_t *seq_starts, int64_t n_seq, int64_t hidden, bool normalize, float *out) {
  parallel_for(n_seq, sequences_per_chunk(seq_starts, n_seq, hidden), [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      float *o = out + s * hidden;
      std::fill(o, o + hidden, 0.0f);
      for (int64_t r = seq_starts[s]; r < seq_starts[s + 1]; ++r) {  // column sums in row order
        const float *xr = x + r * hidden;
        for (int64_t j = 0; j < hidden; ++j) o[j] = add_rn(o[j], xr[j]);
      }
      const float rows = static_cast<float>(seq_starts[s + 1] - seq_starts[s]);
      for (int64_t j = 0; j < hidden; ++j) o[j] = div_rn(o[j], rows);
      if (!normalize) continue;
      float lane[kPoolLanes] = {};
      for (int64_t j = 0; j < hidden; ++j) lane[j % kPoolLanes] = add_rn(lane[j % kPoolLanes], mul_rn(o[j], o[j]));
      float squared = 0.0f;
      for (int u = 0; u < kPoolLanes; ++u) squared = add_rn(squared, lane[u]);
      const float inv = inverse_norm(squared);
      for (int64_t j = 0; j < hidden; ++j) o[j] = mul_rn(o[j], inv);
    }
  });
}

}  // namespace lb::cpu
