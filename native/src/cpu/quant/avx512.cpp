// Quant row kernels for AVX-512: the hot loops by hand (16 lanes, masked tails), the rest from
// kernels.inc. Every lane does the scalar path's operations in the same order (one rounding each),
// so the codes are identical to common/quant.h; the tests check this against the scalar variant.
#include <immintrin.h>

#include <cfloat>
#include <type_traits>

#include "../../core/cpu_features.h"
#include "quant.h"

namespace lb::cpu {
namespace {
#include "../simd/fp8_avx512.h"
#include "kernels.inc"
#include "lanes_avx512.h"
#include "dequant_avx512.h"

// Loops run whole vectors unmasked and only the tail masked: masked stores are slow on some
// cores (AMD Zen 4), and a constant full mask is not always turned into a plain store.
bool minmax16(const float *x, int64_t n, float *lo_io, float *hi_io) {
  const LaneRange r = lane_range(x, n, _mm512_set1_ps(*lo_io), _mm512_set1_ps(*hi_io));
  *lo_io = _mm512_reduce_min_ps(r.lo);
  *hi_io = _mm512_reduce_max_ps(r.hi);
  return r.finite;
}

// block_params() for 16 blocks at once (params16, lanes_avx512.h).
void block_params16(const lb_quant_params *p, const float *lo_in, const float *hi_in, int64_t count, BlockParams *out) {
  if (p->flags & LB_QUANT_POW2_SCALE) return block_params_many(p, lo_in, hi_in, count, out);  // rare: scalar
  int64_t i = 0;
  for (; i + 16 <= count; i += 16) {
    const Params16 b = params16(p, _mm512_loadu_ps(lo_in + i), _mm512_loadu_ps(hi_in + i));
    alignas(64) float sv[16], iv[16], zv[16];
    _mm512_store_ps(sv, b.scale);
    _mm512_store_ps(iv, b.inv);
    _mm512_store_ps(zv, b.zero);
    for (int j = 0; j < 16; ++j) out[i + j] = BlockParams{sv[j], iv[j], zv[j]};
  }
  block_params_many(p, lo_in + i, hi_in + i, count - i, out + i);
}

template <bool kStream>
void quantize_codes_as(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *b, uint8_t *codes) {
  const __m512 inv = _mm512_set1_ps(b->inv), zero = _mm512_set1_ps(b->zero);
  if (__builtin_fabsf(b->inv) <= FLT_MAX) codes_run<true, false, kStream>(x, n, p->qtype, inv, zero, CodeRange(*p), nullptr, codes);
  else codes_run<false, false, kStream>(x, n, p->qtype, inv, zero, CodeRange(*p), nullptr, codes);
}
void quantize_codes16(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *b, uint8_t *codes, bool stream) {
  if (stream) quantize_codes_as<true>(x, n, p, b, codes);
  else quantize_codes_as<false>(x, n, p, b, codes);
}

// One block's codes (a byte each, or kPacked: I4 / U4 two a byte) under one block's parameters
// (dequant_avx512.h's decoders and puts).
template <bool kPacked>
struct DequantizeRun {
  template <class Put, bool kStream>
  static void run(const uint8_t *codes, int64_t n, lb_dtype qtype, const BlockParams *b, void *y) {
    dequantize_run<Put, kStream, kPacked>(qtype, _mm512_set1_ps(b->scale), _mm512_set1_ps(b->zero), codes, n, y, 0);
  }
};
void dequantize_codes16(const uint8_t *codes, int64_t n, lb_dtype qtype, const BlockParams *b, void *y, lb_dtype y_dtype, bool stream) {
  with_put<DequantizeRun<false>>(y_dtype, stream, codes, n, qtype, b, y);
}

// 128 (then 64, 32) values -> 64 (32, 16) packed bytes per step, codes never leave registers; the tail goes
// through the generic path (kernels.inc). kStream: each 128 values' line non-temporal (packed128).
template <bool kStream>
void quantize_packed_as(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *b, uint8_t *packed) {
  const CodeRange range(*p);
  const __m512 inv = _mm512_set1_ps(b->inv), zero = _mm512_set1_ps(b->zero);
  int64_t i = 0;
  for (; i + 128 <= n; i += 128) packed128<kStream>(x + i, p->qtype, inv, zero, range, packed + i / 2);
  for (; i + 64 <= n; i += 64) packed64(x + i, p->qtype, inv, zero, range, packed + i / 2);
  for (; i + 32 <= n; i += 32) packed32(x + i, p->qtype, inv, zero, range, packed + i / 2);
  if (i < n) quantize_packed(x + i, n - i, p, b, packed + i / 2, false);
}
void quantize_packed32(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *b, uint8_t *packed, bool stream) {
  if (stream) quantize_packed_as<true>(x, n, p, b, packed);
  else quantize_packed_as<false>(x, n, p, b, packed);
}

void dequantize_packed16(const uint8_t *packed, int64_t n, lb_dtype qtype, const BlockParams *b, void *y, lb_dtype y_dtype, bool stream) {
  with_put<DequantizeRun<true>>(y_dtype, stream, packed, n, qtype, b, y);
}

// 64 codes -> 32 bytes: as 16-bit lanes a pair is lo | hi << 8; fold hi down to bits 4..7, narrow.
void pack_nibbles64(const uint8_t *codes, int64_t n, uint8_t *packed) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i w = _mm512_loadu_si512(codes + i);
    const __m512i r = _mm512_or_si512(_mm512_and_si512(w, _mm512_set1_epi16(0x000f)),
                                      _mm512_and_si512(_mm512_srli_epi16(w, 4), _mm512_set1_epi16(0x00f0)));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(packed + i / 2), _mm512_cvtepi16_epi8(r));
  }
  pack_nibbles(codes + i, n - i, packed + i / 2);
}

// 32 bytes -> 64 codes: widen each byte to a 16-bit lane, move the high nibble to the high byte.
void unpack_nibbles64(const uint8_t *packed, int64_t n, uint8_t *codes) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i w = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(packed + i / 2)));
    const __m512i r = _mm512_or_si512(_mm512_and_si512(w, _mm512_set1_epi16(0x000f)),
                                      _mm512_slli_epi16(_mm512_and_si512(w, _mm512_set1_epi16(0x00f0)), 4));
    _mm512_storeu_si512(codes + i, r);
  }
  unpack_nibbles(packed + i / 2, n - i, codes + i);
}

}  // namespace

QuantRowKernels quant_row_kernels_avx512() {
  QuantRowKernels k = row_kernels();
  k.minmax = minmax16;
  k.block_params_many = block_params16;
  k.quantize_codes = quantize_codes16;
  k.dequantize_codes = dequantize_codes16;
  k.quantize_packed = quantize_packed32;
  k.dequantize_packed = dequantize_packed16;
  k.pack_nibbles = pack_nibbles64;
  k.unpack_nibbles = unpack_nibbles64;
  k.quantize_groups = quantize_groups_avx512;
  k.dequantize_groups = dequantize_groups_avx512;
  k.narrows = 1u << LB_DTYPE_F16 | 1u << LB_DTYPE_BF16;
  k.ranges_groups = ranges_groups_avx512;
  k.clip_errors = clip_errors_avx512;
  k.code_widen = code_widen_avx512;
  return k;
}

}  // namespace lb::cpu
