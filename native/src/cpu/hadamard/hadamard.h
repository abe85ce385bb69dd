// CPU backend of the hadamard family. One row kernel per ISA and (x dtype, y dtype) pair does the
// whole transform of a row while it is in cache: widen + signs fused into the first pass, the
// 2^k stages, the m-part, and scale + signs + narrowing fused into the last pass. dispatch.cpp
// spreads rows over the pool and hands rotated rows to the quant family for the fused
// rotate+quantize.
#pragma once
#include <stdint.h>

#include <type_traits>  // kernels.inc (included inside a namespace) uses it

#include "lowbit.h"

namespace lb::cpu {

// The m-part takes this many vectors of positions at a time (kernels.inc, mix_g).
constexpr int64_t kMixBlock = 4;

// The cores of orders 12, 20 and 28 (core/hadamard_orders.cpp: Paley I, q = 11, 19, 27) as
// compile-time sign masks, bit j of row a set where core[a][j] is -1. For these orders
// kernels.inc's mix_fixed unrolls the m-part over them: every term is then one add or sub of
// registers, with no combo table in memory. The ctest hadamard_fixed_cores checks them against
// the construction.
template <int M>
struct FixedCore;
template <>
struct FixedCore<12> {
  static constexpr uint32_t rows[12] = {0x000, 0xb89, 0x713, 0xe25, 0xc4b, 0x897, 0x12f, 0x25d, 0x4b9, 0x971, 0x2e3, 0x5c5};
};
template <>
struct FixedCore<20> {
  static constexpr uint32_t rows[20] = {0x00000, 0x9ea19, 0x3d433, 0x7a865, 0xf50c9, 0xea193, 0xd4327, 0xa864f, 0x50c9f, 0xa193d,
                                        0x4327b, 0x864f5, 0x0c9eb, 0x193d5, 0x327a9, 0x64f51, 0xc9ea1, 0x93d43, 0x27a87, 0x4f50d};
};
template <>
struct FixedCore<28> {
  static constexpr uint32_t rows[28] = {0x0000000, 0xb5c8879, 0x6f13073, 0xdaa4475, 0xaec53c1, 0x7998791, 0xd722ba1,
                                        0x76a920f, 0xcdc248f, 0xbb1490f, 0x910f2d7, 0x260e5bd, 0x488eb6b, 0x8a782bb,
                                        0x30f21e7, 0x457435d, 0x5241ddb, 0x8491f37, 0x2921eed, 0x1e5ae45, 0x1cb7899,
                                        0x1d6d523, 0xf057629, 0xe43ccc3, 0xe86b915, 0x83bb549, 0x23e6e13, 0x43dd8a5};
};
// Whether core[a][j] (kT: of the transposed core) is -1.
template <int M, bool kT>
constexpr bool fixed_core_negative(int a, int j) {
  return ((kT ? FixedCore<M>::rows[j] >> a : FixedCore<M>::rows[a] >> j) & 1u) != 0;
}

struct HadamardMixTerm {
  int32_t combo;
  float sign;
};

// What a final pass stored: min(0, values), max(0, values), and whether all were finite.
struct HadamardRange {
  float lo, hi;
  bool finite;
};

// One row's transform: y = epilogue(H (prologue(x))) with n = m * c, c = 2^k.
struct HadamardRow {
  const void *x;
  lb_dtype x_dtype;
  void *y;  // may be x (in place, same dtype) or buf2 / buf (the fused quantize reads it)
  lb_dtype y_dtype;
  float *buf;   // n floats: the row between passes
  float *buf2;  // n floats: the m-part's output in the narrow-chunk path (c < lanes)
  int64_t n, m, c;
  const float *core;  // m x m of +-1 (transposed for the inverse); unused when m == 1
  bool core_transposed;
  // The m-part in groups of four inputs (see kernels.inc): term a * m/4 + g of output a is
  // sign * combos[combo], combo = 8 g + bits 2..0 (the signs of core[a][4g+1..3] relative to
  // core[a][4g], 1 = opposite), sign = core[a][4g]. Built once per call, so the inner loop does no
  // bit decoding.
  const HadamardMixTerm *mix_terms;
  float *combos;  // 8 * m/4 * kMixBlock vectors of up to 16 floats: the signed sums of each group
  float scale;        // applied when != 1
  bool flip_in, flip_out;  // random signs before (forward) / after (inverse) the transform
  const uint64_t *signs;   // the signs of elements 64w .. 64w + 63 in word w (common/hadamard.h)
  // Not null (F32 y only): the final pass also records the range of what it stores, so the fused
  // per-row quantize needs no range pass of its own (the same numbers: min and max are exact).
  HadamardRange *range;
  // Write y with non-temporal stores (y rows 64-byte aligned; the caller fences). For outputs far
  // larger than the caches: no read-for-ownership of y, so the traffic is that of a copy.
  bool stream_out;
};

using HadamardRowFn = void (*)(const HadamardRow &row);

// x_dtype and y_dtype are F32, F16 or BF16.
HadamardRowFn hadamard_row_kernel_scalar(lb_dtype x_dtype, lb_dtype y_dtype);
HadamardRowFn hadamard_row_kernel_avx2(lb_dtype x_dtype, lb_dtype y_dtype);
HadamardRowFn hadamard_row_kernel_avx512(lb_dtype x_dtype, lb_dtype y_dtype);

// Validation is the C ABI layer's job (api/hadamard.cpp); these assume valid arguments.
lb_status hadamard_transform(const lb_hadamard_params &p, const void *x, lb_dtype x_dtype, void *y, lb_dtype y_dtype,
                             int64_t rows);
lb_status hadamard_quantize(const lb_hadamard_params &p, const lb_quant_params &quant, const void *x, lb_dtype x_dtype,
                            int64_t rows, void *q, void *scales, void *zeros);

}  // namespace lb::cpu
