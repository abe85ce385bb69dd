// The AVX-512 dequantize kernels' two halves: decoders (codes -> values times the block's scale, 32 or 16
// a step) and puts (values -> y as F32, or narrowed in registers to F16 / BF16 with simd/half_avx512.h's
// rounding: the bits lb_convert gives the f32 values). Narrowing here, not in an f32 stage that the
// convert kernel narrows afterwards, saves the stage's store and reload per value. Each decoder does
// common/quant.h's dequantize_value in the same order (one rounding per operation), so the values are
// the scalar path's bit for bit. Include only from AVX-512 files, inside an anonymous namespace, after
// lanes_avx512.h (and core/cpu_features.h at the top of the file).
#pragma once
#include <immintrin.h>

// ---- puts: put32 32 values (a then b) at element i of y, put16 16, put_masked the lanes of m. kStream: a
// whole 64-byte-aligned output line goes out non-temporal (store_values / store_line); put16 never does.

struct PutF32 {
  template <bool kStream>
  static void put32(void *y, int64_t i, __m512 a, __m512 b) {
    float *f = static_cast<float *>(y) + i;
    store_values<kStream>(f, a);
    store_values<kStream>(f + 16, b);
  }
  template <bool kStream>
  static void put16(void *y, int64_t i, __m512 v) {
    store_values<kStream>(static_cast<float *>(y) + i, v);
  }
  static void put_masked(void *y, int64_t i, __m512 v, __mmask16 m) { _mm512_mask_storeu_ps(static_cast<float *>(y) + i, m, v); }
};

// D: F16 or BF16. kFast: BF16::narrow_pair_fast (VCVTNE2PS2BF16; only where avx512_bf16() holds, which
// with_put checks, and the ctest optional_instructions holds the object files to).
template <class D, bool kFast>
struct Put16 {
  template <bool kStream>
  static void put32(void *y, int64_t i, __m512 a, __m512 b) {
    __m512i line;
    if constexpr (kFast) line = D::narrow_pair_fast(a, b);
    else line = D::narrow_pair(a, b);
    store_line<kStream>(reinterpret_cast<uint8_t *>(static_cast<uint16_t *>(y) + i), line);
  }
  template <bool kStream>
  static void put16(void *y, int64_t i, __m512 v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(static_cast<uint16_t *>(y) + i), D::narrow(v));
  }
  static void put_masked(void *y, int64_t i, __m512 v, __mmask16 m) { D::store(y, i, v, m); }
};

// K::template run<Put, kStream>(args...) with y_dtype's Put and the stream flag as template arguments,
// so each kernel is compiled once per output and its loops carry no tests.
template <class K, class... A>
void with_put(lb_dtype y_dtype, bool stream, A... args) {
  if (y_dtype == LB_DTYPE_F16) {
    if (stream) return K::template run<Put16<F16, false>, true>(args...);
    return K::template run<Put16<F16, false>, false>(args...);
  }
  if (y_dtype == LB_DTYPE_BF16) {
    if (::lb::avx512_bf16()) {
      if (stream) return K::template run<Put16<BF16, true>, true>(args...);
      return K::template run<Put16<BF16, true>, false>(args...);
    }
    if (stream) return K::template run<Put16<BF16, false>, true>(args...);
    return K::template run<Put16<BF16, false>, false>(args...);
  }
  if (stream) return K::template run<PutF32, true>(args...);
  return K::template run<PutF32, false>(args...);
}

// ---- decoders: values32 / values16 / values_tail (n < 16 left) of the codes from element i on (a byte
// each; packed I4 / U4: element i in byte i / 2, i even), times the block's scale s.

struct DecodeI8 {
  __m512 s;
  __m512 values16(const uint8_t *q, int64_t i) const { return of(_mm_loadu_si128(reinterpret_cast<const __m128i *>(q + i))); }
  void values32(const uint8_t *q, int64_t i, __m512 &a, __m512 &b) const {
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(q + i));
    a = of(_mm256_castsi256_si128(bytes));
    b = of(_mm256_extracti128_si256(bytes, 1));
  }
  __m512 values_tail(const uint8_t *q, int64_t i, int64_t n) const { return of(_mm_maskz_loadu_epi8(tail_mask(n), q + i)); }
  __m512 of(__m128i bytes) const { return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes)), s); }
};

// I4 / U4: the 16 possible values, (value_of_nibble(c) - zero) * s, in one register, and a VPERMPS per 16
// codes with each code's byte as its index (VPERMPS reads an index's low 4 bits; kPacked: two codes a
// byte, each byte taken twice and the second copy shifted down 4). ~9 instructions for 32 packed values
// where widening, converting and scaling took ~22.
template <bool kPacked>
struct DecodeNibbles {
  __m512 table;
  DecodeNibbles(lb_dtype t, __m512 s, __m512 zero) {
    const __m512i c = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 v = t == LB_DTYPE_I4 ? _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_xor_si512(c, _mm512_set1_epi32(8)), _mm512_set1_epi32(8)))
                                      : _mm512_sub_ps(_mm512_cvtepi32_ps(c), zero);
    table = _mm512_mul_ps(v, s);
  }
  // 16 codes' bytes (kPacked: 8 bytes in the low half) -> 16 values.
  __m512 of(__m128i bytes) const {
    if constexpr (!kPacked) return _mm512_permutexvar_ps(_mm512_cvtepu8_epi32(bytes), table);
    const __m512i twice = _mm512_cvtepu8_epi32(_mm_unpacklo_epi8(bytes, bytes));
    return _mm512_permutexvar_ps(_mm512_mask_srli_epi32(twice, 0xaaaa, twice, 4), table);
  }
  __m512 values16(const uint8_t *q, int64_t i) const {
    if constexpr (!kPacked) return of(_mm_loadu_si128(reinterpret_cast<const __m128i *>(q + i)));
    return of(_mm_loadl_epi64(reinterpret_cast<const __m128i *>(q + i / 2)));
  }
  void values32(const uint8_t *q, int64_t i, __m512 &a, __m512 &b) const {
    if constexpr (!kPacked) {
      a = values16(q, i);
      b = values16(q, i + 16);
      return;
    }
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(q + i / 2));
    a = of(bytes);
    b = of(_mm_unpackhi_epi64(bytes, bytes));
  }
  __m512 values_tail(const uint8_t *q, int64_t i, int64_t n) const {  // kPacked: n even
    if constexpr (!kPacked) return of(_mm_maskz_loadu_epi8(tail_mask(n), q + i));
    return of(_mm_maskz_loadu_epi8(static_cast<__mmask16>((1u << (n / 2)) - 1u), q + i / 2));
  }
};

// FP8 through binary16 (as e4m3_decode16 / e5m2_decode16, simd/fp8_avx512.h), 32 codes in 16-bit lanes:
// E5M2 is a binary16's top byte; E4M3's fields shifted into place are the binary16 of value * 2^-8, so
// it is scaled by s * 256 — the same single rounding of value * s wherever s * 256 is exact (`fold`,
// checked per decoder). E4M3's NaN codes (and a scale that does not fold) take e4m3_decode16 and two
// multiplies instead: rare, so the branch predicts. E5M2's NaNs need nothing: the multiply by s quiets
// them as e5m2_decode16 does.
template <bool kE4>
struct DecodeFp8 {
  __m512 s, s256;
  bool fold;
  explicit DecodeFp8(__m512 scale) : s(scale), s256(_mm512_mul_ps(scale, _mm512_set1_ps(256.0f))) {
    // s * 256 overflows exactly where |s| > FLT_MAX / 256 (finite s); Inf and NaN scales fold as they are.
    const __mmask16 big = _mm512_cmp_ps_mask(_mm512_abs_ps(s), _mm512_set1_ps(0x1p119f), _CMP_GE_OQ) &
                          _mm512_cmp_ps_mask(_mm512_abs_ps(s), _mm512_set1_ps(__builtin_inff()), _CMP_NEQ_UQ);
    fold = !kE4 || big == 0;
  }
  // 32 codes widened to 16-bit lanes -> their binary16 (E4M3: of value * 2^-8); *slow: lanes needing the
  // exact path (E4M3 NaN codes).
  static __m512i halves(__m512i w, __mmask32 *slow) {
    if constexpr (!kE4) {
      *slow = 0;
      return _mm512_slli_epi16(w, 8);
    }
    const __m512i mag = _mm512_and_si512(w, _mm512_set1_epi16(0x7f));
    *slow = _mm512_cmpeq_epi16_mask(mag, _mm512_set1_epi16(0x7f));
    return _mm512_or_si512(_mm512_slli_epi16(mag, 7), _mm512_and_si512(_mm512_slli_epi16(w, 8), _mm512_set1_epi16(-0x8000)));
  }
  __m512 scaled(__m256i h) const { return _mm512_mul_ps(_mm512_cvtph_ps(h), kE4 ? s256 : s); }
  __m512 exact(__m128i bytes) const {
    const __m512i b = _mm512_cvtepu8_epi32(bytes);
    return _mm512_mul_ps(kE4 ? e4m3_decode16(b) : e5m2_decode16(b), s);
  }
  void values32(const uint8_t *q, int64_t i, __m512 &a, __m512 &b) const {
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(q + i));
    __mmask32 slow;
    const __m512i h = halves(_mm512_cvtepu8_epi16(bytes), &slow);
    if (!fold || slow) [[unlikely]] {
      a = exact(_mm256_castsi256_si128(bytes));
      b = exact(_mm256_extracti128_si256(bytes, 1));
      return;
    }
    a = scaled(_mm512_castsi512_si256(h));
    b = scaled(_mm512_extracti64x4_epi64(h, 1));
  }
  __m512 of(__m128i bytes) const {
    __mmask32 slow;
    const __m512i h = halves(_mm512_castsi256_si512(_mm256_cvtepu8_epi16(bytes)), &slow);
    if (!fold || (slow & 0xffff)) [[unlikely]] return exact(bytes);
    return scaled(_mm512_castsi512_si256(h));
  }
  __m512 values16(const uint8_t *q, int64_t i) const { return of(_mm_loadu_si128(reinterpret_cast<const __m128i *>(q + i))); }
  __m512 values_tail(const uint8_t *q, int64_t i, int64_t n) const { return of(_mm_maskz_loadu_epi8(tail_mask(n), q + i)); }
};

// n values of one block's codes (from element 0 of q) to y's elements [out, out + n).
template <class Put, bool kStream, class D>
inline void put_run(const D &d, const uint8_t *q, int64_t n, void *y, int64_t out) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m512 a, b;
    d.values32(q, i, a, b);
    Put::template put32<kStream>(y, out + i, a, b);
  }
  if (i + 16 <= n) {
    Put::template put16<kStream>(y, out + i, d.values16(q, i));
    i += 16;
  }
  if (i < n) Put::put_masked(y, out + i, d.values_tail(q, i, n - i), tail_mask(n - i));
}

// put_run with qtype's decoder (scale s and zero point z broadcast: one block's). kPacked: I4 / U4 codes
// two a byte (else one a byte, as unpack_nibbles leaves them).
template <class Put, bool kStream, bool kPacked>
inline void dequantize_run(lb_dtype qtype, __m512 s, __m512 z, const uint8_t *q, int64_t n, void *y, int64_t out) {
  switch (qtype) {
    case LB_DTYPE_I8: return put_run<Put, kStream>(DecodeI8{s}, q, n, y, out);
    case LB_DTYPE_I4:
    case LB_DTYPE_U4: return put_run<Put, kStream>(DecodeNibbles<kPacked>(qtype, s, z), q, n, y, out);
    case LB_DTYPE_FP8_E4M3: return put_run<Put, kStream>(DecodeFp8<true>(s), q, n, y, out);
    default: return put_run<Put, kStream>(DecodeFp8<false>(s), q, n, y, out);
  }
}
