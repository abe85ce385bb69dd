// AVX-512 convert kernels, 16 elements per step, masked loads/stores for the tail; the f32/f16/bf16
// codecs are simd/half_avx512.h.
#include <immintrin.h>

#include <algorithm>
#include <type_traits>

#include "../../common/fp8.h"
#include "../../core/cpu_features.h"
#include "convert.h"
#include "pairs.h"

namespace lb::cpu {
namespace {

#include "../simd/half_avx512.h"
#include "../simd/fp8_avx512.h"

// FP8 codecs: bytes in, bytes out, through the 16-lane encoders/decoders.
template <bool E4, bool Sat>
struct FP8 {
  static constexpr int kSize = 1;
  static __m512 load(const void *p, int64_t i, __mmask16 m) {
    const __m512i b = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, static_cast<const uint8_t *>(p) + i));
    return E4 ? e4m3_decode16(b) : e5m2_decode16(b);
  }
  static __m128i narrow(__m512 v) { return _mm512_cvtepi32_epi8(E4 ? e4m3_encode16(v, Sat) : e5m2_encode16(v, Sat)); }
  static void store(void *p, int64_t i, __m512 v, __mmask16 m) { _mm_mask_storeu_epi8(static_cast<uint8_t *>(p) + i, m, narrow(v)); }
  // Non-temporal store of 16 codes; p + i must be 16-byte aligned.
  static void stream(void *p, int64_t i, __m512 v) { _mm_stream_si128(reinterpret_cast<__m128i *>(static_cast<uint8_t *>(p) + i), narrow(v)); }
};

// Elements [i, end) with masked loads and stores, 16 a step.
template <class S, class D>
void masked_steps(const void *s, void *d, int64_t i, int64_t end) {
  for (; i < end; i += 16) {
    const int64_t left = end - i;
    const __mmask16 m = left >= 16 ? 0xffff : static_cast<__mmask16>((1u << left) - 1u);
    D::store(d, i, S::load(s, i, m), m);
  }
}

// The elements before d's first 64-byte boundary (at most n) through masked stores; returns how many.
template <class S, class D>
int64_t stream_head(const void *s, void *d, int64_t n) {
  const uintptr_t misaligned = reinterpret_cast<uintptr_t>(d) & 63;
  if (!misaligned) return 0;
  // elements are whole bytes apart, so this is a whole number of them
  const int64_t head = std::min<int64_t>(n, static_cast<int64_t>((64 - misaligned) / D::kSize));
  masked_steps<S, D>(s, d, 0, head);
  return head;
}

// kStream: once the destination is 64-byte aligned (the elements before that through masked stores),
// whole steps go out with non-temporal stores (simd/streaming.h; the caller fences).
template <class S, class D, bool kStream = false>
void kernel(const void *s, void *d, int64_t n) {
  int64_t i = 0;
  if constexpr (kStream) i = stream_head<S, D>(s, d, n);
  for (; i + 32 <= n; i += 32) {  // two vectors in flight per step
    const __m512 a = S::load(s, i, 0xffff), b = S::load(s, i + 16, 0xffff);
    if constexpr (kStream) {
      D::stream(d, i, a);
      D::stream(d, i + 16, b);
    } else {
      D::store(d, i, a, 0xffff);
      D::store(d, i + 16, b, 0xffff);
    }
  }
  masked_steps<S, D>(s, d, i, n);
}

template <class S, class D>
void streamed_kernel(const void *s, void *d, int64_t n) {
  kernel<S, D, true>(s, d, n);
}

// To F16 / BF16: 32 values a step narrowed into one vector (D::narrow_pair) and stored whole: one store
// where two half-vector ones were. kFast (BF16 where avx512_bf16() holds): BF16::narrow_pair_fast.
template <class S, class D, bool kFast, bool kStream>
void to_16bit(const void *s, void *d, int64_t n) {
  int64_t i = 0;
  if constexpr (kStream) i = stream_head<S, D>(s, d, n);
  for (; i + 32 <= n; i += 32) {
    const __m512 a = S::load(s, i, 0xffff), b = S::load(s, i + 16, 0xffff);
    __m512i v;
    if constexpr (kFast) v = D::narrow_pair_fast(a, b);
    else v = D::narrow_pair(a, b);
    __m512i *out = reinterpret_cast<__m512i *>(static_cast<uint16_t *>(d) + i);
    if constexpr (kStream) _mm512_stream_si512(out, v);
    else _mm512_storeu_si512(out, v);
  }
  masked_steps<S, D>(s, d, i, n);
}

template <class S, class D, bool kStream>
ConvertFn to_16bit_kernel() {
  if constexpr (std::is_same_v<D, BF16>) {
    if (avx512_bf16()) return to_16bit<S, D, true, kStream>;
  }
  return to_16bit<S, D, false, kStream>;
}

}  // namespace

ConvertFn convert_kernel_avx512(lb_dtype src, lb_dtype dst, bool stream) {
  if (src == LB_DTYPE_F32 && dst == LB_DTYPE_F16) return stream ? to_16bit_kernel<F32, F16, true>() : to_16bit_kernel<F32, F16, false>();
  if (src == LB_DTYPE_F32 && dst == LB_DTYPE_BF16) return stream ? to_16bit_kernel<F32, BF16, true>() : to_16bit_kernel<F32, BF16, false>();
  if (src == LB_DTYPE_F16 && dst == LB_DTYPE_BF16) return stream ? to_16bit_kernel<F16, BF16, true>() : to_16bit_kernel<F16, BF16, false>();
  if (stream) LB_CONVERT_PAIRS_OF(streamed_kernel, src, dst);
  LB_CONVERT_PAIRS(src, dst);
}
namespace {
template <bool Sat, bool kStream>
ConvertFn fp8_simd_pairs(lb_dtype s, lb_dtype d) {
  using E4 = FP8<true, Sat>;
  using E5 = FP8<false, Sat>;
  const bool se4 = s == LB_DTYPE_FP8_E4M3, se5 = s == LB_DTYPE_FP8_E5M2, de4 = d == LB_DTYPE_FP8_E4M3, de5 = d == LB_DTYPE_FP8_E5M2;
  if (de4 || de5) {
    if (s == LB_DTYPE_F32) return de4 ? kernel<F32, E4, kStream> : kernel<F32, E5, kStream>;
    if (s == LB_DTYPE_F16) return de4 ? kernel<F16, E4, kStream> : kernel<F16, E5, kStream>;
    if (s == LB_DTYPE_BF16) return de4 ? kernel<BF16, E4, kStream> : kernel<BF16, E5, kStream>;
    if (se4 && de5) return kernel<E4, E5, kStream>;
    if (se5 && de4) return kernel<E5, E4, kStream>;
  }
  if (se4 || se5) {
    if (d == LB_DTYPE_F32) return se4 ? kernel<E4, F32, kStream> : kernel<E5, F32, kStream>;
    if (d == LB_DTYPE_F16) return se4 ? kernel<E4, F16, kStream> : kernel<E5, F16, kStream>;
    if (d == LB_DTYPE_BF16) return se4 ? kernel<E4, BF16, kStream> : kernel<E5, BF16, kStream>;
  }
  return nullptr;
}
}  // namespace

ConvertFn fp8_kernel_avx512(lb_dtype src, lb_dtype dst, bool saturate, bool stream) {
  if (stream) return saturate ? fp8_simd_pairs<true, true>(src, dst) : fp8_simd_pairs<false, true>(src, dst);
  return saturate ? fp8_simd_pairs<true, false>(src, dst) : fp8_simd_pairs<false, false>(src, dst);
}

}  // namespace lb::cpu
