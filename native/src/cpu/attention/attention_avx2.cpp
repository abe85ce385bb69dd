// Attention job for the avx2 variant, register-blocked with intrinsics like the avx512 one: kR = 4
// query rows at a time, a 16-key (or 16-dimension) block as two ymm per row, so each step of the
// loop over the head dimension (scores) or over keys (values) issues 8 independent FMAs against
// two loads — enough chains to cover the FMA latency. Until 2026-11-27 this variant ran the
// compiler-vectorised single-row loop of attention_kernels.inc: one dependent chain per block,
// latency-bound (14% of an AVX2 MiniLM forward pass at batch 8). Gathering k and v is the .inc's.
#include <immintrin.h>

#include <algorithm>
#include <cmath>

#include "../simd/vexp.h"
#include "attention.h"

namespace lb::cpu {
namespace {
#include "attention_kernels.inc"

constexpr int64_t kR = 4;

float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_shuffle_ps(m, m, 1));
  return _mm_cvtss_f32(m);
}

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

// Lanes [0, n) set, n in 0..8: a mask for the keys or dimensions left in a half block.
__m256 lanes_below(int64_t n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(n)), idx));
}

// Softmax numerators of kR rows of scores (p, rows lenp apart) in place, as the avx512 kernel's:
// exp(s · scale − max) with keys past len at −inf first; 1 / sum per row into inv.
void softmax_rows(float *p, int64_t len, int64_t lenp, float scale, float *inv) {
  const __m256 vscale = _mm256_set1_ps(scale), ninf = _mm256_set1_ps(-INFINITY);
  __m256 mx[kR], sum[kR];
  for (int64_t r = 0; r < kR; ++r) mx[r] = ninf;
  for (int64_t jb = 0; jb < lenp; jb += 8) {
    const __m256 live = lanes_below(std::min<int64_t>(8, std::max<int64_t>(0, len - jb)));
    for (int64_t r = 0; r < kR; ++r) {
      float *pr = p + r * lenp + jb;
      const __m256 v = _mm256_blendv_ps(ninf, _mm256_mul_ps(_mm256_loadu_ps(pr), vscale), live);
      _mm256_storeu_ps(pr, v);
      mx[r] = _mm256_max_ps(mx[r], v);
    }
  }
  __m256 m[kR];
  for (int64_t r = 0; r < kR; ++r) {
    m[r] = _mm256_set1_ps(hmax(mx[r]));
    sum[r] = _mm256_setzero_ps();
  }
  for (int64_t jb = 0; jb < lenp; jb += 8)
    for (int64_t r = 0; r < kR; ++r) {
      float *pr = p + r * lenp + jb;
      const __m256 e = vexp256(_mm256_sub_ps(_mm256_loadu_ps(pr), m[r]));
      _mm256_storeu_ps(pr, e);
      sum[r] = _mm256_add_ps(sum[r], e);
    }
  for (int64_t r = 0; r < kR; ++r) inv[r] = 1.0f / hsum(sum[r]);
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
      __m256 acc[kR][2];
      for (auto &a : acc) a[0] = a[1] = _mm256_setzero_ps();
      for (int64_t e = 0; e < d; ++e) {
        const __m256 k0 = _mm256_loadu_ps(s.kt + e * s.lenp + jb), k1 = _mm256_loadu_ps(s.kt + e * s.lenp + jb + 8);
        for (int64_t r = 0; r < kR; ++r) {
          const __m256 qe = _mm256_broadcast_ss(q[r] + e);
          acc[r][0] = _mm256_fmadd_ps(qe, k0, acc[r][0]);
          acc[r][1] = _mm256_fmadd_ps(qe, k1, acc[r][1]);
        }
      }
      for (int64_t r = 0; r < kR; ++r) {
        _mm256_storeu_ps(p + r * s.lenp + jb, acc[r][0]);
        _mm256_storeu_ps(p + r * s.lenp + jb + 8, acc[r][1]);
      }
    }
    float inv[kR];
    softmax_rows(p, len, s.lenp, scale, inv);
    const int64_t rows = std::min(kR, len - i0);
    for (int64_t eb = 0; eb < s.dp; eb += kB) {
      __m256 acc[kR][2];
      for (auto &a : acc) a[0] = a[1] = _mm256_setzero_ps();
      for (int64_t j = 0; j < len; ++j) {
        const __m256 v0 = _mm256_loadu_ps(s.v + j * s.dp + eb), v1 = _mm256_loadu_ps(s.v + j * s.dp + eb + 8);
        for (int64_t r = 0; r < kR; ++r) {
          const __m256 pj = _mm256_broadcast_ss(p + r * s.lenp + j);
          acc[r][0] = _mm256_fmadd_ps(pj, v0, acc[r][0]);
          acc[r][1] = _mm256_fmadd_ps(pj, v1, acc[r][1]);
        }
      }
      const int64_t n = std::min<int64_t>(kB, d - eb);
      const __m256i keep0 = _mm256_castps_si256(lanes_below(std::min<int64_t>(8, n)));
      const __m256i keep1 = _mm256_castps_si256(lanes_below(std::max<int64_t>(0, n - 8)));
      for (int64_t r = 0; r < rows; ++r) {
        float *o = out + (s0 + i0 + r) * out_stride + head * d + eb;
        const __m256 w = _mm256_set1_ps(inv[r]);
        _mm256_maskstore_ps(o, keep0, _mm256_mul_ps(acc[r][0], w));
        _mm256_maskstore_ps(o + 8, keep1, _mm256_mul_ps(acc[r][1], w));
      }
    }
  }
}

}  // namespace

AttentionJob attention_job_avx2() { return attention_job_blocked; }

}  // namespace lb::cpu
