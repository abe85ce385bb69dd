// lb_embedding_lookup and lb_embedding_mean_pool: check the arguments (sizes, the host-side ids and
// sequence offsets, overlap), then run the CPU or CUDA backend.
#include "cuda_call.h"
#include "../core/error.h"
#include "../cpu/embedding/embedding.h"
#include "checks.h"
#include "../cuda/embedding/embedding.cuh"

namespace {

// What both calls ask of n_seq, hidden and the offsets; tokens (seq_starts[n_seq]) in *tokens.
lb_status check_batch(const char *fn, const int64_t *seq_starts, int64_t n_seq, int64_t hidden, int64_t max_len, int64_t *tokens) {
  if (n_seq < 1 || hidden < 1 || hidden > (int64_t{1} << 20))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: needs n_seq >= 1 and 1 <= hidden <= 2^20; got %lld, %lld", fn, (long long)n_seq,
                    (long long)hidden);
  if (n_seq > (int64_t{1} << 40) / hidden) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: %lld sequences is too many", fn, (long long)n_seq);
  if (lb_status st = lb::check_seq_starts(fn, seq_starts, n_seq, max_len)) return st;
  *tokens = seq_starts[n_seq];
  if (*tokens > (int64_t{1} << 40) / hidden)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: %lld tokens x %lld columns is too large", fn, (long long)*tokens, (long long)hidden);
  return LB_OK;
}

}  // namespace

extern "C" {

LB_API lb_status lb_embedding_lookup(int32_t device, lb_stream stream, const float *word, int64_t vocab, const float *position,
                                     int64_t max_positions, const float *type_row, const int32_t *ids, const int64_t *seq_starts,
                                     int64_t n_seq, int64_t hidden, float *out) {
  static const char *fn = "lb_embedding_lookup";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (!word || !position || !ids || !seq_starts || !out)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: word, position, ids, seq_starts and out must not be NULL", fn);
  if (vocab < 1 || max_positions < 1 || vocab > (int64_t{1} << 31) - 1)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: needs 1 <= vocab < 2^31 and max_positions >= 1; got %lld, %lld", fn, (long long)vocab,
                    (long long)max_positions);
  int64_t tokens = 0;
  if (lb_status st = check_batch(fn, seq_starts, n_seq, hidden, max_positions, &tokens)) return st;
  if (vocab > (int64_t{1} << 40) / hidden || max_positions > (int64_t{1} << 40) / hidden)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: the tables (%lld and %lld rows of %lld) are too large", fn, (long long)vocab,
                    (long long)max_positions, (long long)hidden);
  for (int64_t t = 0; t < tokens; ++t)
    if (ids[t] < 0 || ids[t] >= vocab)
      return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: ids[%lld] = %d is outside the vocabulary of %lld", fn, (long long)t, ids[t],
                      (long long)vocab);
  const int64_t out_bytes = tokens * hidden * 4;
  if (lb_status st = lb::check_overlap(fn, word, vocab * hidden * 4, out, out_bytes, false)) return st;
  if (lb_status st = lb::check_overlap(fn, position, max_positions * hidden * 4, out, out_bytes, false)) return st;
  if (type_row) {
    if (lb_status st = lb::check_overlap(fn, type_row, hidden * 4, out, out_bytes, false)) return st;
  }
  if (device != LB_DEVICE_CPU) {
    return lb::on_cuda(fn, device, stream, [&](cudaStream_t s) {
      return lb::cuda::embedding_lookup(word, position, type_row, ids, seq_starts, n_seq, hidden, out, stream, s);
    });
  }
  return lb::guard(fn, [&] {
    lb::cpu::embedding_lookup(word, position, type_row, ids, seq_starts, n_seq, hidden, out);
    return LB_OK;
  });
}

LB_API lb_status lb_embedding_mean_pool(int32_t device, lb_stream stream, const float *x, const int64_t *seq_starts, int64_t n_seq,
                                        int64_t hidden, int32_t normalize, float *out) {
  static const char *fn = "lb_embedding_mean_pool";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (!x || !seq_starts || !out) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: x, seq_starts and out must not be NULL", fn);
  int64_t tokens = 0;
  if (lb_status st = check_batch(fn, seq_starts, n_seq, hidden, int64_t{1} << 24, &tokens)) return st;
  if (lb_status st = lb::check_overlap(fn, x, tokens * hidden * 4, out, n_seq * hidden * 4, false)) return st;
  if (device != LB_DEVICE_CPU) {
    return lb::on_cuda(fn, device, stream, [&](cudaStream_t s) {
      return lb::cuda::embedding_mean_pool(x, seq_starts, n_seq, hidden, normalize != 0, out, stream, s);
    });
  }
  return lb::guard(fn, [&] {
    lb::cpu::embedding_mean_pool(x, seq_starts, n_seq, hidden, normalize != 0, out);
    return LB_OK;
  });
}

}  // extern "C"
