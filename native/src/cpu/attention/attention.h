// lb_attention on the CPU: encoder self-attention over stacked sequences (see lowbit.h).
#pragma once
#include <stdint.h>

namespace lb::cpu {

// One (sequence, head) job: rows s0 .. s0 + len of qkv (row stride 3 * heads * d) and out
// (row stride heads * d). scratch holds at least attention_scratch_floats(len, d) floats.
using AttentionJob = void (*)(const float *qkv, int64_t s0, int64_t len, int64_t head, int64_t heads, int64_t d, float scale,
                              float *out, float *scratch);

inline int64_t attention_scratch_floats(int64_t len, int64_t d) {
  const int64_t lenp = (len + 15) / 16 * 16, dp = (d + 15) / 16 * 16;  // kB-padded (attention_kernels.inc)
  return d * lenp + lenp * dp + 8 * lenp;                               // kt, v, kR rows of scores
}

AttentionJob attention_job_scalar();
AttentionJob attention_job_avx2();
AttentionJob attention_job_avx512();

void attention(const float *qkv, const int64_t *seq_starts, int64_t n_seq, int64_t heads, int64_t d, float scale, float *out);

}  // namespace lb::cpu
