// Encoder self-attention on CUDA: one warp per (query row, head), streaming over the sequence's
// keys with an online softmax (running max m and sum l, the accumulator rescaled when the max
// grows: FlashAttention's recurrence), so no score matrix is stored and any length works.
//
// Per key j: the lanes split the head's dimensions (lane d takes d, d + 32, ...) for q . k_j — the
// warp's loads of k_j and v_j are contiguous — then a butterfly sum gives every lane the score,
// and each lane updates its own dimensions of the output. This is the simple, correct kernel the
// model runtime needs on a GPU; a tensor-core (mma) version is the next step once it is measured.
#include <cstdint>

#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "attention.cuh"

namespace lb::cuda {
namespace {

constexpr int kWarpsPerBlock = 4;

// PerLane = ceil(head_dim / 32) rounded up to a power of two (registers per lane).
template <int PerLane>
__global__ void attention_kernel(const float *qkv, const int64_t *starts, int64_t n_seq, int64_t tokens, int heads, int head_dim,
                                 float scale, float *out) {
  const int lane = threadIdx.x & 31;
  const int64_t item = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);  // (token, head)
  if (item >= tokens * heads) return;  // whole warps leave together
  const int64_t i = item / heads;
  const int h = static_cast<int>(item % heads);
  // The sequence holding row i: the last s with starts[s] <= i.
  int64_t lo = 0, hi = n_seq - 1;
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (starts[mid] <= i) lo = mid;
    else hi = mid - 1;
  }
  const int64_t begin = starts[lo], end = starts[lo + 1];
  const int64_t width = static_cast<int64_t>(heads) * head_dim, row = 3 * width;
  const float *q = qkv + i * row + static_cast<int64_t>(h) * head_dim;

  float qv[PerLane], acc[PerLane];
#pragma unroll
  for (int c = 0; c < PerLane; ++c) {
    const int d = lane + 32 * c;
    qv[c] = d < head_dim ? q[d] : 0.0f;
    acc[c] = 0.0f;
  }
  float m = -INFINITY, l = 0.0f;
  for (int64_t j = begin; j < end; ++j) {
    const float *k = qkv + j * row + width + static_cast<int64_t>(h) * head_dim;
    const float *v = k + width;
    float dot = 0.0f;
#pragma unroll
    for (int c = 0; c < PerLane; ++c) {
      const int d = lane + 32 * c;
      if (d < head_dim) dot = fmaf(qv[c], k[d], dot);
    }
#pragma unroll
    for (int off = 16; off >= 1; off >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, off);
    const float sc = dot * scale;
    const float m_new = fmaxf(m, sc);
    // exp(-inf) = 0 rescales nothing on the first key; a NaN score makes everything NaN, as on the CPU.
    const float shrink = expf(m - m_new), p = expf(sc - m_new);
    l = fmaf(l, shrink, p);
#pragma unroll
    for (int c = 0; c < PerLane; ++c) {
      const int d = lane + 32 * c;
      if (d < head_dim) acc[c] = fmaf(acc[c], shrink, p * v[d]);
    }
    m = m_new;
  }
  float *o = out + i * width + static_cast<int64_t>(h) * head_dim;
  const float inv = 1.0f / l;
#pragma unroll
  for (int c = 0; c < PerLane; ++c) {
    const int d = lane + 32 * c;
    if (d < head_dim) o[d] = acc[c] * inv;
  }
}

template <int PerLane>
void launch(const float *qkv, const int64_t *starts, int64_t n_seq, int64_t tokens, int heads, int head_dim, float scale, float *out,
            cudaStream_t s) {
  const int64_t blocks = (tokens * heads + kWarpsPerBlock - 1) / kWarpsPerBlock;
  attention_kernel<PerLane><<<static_cast<unsigned>(blocks), 32 * kWarpsPerBlock, 0, s>>>(qkv, starts, n_seq, tokens, heads, head_dim,
                                                                                         scale, out);
}

}  // namespace

lb_status attention(const float *qkv, const int64_t *seq_starts, int64_t n_seq, int64_t heads, int64_t head_dim, float scale,
                    float *out, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_attention";
  const int64_t tokens = seq_starts[n_seq];
  if (tokens * heads / kWarpsPerBlock >= (int64_t{1} << 31) - 1)
    return fail(LB_ERR_UNSUPPORTED, "%s: %lld tokens x %lld heads is more than one CUDA launch covers", fn, (long long)tokens,
                (long long)heads);
  void *starts = nullptr;
  const size_t bytes = static_cast<size_t>(n_seq + 1) * sizeof(int64_t);
  if (lb_status st = copy_host_arguments(fn, "copy of the sequence offsets", seq_starts, bytes, &starts, s)) return st;
  const auto *d_starts = static_cast<const int64_t *>(starts);
  const int hd = static_cast<int>(head_dim), nh = static_cast<int>(heads);
  if (head_dim <= 32) launch<1>(qkv, d_starts, n_seq, tokens, nh, hd, scale, out, s);
  else if (head_dim <= 64) launch<2>(qkv, d_starts, n_seq, tokens, nh, hd, scale, out, s);
  else if (head_dim <= 128) launch<4>(qkv, d_starts, n_seq, tokens, nh, hd, scale, out, s);
  else if (head_dim <= 256) launch<8>(qkv, d_starts, n_seq, tokens, nh, hd, scale, out, s);
  else if (head_dim <= 512) launch<16>(qkv, d_starts, n_seq, tokens, nh, hd, scale, out, s);
  else launch<32>(qkv, d_starts, n_seq, tokens, nh, hd, scale, out, s);
  const lb_status st = check(cudaGetLastError(), fn, "kernel launch");
  // Freed in stream order, after the kernel; the host copy above was staged before this returns.
  cudaFreeAsync(starts, s);
  if (st != LB_OK) return st;
  return finish_launch(fn, stream);
}

}  // namespace lb::cuda
