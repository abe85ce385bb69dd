// CPU backend of the hadamard family. One row kernel per ISA and (x dtype, y dtype) pair does the
// whole transform of a row while it is in cache: widen + signs fused into the first pass, the
// 2^k stages, the m-part, and scale + signs + narrowing fused into the last pass. dispatch.cpp
// spreads rows over the pool and hands rotated rows to the quant family for the fused
// rotate+quantize.
#pragma once
#include <stdint.h>

#include <type_traits>  // kernels.inc (included inside a namespace) uses it

#include "../../common/hadamard_cores.h"
#include "lowbit.h"

namespace lb::cpu {

// The m-part takes this many vectors of positions at a time (kernels.inc, mix_g).
constexpr int64_t kMixBlock = 4;

struct HadamardMixTerm {
  int32_t combo;
  float sign;
};

// What a final pass stored: min(0, values), max(0, values), and whether all were finite.
struct HadamardRange {
  float lo, hi;
  bool finite;
};

// The next row of x, prefetched into L2 a little with every vector a pass stores (kernels.inc,
// Ahead), so that memory reads go on while the row's in-cache passes compute.
struct HadamardAhead {
  const char *next;    // the next row's x
  int64_t per_store;   // bytes of it due per vector stored: the row's bytes / (its passes * vectors)
  int64_t issued, due;
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
  // bit decoding. Unused (and not built) where the kernel has the core as a compile-time table
  // (dispatch.cpp, fixed_core_kernel).
  const HadamardMixTerm *mix_terms;
  float *combos;  // 8 * m/4 * kMixBlock vectors of up to 16 floats: the signed sums of each group (as mix_terms)
  float scale;        // applied when != 1
  bool flip_in, flip_out;  // random signs before (forward) / after (inverse) the transform
  const uint64_t *signs;   // the signs of elements 64w .. 64w + 63 in word w (common/hadamard.h)
  // Not null (F32 y only): the final pass also records the range of what it stores, so the fused
  // per-row quantize needs no range pass of its own (the same numbers: min and max are exact).
  HadamardRange *range;
  // Write y with non-temporal stores (y rows 64-byte aligned; the caller fences). For outputs far
  // larger than the caches: no read-for-ownership of y, so the traffic is that of a copy.
  bool stream_out;
  // Set by a final pass whose fast narrowing was inexact (kernels.inc, run_pass); per-thread.
  bool *redo;
  // Not null: the next row's prefetch cursor (row() sets it up; shared by the row's passes).
  HadamardAhead *ahead;
  // Streamed outputs narrower per vector than a cache line: the row's narrowed values between the
  // final pass and the streaming copy to y (kernels.inc, Write::kStaged); n elements of y's dtype.
  void *stage;
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
