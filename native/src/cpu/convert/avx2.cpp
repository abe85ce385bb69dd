// AVX2 + F16C convert kernels, 8 elements per step (fp8: 16); the tail goes through a small stack
// buffer so it takes the same vector path (fp8: through fp8.inc). bf16 is rounded with integer ops (see
// avx512.cpp). Streamed forms for outputs of kStreamBytes and more (simd/streaming.h).
#include <immintrin.h>
#include <string.h>

#include "../../common/fp8.h"
#include "convert.h"
#include "pairs.h"

namespace lb::cpu {
namespace {

#include "../simd/half_avx2.h"

// Whether a streamed kernel's whole steps may use non-temporal stores: its destination must be aligned to
// one step's store (simd/streaming.h; the callers' streamed outputs start on 64-byte lines).
inline bool stream_aligned(const void *d, int step_bytes) { return (reinterpret_cast<uintptr_t>(d) & (step_bytes - 1)) == 0; }

// kStream: whole steps go out with non-temporal stores when the destination is aligned for them (the
// caller fences); else ordinary stores.
template <class S, class D, bool kStream = false>
void kernel(const void *s, void *d, int64_t n) {
  const char *src = static_cast<const char *>(s);
  char *dst = static_cast<char *>(d);
  int64_t i = 0;
  if (kStream && stream_aligned(d, 8 * D::kSize))
    for (; i + 8 <= n; i += 8) D::stream(dst + i * D::kSize, S::load(src + i * S::kSize));
  for (; i + 8 <= n; i += 8) D::store(dst + i * D::kSize, S::load(src + i * S::kSize));
  if (i < n) {
    alignas(32) char in[32] = {}, out[32];
    const size_t left = static_cast<size_t>(n - i);
    memcpy(in, src + i * S::kSize, left * S::kSize);
    D::store(out, S::load(in));
    memcpy(dst + i * D::kSize, out, left * D::kSize);
  }
}

#include "fp8.inc"
#include "../simd/fp8_avx2.h"

// f32 / f16 / bf16 -> fp8, 16 a step through fp8_convert16_avx2 (the element-by-element encoder of
// fp8.inc it replaces ran F32 -> E4M3 at 0.20 of the copy on the Zen 4 host, AVX-512's at 0.85); the
// tail through fp8.inc.
template <class S, lb_dtype Src, bool E4, bool Sat, bool kStream = false>
void fp8_encode16(const void *s, void *d, int64_t n) {
  const char *src = static_cast<const char *>(s);
  uint8_t *dst = static_cast<uint8_t *>(d);
  const bool stream = kStream && stream_aligned(d, 16);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i c = fp8_convert16_avx2<E4, Sat>(S::load(src + i * S::kSize), S::load(src + (i + 8) * S::kSize));
    const __m128i codes = _mm_packus_epi16(_mm256_castsi256_si128(c), _mm256_extracti128_si256(c, 1));
    if (stream) _mm_stream_si128(reinterpret_cast<__m128i *>(dst + i), codes);
    else _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + i), codes);
  }
  if (i < n) fp8_encode_kernel<Src, E4 ? LB_DTYPE_FP8_E4M3 : LB_DTYPE_FP8_E5M2, Sat>(src + i * S::kSize, dst + i, n - i);
}

// fp8 -> f32 / f16 / bf16, 16 a step through fp8_decode16_avx2; the tail through fp8.inc's table.
template <bool E4, class D, lb_dtype Dst, bool kStream = false>
void fp8_decode16(const void *s, void *d, int64_t n) {
  const uint8_t *src = static_cast<const uint8_t *>(s);
  char *dst = static_cast<char *>(d);
  const bool stream = kStream && stream_aligned(d, 8 * D::kSize);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 v[2];
    fp8_decode16_avx2<E4>(_mm_loadu_si128(reinterpret_cast<const __m128i *>(src + i)), v);
    for (int h = 0; h < 2; ++h) {
      if (stream) D::stream(dst + (i + 8 * h) * D::kSize, v[h]);
      else D::store(dst + (i + 8 * h) * D::kSize, v[h]);
    }
  }
  if (i < n) fp8_decode_kernel<E4 ? LB_DTYPE_FP8_E4M3 : LB_DTYPE_FP8_E5M2, Dst, true>(src + i, dst + i * D::kSize, n - i);
}

template <bool Sat, bool kStream>
ConvertFn fp8_simd_pairs(lb_dtype s, lb_dtype d) {
  constexpr lb_dtype kF32 = LB_DTYPE_F32, kF16 = LB_DTYPE_F16, kBF16 = LB_DTYPE_BF16;
  const bool de4 = d == LB_DTYPE_FP8_E4M3, se4 = s == LB_DTYPE_FP8_E4M3;
  if (de4 || d == LB_DTYPE_FP8_E5M2) {
    if (s == kF32) return de4 ? fp8_encode16<F32, kF32, true, Sat, kStream> : fp8_encode16<F32, kF32, false, Sat, kStream>;
    if (s == kF16) return de4 ? fp8_encode16<F16, kF16, true, Sat, kStream> : fp8_encode16<F16, kF16, false, Sat, kStream>;
    if (s == kBF16) return de4 ? fp8_encode16<BF16, kBF16, true, Sat, kStream> : fp8_encode16<BF16, kBF16, false, Sat, kStream>;
  }
  if (se4 || s == LB_DTYPE_FP8_E5M2) {
    if (d == kF32) return se4 ? fp8_decode16<true, F32, kF32, kStream> : fp8_decode16<false, F32, kF32, kStream>;
    if (d == kF16) return se4 ? fp8_decode16<true, F16, kF16, kStream> : fp8_decode16<false, F16, kF16, kStream>;
    if (d == kBF16) return se4 ? fp8_decode16<true, BF16, kBF16, kStream> : fp8_decode16<false, BF16, kBF16, kStream>;
  }
  return fp8_kernel(s, d, Sat);  // fp8 -> fp8: fp8.inc's table
}

template <class S, class D>
void streamed_kernel(const void *s, void *d, int64_t n) {
  kernel<S, D, true>(s, d, n);
}

}  // namespace

ConvertFn convert_kernel_avx2(lb_dtype src, lb_dtype dst, bool stream) {
  if (stream) LB_CONVERT_PAIRS_OF(streamed_kernel, src, dst);
  LB_CONVERT_PAIRS(src, dst);
}
ConvertFn fp8_kernel_avx2(lb_dtype src, lb_dtype dst, bool saturate, bool stream) {
  if (stream) return saturate ? fp8_simd_pairs<true, true>(src, dst) : fp8_simd_pairs<false, true>(src, dst);
  return saturate ? fp8_simd_pairs<true, false>(src, dst) : fp8_simd_pairs<false, false>(src, dst);
}

}  // namespace lb::cpu
