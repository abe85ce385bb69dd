// lb_embedding_lookup and lb_embedding_mean_pool on CUDA, with the CPU kernels' arithmetic
// (common/embedding.h): the same bits. Both are memory-bound and small next to an encoder's layers;
// what they save is the host round trip — only the ids go to the device and only the pooled vectors
// come back, instead of the [tokens, hidden] hidden state both ways.
//
// Lookup: one block per token, its threads over the hidden columns (coalesced rows of the tables).
// The host builds the per-token (id, position) pairs once and copies them over stream-ordered.
// Mean pool: one block per sequence; each thread sums its columns over the sequence's rows in row
// order (as the CPU), divides, and leaves the mean in out; then 16 threads sum the squares of lane
// u's columns (j % 16 == u) in column order, one thread adds the lanes in order (the CPU's order) and
// every thread scales its columns.
#include <vector>

#include "../../common/embedding.h"
#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "embedding.cuh"

namespace lb::cuda {
namespace {

constexpr int kThreads = 128;

__global__ void lookup_kernel(const float *word, const float *position, const float *type_row, const int32_t *pairs, int64_t hidden,
                              float *out) {
  const int64_t t = blockIdx.x;
  const float *w = word + static_cast<int64_t>(pairs[2 * t]) * hidden, *p = position + static_cast<int64_t>(pairs[2 * t + 1]) * hidden;
  float *o = out + t * hidden;
  for (int64_t j = threadIdx.x; j < hidden; j += kThreads)
    o[j] = type_row ? embedding_value(w[j], type_row[j], p[j]) : add_rn(w[j], p[j]);
}

__global__ void mean_pool_kernel(const float *x, const int64_t *starts, int64_t hidden, bool normalize, float *out) {
  __shared__ float lane[kPoolLanes];
  __shared__ float inv;
  const int64_t s = blockIdx.x, r0 = starts[s], r1 = starts[s + 1];
  float *o = out + s * hidden;
  const float rows = static_cast<float>(r1 - r0);
  for (int64_t j = threadIdx.x; j < hidden; j += kThreads) {
    float sum = 0.0f;
    for (int64_t r = r0; r < r1; ++r) sum = add_rn(sum, x[r * hidden + j]);
    o[j] = div_rn(sum, rows);
  }
  if (!normalize) return;
  __syncthreads();  // the means in out are visible to the block
  if (threadIdx.x < kPoolLanes) {
    float acc = 0.0f;
    for (int64_t j = threadIdx.x; j < hidden; j += kPoolLanes) acc = add_rn(acc, mul_rn(o[j], o[j]));
    lane[threadIdx.x] = acc;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float squared = 0.0f;
    for (int u = 0; u < kPoolLanes; ++u) squared = add_rn(squared, lane[u]);
    inv = inverse_norm(squared);
  }
  __syncthreads();
  for (int64_t j = threadIdx.x; j < hidden; j += kThreads) o[j] = mul_rn(o[j], inv);
}

}  // namespace

lb_status embedding_lookup(const float *word, const float *position, const float *type_row, const int32_t *ids, const int64_t *seq_starts,
                           int64_t n_seq, int64_t hidden, float *out, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_embedding_lookup";
  const int64_t tokens = seq_starts[n_seq];
  if (tokens > (int64_t{1} << 31) - 1)
    return fail(LB_ERR_UNSUPPORTED, "%s: %lld tokens is more than one CUDA launch covers", fn, (long long)tokens);
  std::vector<int32_t> pairs(static_cast<size_t>(2 * tokens));  // (id, position) per token
  for (int64_t q = 0; q < n_seq; ++q)
    for (int64_t t = seq_starts[q]; t < seq_starts[q + 1]; ++t) {
      pairs[2 * t] = ids[t];
      pairs[2 * t + 1] = static_cast<int32_t>(t - seq_starts[q]);
    }
  void *d_pairs = nullptr;
  if (lb_status st = copy_host_arguments(fn, "copy of the token ids", pairs.data(), pairs.size() * sizeof(int32_t), &d_pairs, s)) return st;
  lookup_kernel<<<static_cast<unsigned>(tokens), kThreads, 0, s>>>(word, position, type_row, static_cast<const int32_t *>(d_pairs), hidden,
                                                                   out);
  const lb_status st = check(cudaGetLastError(), fn, "kernel launch");
  cudaFreeAsync(d_pairs, s);  // stream-ordered: after the kernel
  if (st != LB_OK) return st;
  return finish_launch(fn, stream);
}

lb_status embedding_mean_pool(const float *x, const int64_t *seq_starts, int64_t n_seq, int64_t hidden, bool normalize, float *out,
                              lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_embedding_mean_pool";
  if (n_seq > (int64_t{1} << 31) - 1)
    return fail(LB_ERR_UNSUPPORTED, "%s: %lld sequences is more than one CUDA launch covers", fn, (long long)n_seq);
  void *d_starts = nullptr;
  const size_t bytes = static_cast<size_t>(n_seq + 1) * sizeof(int64_t);
  if (lb_status st = copy_host_arguments(fn, "copy of the sequence offsets", seq_starts, bytes, &d_starts, s)) return st;
  mean_pool_kernel<<<static_cast<unsigned>(n_seq), kThreads, 0, s>>>(x, static_cast<const int64_t *>(d_starts), hidden, normalize, out);
  const lb_status st = check(cudaGetLastError(), fn, "kernel launch");
  cudaFreeAsync(d_starts, s);
  if (st != LB_OK) return st;
  return finish_launch(fn, stream);
}

}  // namespace lb::cuda
