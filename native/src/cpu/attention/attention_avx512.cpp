// Attention job for the avx512 variant, register-blocked with intrinsics: kR = 8 query rows at
// a time, each with its own zmm accumulator, so that per step of the loop over the head
// dimension (scores) or over keys (values) eight independent FMAs share one 16-wide load. The
// compiler-vectorised single-row loop of attention_kernels.inc is one dependent chain of adds
// per block (latency-bound, ~8 GMAC/s on 2 cores for MiniLM's 12 heads × 32); GCC 12 did not
// keep a kR-row version of that loop in registers (it spilled, and unrolled got 3× slower), hence
// intrinsics here. Gathering k and v is the shared loop of the .inc.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "../simd/vexp.h"
#include "attention.h"

namespace lb::cpu {
namespace {
#include "attention_kernels.inc"

constexpr int64_t kR = 8;

// Softmax numerators of kR rows of scores (p, rows lenp apart) in place: exp(s · scale − max),
// with the keys past len set to −inf first (so whatever the unzeroed scratch held there drops out
// as exp = 0); returns 1 / sum per row in lanes 0..kR−1, applied when the output is stored. Loops
// run over the rows inside each key block, so kR exp chains (each ~20 dependent operations) are
// in flight together; one row at a time left the core waiting on a single chain (57% of the kernel).
__m512 softmax_rows(float *p, int64_t len, int64_t lenp, float scale) {
  const __m512 vscale = _mm512_set1_ps(scale), ninf = _mm512_set1_ps(-INFINITY);
  __m512 mx[kR], sum[kR];
  for (int64_t r = 0; r < kR; ++r) mx[r] = ninf;
  for (int64_t jb = 0; jb < lenp; jb += kB) {
    const int64_t left = len - jb;
    const __mmask16 live = left >= kB ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << left) - 1u);
    for (int64_t r = 0; r < kR; ++r) {
      float *pr = p + r * lenp + jb;
      const __m512 v = _mm512_mask_blend_ps(live, ninf, _mm512_mul_ps(_mm512_loadu_ps(pr), vscale));
      _mm512_storeu_ps(pr, v);
      mx[r] = _mm512_max_ps(mx[r], v);
    }
  }
  __m512 m[kR];
  for (int64_t r = 0; r < kR; ++r) {
    m[r] = _mm512_set1_ps(_mm512_reduce_max_ps(mx[r]));
    sum[r] = _mm512_setzero_ps();
  }
  for (int64_t jb = 0; jb < lenp; jb += kB)
    for (int64_t r = 0; r < kR; ++r) {
      float *pr = p + r * lenp + jb;
      const __m512 e = vexp512(_mm512_sub_ps(_mm512_loadu_ps(pr), m[r]));
      _mm512_storeu_ps(pr, e);
      sum[r] = _mm512_add_ps(sum[r], e);
    }
  alignas(64) float inv[16] = {};
  for (int64_t r = 0; r < kR; ++r) inv[r] = 1.0f / _mm512_reduce_add_ps(sum[r]);
  return _mm512_load_ps(inv);
}

void attention_job_blocked(const float *qkv, int64_t s0, int64_t len, int64_t head, int64_t heads, int64_t d, float scale,
                           float *out, float *scratch) {
  const int64_t stride = 3 * heads * d, out_stride = heads * d;
  const KvScratch s = gather_kv(qkv, s0, len, head, heads, d, scratch);
  for (int64_t i0 = 0; i0 < len; i0 += kR) {
    // A last block past the sequence repeats its last row and drops the copies.
    const float *q[kR];
    for (int64_t r = 0; r < kR; ++r) q[r] = qkv + (s0 + std::min(i0 + r, len - 1)) * stride + head * d;
    float *p = s.p;  // kR rows of lenp scores
    for (int64_t jb = 0; jb < s.lenp; jb += kB) {
      __m512 acc[kR];
      for (auto &a : acc) a = _mm512_setzero_ps();
      for (int64_t e = 0; e < d; ++e) {
        const __m512 k = _mm512_loadu_ps(s.kt + e * s.lenp + jb);
        for (int64_t r = 0; r < kR; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(q[r][e]), k, acc[r]);
      }
      for (int64_t r = 0; r < kR; ++r) _mm512_storeu_ps(p + r * s.lenp + jb, acc[r]);
    }
    const __m512 inv = softmax_rows(p, len, s.lenp, scale);
    alignas(64) float inv_row[16];
    _mm512_store_ps(inv_row, inv);
    const int64_t rows = std::min(kR, len - i0);
    for (int64_t eb = 0; eb < s.dp; eb += kB) {
      __m512 acc[kR];
      for (auto &a : acc) a = _mm512_setzero_ps();
      for (int64_t j = 0; j < len; ++j) {
        const __m512 vj = _mm512_loadu_ps(s.v + j * s.dp + eb);
        for (int64_t r = 0; r < kR; ++r) acc[r] = _mm512_fmadd_ps(_mm512_set1_ps(p[r * s.lenp + j]), vj, acc[r]);
      }
      const __mmask16 keep = static_cast<__mmask16>((1u << std::min<int64_t>(kB, d - eb)) - 1u);
      for (int64_t r = 0; r < rows; ++r)
        _mm512_mask_storeu_ps(out + (s0 + i0 + r) * out_stride + head * d + eb, keep, _mm512_mul_ps(acc[r], _mm512_set1_ps(inv_row[r])));
    }
  }
}

}  // namespace

AttentionJob attention_job_avx512() { return attention_job_blocked; }

}  // namespace lb::cpu
