// lb_attention: check the arguments (shape, sequence offsets, overlap), then run the CPU or CUDA backend.
#include "cuda_call.h"
#include "../core/error.h"
#include "../cpu/attention/attention.h"
#include "checks.h"
#include "../cuda/attention/attention.cuh"

extern "C" {

LB_API lb_status lb_attention(int32_t device, lb_stream stream, const float *qkv, const int64_t *seq_starts, int64_t n_seq,
                              int64_t heads, int64_t head_dim, float scale, float *out) {
  static const char *fn = "lb_attention";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (!qkv || !seq_starts || !out) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: qkv, seq_starts and out must not be NULL", fn);
  if (n_seq < 1 || heads < 1 || head_dim < 1 || head_dim > 1024 || heads > 4096)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: needs n_seq >= 1, 1 <= heads <= 4096, 1 <= head_dim <= 1024; got %lld, %lld, %lld", fn,
                    (long long)n_seq, (long long)heads, (long long)head_dim);
  if (!(scale > 0.0f) || !(scale < 3.4e38f)) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: scale must be finite and > 0, got %g", fn, scale);
  if (lb_status st = lb::check_seq_starts(fn, seq_starts, n_seq, 65536)) return st;
  const int64_t tokens = seq_starts[n_seq], width = heads * head_dim;
  if (tokens > (int64_t{1} << 40) / (3 * width))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: %lld tokens x %lld columns is too large", fn, (long long)tokens, (long long)(3 * width));
  if (lb_status st = lb::check_overlap(fn, qkv, tokens * 3 * width * 4, out, tokens * width * 4, false)) return st;
  if (device != LB_DEVICE_CPU) {
    return lb::on_cuda(fn, device, stream,
                       [&](cudaStream_t s) { return lb::cuda::attention(qkv, seq_starts, n_seq, heads, head_dim, scale, out, stream, s); });
  }
  return lb::guard(fn, [&] {
    lb::cpu::attention(qkv, seq_starts, n_seq, heads, head_dim, scale, out);
    return LB_OK;
  });
}

}  // extern "C"
