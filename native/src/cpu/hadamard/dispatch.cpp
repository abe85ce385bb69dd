// lb_hadamard_transform / lb_hadamard_quantize on the CPU: each row is widened to f32 in a
// per-thread buffer, transformed there (signs, 2^k stages per chunk, m-part, scale) while it is
// in cache, then narrowed to y or handed to the quant family's row quantizer. Rows are spread
// over the pool.
#include <cmath>
#include <cstring>
#include <vector>

#include "../../common/hadamard.h"
#include "../../core/cpu_features.h"
#include "../../core/hadamard_orders.h"
#include "../../core/thread_pool.h"
#include "../convert/convert.h"
#include "../quant/quant.h"
#include "hadamard.h"

namespace lb::cpu {
namespace {

HadamardKernels kernels() {
  switch (current_isa()) {
    case LB_ISA_AVX512: return hadamard_kernels_avx512();
    case LB_ISA_AVX2: return hadamard_kernels_avx2();
    default: return hadamard_kernels_scalar();
  }
}

int64_t elem_size(lb_dtype t) { return t == LB_DTYPE_F32 ? 4 : 2; }

// One transform, resolved: n = m * c (c = 2^k), the core (transposed for the inverse), scale.
struct Plan {
  int64_t n, m, c;
  const float *core;
  bool inverse, signs;
  uint64_t seed;
  float scale;
  HadamardKernels k;

  explicit Plan(const lb_hadamard_params &p) : n(p.n), seed(p.seed), k(kernels()) {
    int kk = 0;
    hadamard_split(n, &m, &kk);
    c = n / m;
    inverse = (p.flags & LB_HADAMARD_INVERSE) != 0;
    signs = (p.flags & LB_HADAMARD_RANDOM_SIGNS) != 0;
    core = m > 1 ? hadamard_core_f32(m, inverse) : nullptr;
    const bool normalize = (p.flags & LB_HADAMARD_NORMALIZE) != 0;
    scale = normalize ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(n)))
                      : (inverse ? static_cast<float>(1.0 / static_cast<double>(n)) : 1.0f);
  }

  // The transform of one row already widened into `a` (n floats); `b` is a second n-float
  // buffer for the m-part. Returns the buffer holding the result.
  float *run(float *a, float *b) const {
    if (signs && !inverse) k.flip(a, n, seed);
    k.fwht(a, c, m);
    float *out = a;
    if (m > 1) {
      k.mix(a, b, m, c, core);
      out = b;
    }
    if (scale != 1.0f) k.scale(out, n, scale);
    if (signs && inverse) k.flip(out, n, seed);
    return out;
  }

  // Rows per pool chunk: enough work (about 32 K elements) to amortise the hand-off.
  int64_t grain() const { return n >= (int64_t{1} << 15) ? 1 : (int64_t{1} << 15) / n; }
};

// Per-thread row buffers for one pool chunk.
struct RowBuffers {
  std::vector<float> a, b;
  explicit RowBuffers(const Plan &plan) : a(static_cast<size_t>(plan.n)), b(plan.m > 1 ? static_cast<size_t>(plan.n) : 0) {}
};

// Widens row r of x into buf.a and transforms it.
float *rotate_row(const Plan &plan, ConvertFn to_f32, const void *x, lb_dtype xt, int64_t r, RowBuffers &buf) {
  const char *src = static_cast<const char *>(x) + r * plan.n * elem_size(xt);
  if (xt == LB_DTYPE_F32) std::memcpy(buf.a.data(), src, static_cast<size_t>(plan.n) * sizeof(float));
  else to_f32(src, buf.a.data(), plan.n);
  return plan.run(buf.a.data(), buf.b.data());
}

}  // namespace

lb_status hadamard_transform(const lb_hadamard_params &p, const void *x, lb_dtype x_dtype, void *y, lb_dtype y_dtype,
                             int64_t rows) {
  const Plan plan(p);
  const ConvertFn to_f32 = convert_kernel(x_dtype, LB_DTYPE_F32), from_f32 = convert_kernel(LB_DTYPE_F32, y_dtype);
  parallel_for(rows, plan.grain(), [&](int64_t r0, int64_t r1) {
    RowBuffers buf(plan);
    for (int64_t r = r0; r < r1; ++r) {
      const float *out = rotate_row(plan, to_f32, x, x_dtype, r, buf);
      char *dst = static_cast<char *>(y) + r * plan.n * elem_size(y_dtype);
      if (y_dtype == LB_DTYPE_F32) std::memcpy(dst, out, static_cast<size_t>(plan.n) * sizeof(float));
      else from_f32(out, dst, plan.n);
    }
  });
  return LB_OK;
}

lb_status hadamard_quantize(const lb_hadamard_params &p, const lb_quant_params &quant, const void *x, lb_dtype x_dtype,
                            int64_t rows, void *q, void *scales, void *zeros) {
  const Plan plan(p);
  const ConvertFn to_f32 = convert_kernel(x_dtype, LB_DTYPE_F32);
  RowQuantizer rq(quant, plan.n, q, scales, zeros);
  parallel_for(rows, plan.grain(), [&](int64_t r0, int64_t r1) {
    RowBuffers buf(plan);
    RowQuantizer::Scratch s;
    for (int64_t r = r0; r < r1; ++r) rq.row(rotate_row(plan, to_f32, x, x_dtype, r, buf), r, s);
  });
  return rq.status("lb_hadamard_quantize");
}

}  // namespace lb::cpu
