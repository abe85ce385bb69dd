// lb_attention on the CPU: one job per (sequence, head), spread over lowbit's pool; each thread
// reuses its scratch (k transposed, v, scores, one output row) across jobs and calls.
#include <vector>

#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "attention.h"

namespace lb::cpu {
namespace {

AttentionJob job_kernel() {
  switch (current_isa()) {
    case LB_ISA_AVX512: return attention_job_avx512();
    case LB_ISA_AVX2: return attention_job_avx2();
    default: return attention_job_scalar();
  }
}

}  // namespace

void attention(const float *qkv, const int64_t *seq_starts, int64_t n_seq, int64_t heads, int64_t d, float scale, float *out) {
  const AttentionJob job = job_kernel();
  parallel_for(n_seq * heads, 1, [&](int64_t j0, int64_t j1) {
    thread_local std::vector<float> scratch;
    for (int64_t j = j0; j < j1; ++j) {
      const int64_t s = j / heads, head = j % heads, s0 = seq_starts[s], len = seq_starts[s + 1] - s0;
      const auto need = static_cast<size_t>(attention_scratch_floats(len, d));
      if (scratch.size() < need) scratch.resize(need);
      job(qkv, s0, len, head, heads, d, scale, out, scratch.data());
    }
  });
}

}  // namespace lb::cpu
