// The quantization formats of lowbit.h (lb_quantize / lb_dequantize), element by element:
// block scale and zero point from a block's range, quantize and dequantize one value, and the
// MSE clip search. Every backend calls these, in the same order, so CPU and CUDA agree bit for
// bit; the kernels only decide how elements are scheduled.
#pragma once
#include "fp8.h"
#include "lowbit.h"

namespace lb {

// Everything a kernel needs to quantize one block.
struct BlockParams {
  float scale;  // as stored (already rounded to the scale dtype)
  float inv;    // 1 / scale, or 0 for a zero scale
  float zero;   // U4 only: integer-valued for U4 zeros, any value for F16 zeros
};

LB_HD float round_to_dtype(float v, lb_dtype t) {
  if (t == LB_DTYPE_F16) return f16_bits_to_f32(f32_to_f16_bits(v));
  if (t == LB_DTYPE_BF16) return bf16_bits_to_f32(f32_to_bf16_bits(v));
  return v;
}

// Smallest power of two >= s (s finite, >= 0).
LB_HD float pow2_ceil(float s) {
  uint32_t u = float_bits(s);
  if (u == 0 || u >= kF32Inf) return s;
  uint32_t e = u >> 23, m = u & 0x7fffffu;
  if (e == 0) {  // subnormal: the next power of two above the highest set bit
    uint32_t p = 1;
    while (p < m) p <<= 1;
    return bits_float(p >= 0x800000u ? 0x800000u : p);
  }
  return bits_float(m == 0 ? (e << 23) : ((e + 1) << 23));
}

LB_HD float qmax_of(lb_dtype qtype) {
  switch (qtype) {
    case LB_DTYPE_I8: return 127.0f;
    case LB_DTYPE_I4: return 7.0f;
    case LB_DTYPE_U4: return 15.0f;
    case LB_DTYPE_FP8_E4M3: return 448.0f;
    default: return 57344.0f;  // FP8_E5M2
  }
}

// Scale (and zero) of a block whose values lie in [lo, hi] (lo <= 0 <= hi), clipped by `clip`.
LB_HD BlockParams block_params(const lb_quant_params &p, float lo, float hi, float clip) {
  // + 0: a -0.0 bound becomes +0.0, whichever sign of zero a backend's min/max kept.
  lo = add_rn(mul_rn(lo, clip), 0.0f);
  hi = add_rn(mul_rn(hi, clip), 0.0f);
  const float amax = -lo > hi ? -lo : hi;
  float s;
  if (p.qtype == LB_DTYPE_U4) {
    s = div_rn(add_rn(hi, -lo), 15.0f);
  } else if (p.qtype == LB_DTYPE_I4 && !(p.flags & LB_QUANT_RESTRICT_RANGE)) {
    const float a = div_rn(hi, 7.0f), b = div_rn(-lo, 8.0f);
    s = a > b ? a : b;
  } else {
    s = div_rn(amax, qmax_of(p.qtype));
  }
  if (p.flags & LB_QUANT_POW2_SCALE) s = pow2_ceil(s);
  s = round_to_dtype(s, p.scale_dtype);
  BlockParams b;
  b.scale = s;
  b.inv = s == 0.0f ? 0.0f : div_rn(1.0f, s);
  b.zero = 0.0f;
  if (p.qtype == LB_DTYPE_U4) {
    const float z = mul_rn(-lo, b.inv);
    if (p.zero_dtype == LB_DTYPE_U4) {
      const float r = rint_even(z);
      b.zero = r < 0.0f ? 0.0f : (r > 15.0f ? 15.0f : r);
    } else {
      b.zero = round_to_dtype(z, LB_DTYPE_F16);
    }
  }
  return b;
}

// Formats whose block parameters depend only on the largest |value| (block_params: max(-lo, hi)),
// so that a range [-amax, amax] gives the same parameters as the true one: I8, fp8, I4 clipped to
// -7..7. Their kernels may range a block by magnitude: the largest of its values' bits without the
// sign (magnitude_bits, from 0), one integer max a value, since |v| orders as those bits — and NaN
// and Inf order above every finite magnitude, so the same max finds them (magnitude_finite).
LB_HD bool symmetric_range(const lb_quant_params &p) {
  return p.qtype == LB_DTYPE_I8 || p.qtype == LB_DTYPE_FP8_E4M3 || p.qtype == LB_DTYPE_FP8_E5M2 ||
         (p.qtype == LB_DTYPE_I4 && (p.flags & LB_QUANT_RESTRICT_RANGE));
}
LB_HD uint32_t magnitude_bits(float v) { return float_bits(v) & kF32AbsMask; }
LB_HD bool magnitude_finite(uint32_t m) { return m < kF32Inf; }

// Any format's range [min(x, 0), max(x, 0)] in integer operations, for kernels that are issue-bound:
// the largest of the values' bits as signed integers is the largest positive value's (a negative
// value's bits are a negative integer; from 0, so no positive value leaves +0), and the largest as
// unsigned integers the most negative value's, if there is one (a negative float's bits order by
// magnitude, above every positive float's). Two integer maxes a value where two float compares and
// selects and the finiteness test take about five; NaN and Inf of either sign order above every
// finite value of their sign, so bits_range_finite finds them. -0 may come back as lo: block_params
// adds +0 to its bounds.
struct BitsRange {
  int32_t hi = 0;   // the largest positive value's bits (0: none)
  uint32_t lo = 0;  // the most negative value's bits, if its sign bit is set
};
LB_HD void bits_range_widen(BitsRange &r, float v) {
  const uint32_t u = float_bits(v);
  r.hi = static_cast<int32_t>(u) > r.hi ? static_cast<int32_t>(u) : r.hi;
  r.lo = u > r.lo ? u : r.lo;
}
LB_HD void bits_range_merge(BitsRange &r, const BitsRange &o) {
  r.hi = o.hi > r.hi ? o.hi : r.hi;
  r.lo = o.lo > r.lo ? o.lo : r.lo;
}
LB_HD bool bits_range_finite(const BitsRange &r) {
  return r.hi < static_cast<int32_t>(kF32Inf) && r.lo < (kF32SignMask | kF32Inf);
}
LB_HD float bits_range_lo(const BitsRange &r) { return (r.lo & kF32SignMask) ? bits_float(r.lo) : 0.0f; }
LB_HD float bits_range_hi(const BitsRange &r) { return bits_float(static_cast<uint32_t>(r.hi)); }

// The clamp range of an integer qtype's codes (before U4's zero point is added, after it for U4):
// I8 -127..127, I4 -8..7 (-7..7 with LB_QUANT_RESTRICT_RANGE), U4 0..15. The SIMD quantizers clamp to it too.
struct CodeBounds {
  float low, high;
};
LB_HD CodeBounds code_bounds(lb_dtype qtype, bool restrict_range) {
  if (qtype == LB_DTYPE_U4) return {0.0f, 15.0f};
  const float lim = qtype == LB_DTYPE_I8 ? 127.0f : 7.0f;
  return {qtype == LB_DTYPE_I8 || restrict_range ? -lim : -8.0f, lim};
}

// One value -> its code: an int8 / int4 value (as int) or an fp8 byte.
LB_HD int32_t quantize_value(float x, lb_dtype qtype, const BlockParams &b, bool restrict_range) {
  switch (qtype) {
    case LB_DTYPE_FP8_E4M3: return f32_to_e4m3(mul_rn(x, b.inv), true);
    case LB_DTYPE_FP8_E5M2: return f32_to_e5m2(mul_rn(x, b.inv), true);
    default: {
      const float t = mul_rn(x, b.inv);
      const float v = rint_even(qtype == LB_DTYPE_U4 ? add_rn(t, b.zero) : t);
      const CodeBounds c = code_bounds(qtype, restrict_range);
      return static_cast<int32_t>(v < c.low ? c.low : (v > c.high ? c.high : v));
    }
  }
}

// Whether every value of a block whose range is [lo, hi] (0 inside) codes inside the code range before
// quantize_value's clamp, so that a kernel may skip it: the code is rint(x * inv (+ zero)), monotonic in x
// (inv >= 0), so the two ends decide. False for fp8, NaN / Inf ends and infinite inverses. The AVX-512
// grouped kernel's clamp_free16 (quant/lanes_avx512.h) is the same test on 16 blocks at once.
LB_HD bool codes_clamp_free(lb_dtype qtype, bool restrict_range, float lo, float hi, const BlockParams &b) {
  if (qtype != LB_DTYPE_I8 && qtype != LB_DTYPE_I4 && qtype != LB_DTYPE_U4) return false;
  float t_lo = mul_rn(lo, b.inv), t_hi = mul_rn(hi, b.inv);
  if (qtype == LB_DTYPE_U4) {
    t_lo = add_rn(t_lo, b.zero);
    t_hi = add_rn(t_hi, b.zero);
  }
  const CodeBounds c = code_bounds(qtype, restrict_range);
  return rint_even(t_lo) >= c.low && rint_even(t_hi) <= c.high;
}

LB_HD float dequantize_value(int32_t q, lb_dtype qtype, const BlockParams &b) {
  switch (qtype) {
    case LB_DTYPE_FP8_E4M3: return mul_rn(e4m3_to_f32(static_cast<uint8_t>(q)), b.scale);
    case LB_DTYPE_FP8_E5M2: return mul_rn(e5m2_to_f32(static_cast<uint8_t>(q)), b.scale);
    case LB_DTYPE_U4: return mul_rn(add_rn(static_cast<float>(q), -b.zero), b.scale);
    default: return mul_rn(static_cast<float>(q), b.scale);
  }
}

// Nibble codes: I4 stores two's complement, U4 plain.
LB_HD uint32_t nibble_of(int32_t q) { return static_cast<uint32_t>(q) & 0xfu; }
LB_HD int32_t value_of_nibble(uint32_t nib, lb_dtype qtype) {
  return qtype == LB_DTYPE_I4 ? static_cast<int32_t>(nib ^ 8u) - 8 : static_cast<int32_t>(nib);
}

constexpr int kMseSteps = 21;  // clip ratios 1, 0.975, ..., 0.5

LB_HD float mse_clip_ratio(int i) { return add_rn(1.0f, -mul_rn(static_cast<float>(i), 0.025f)); }

// Squared reconstruction error of one value under block parameters b (summed by the caller in
// a fixed order: row-major within the block).
LB_HD float squared_error(float x, lb_dtype qtype, const BlockParams &b, bool restrict_range) {
  const float d = add_rn(x, -dequantize_value(quantize_value(x, qtype, b, restrict_range), qtype, b));
  return mul_rn(d, d);
}

// Scale bits as stored in the scale tensor, and back.
LB_HD uint32_t scale_store_bits(float s, lb_dtype t) {
  if (t == LB_DTYPE_F16) return f32_to_f16_bits(s);
  if (t == LB_DTYPE_BF16) return f32_to_bf16_bits(s);
  return float_bits(s);
}

LB_HD float load_scale(const void *scales, int64_t i, lb_dtype t) {
  if (t == LB_DTYPE_F16) return f16_bits_to_f32(static_cast<const uint16_t *>(scales)[i]);
  if (t == LB_DTYPE_BF16) return bf16_bits_to_f32(static_cast<const uint16_t *>(scales)[i]);
  return static_cast<const float *>(scales)[i];
}

// Zero point of block (rb, cb) in a grid of `grid_cols` columns (U4: packed, rows padded to bytes).
LB_HD float load_zero(const void *zeros, int64_t rb, int64_t cb, int64_t grid_cols, lb_dtype zero_dtype) {
  if (zero_dtype == LB_DTYPE_F16) return f16_bits_to_f32(static_cast<const uint16_t *>(zeros)[rb * grid_cols + cb]);
  const uint8_t byte = static_cast<const uint8_t *>(zeros)[rb * ((grid_cols + 1) / 2) + cb / 2];
  return static_cast<float>((cb & 1) ? (byte >> 4) : (byte & 0xfu));
}

LB_HD BlockParams stored_params(const lb_quant_params &p, const void *scales, const void *zeros, int64_t rb, int64_t cb,
                                int64_t grid_cols) {
  BlockParams b;
  b.scale = load_scale(scales, rb * grid_cols + cb, p.scale_dtype);
  b.inv = b.scale == 0.0f ? 0.0f : div_rn(1.0f, b.scale);
  b.zero = p.qtype == LB_DTYPE_U4 ? load_zero(zeros, rb, cb, grid_cols, p.zero_dtype) : 0.0f;
  return b;
}

}  // namespace lb
