// lb_hadamard_*: checks the parameters, then runs the CPU or the CUDA backend.
#include <string>

#include "../common/hadamard.h"
#include "../core/error.h"
#include "../core/hadamard_orders.h"
#include "../cpu/hadamard/hadamard.h"
#include "build_config.h"
#include "checks.h"
#if LOWBIT_WITH_CUDA
#  include "../cuda/hadamard/hadamard.cuh"
#  include "../cuda/runtime/runtime.h"
#endif

namespace {

constexpr int kMaxCpuLog2 = 26;      // rows up to 2^26 elements (256 MiB of f32 scratch per thread)
constexpr int64_t kMaxCudaN = 32768;  // one row per thread block, in shared memory
constexpr int64_t kMaxMatrixN = 8192;

// n = m * 2^k with a core lowbit has; else LB_ERR_UNSUPPORTED naming what is supported.
lb_status factor(const char *fn, int64_t n, int64_t *m, int *k) {
  if (n <= (int64_t{1} << kMaxCpuLog2) && lb::hadamard_split(n, m, k) && lb::hadamard_core(*m)) return LB_OK;
  std::string why;
  if (n < 1) {
    why = "n must be >= 1";
  } else {
    int64_t odd = n;
    int e = 0;
    while ((odd & 1) == 0) {
      odd >>= 1;
      ++e;
    }
    why = "n = " + std::to_string(odd) + " * 2^" + std::to_string(e) + "; ";
    if (n > (int64_t{1} << kMaxCpuLog2)) why += "rows are limited to 2^" + std::to_string(kMaxCpuLog2) + " elements";
    else if (e < 2) why += "a Hadamard order other than 1 and 2 is a multiple of 4";
    else if (odd * 4 > lb::kMaxHadamardCore) why += "the core order m = " + std::to_string(odd * 4) + " is above 256";
    else why += "lowbit has no Hadamard matrix of order m = " + std::to_string(odd * 4);
  }
  return lb::fail(LB_ERR_UNSUPPORTED, "%s: no Hadamard transform of size %lld (%s). Supported: n <= 2^%d, n = 2^k or m * 2^k with m in {%s}",
                  fn, (long long)n, why.c_str(), kMaxCpuLog2, lb::hadamard_core_list());
}

lb_status check_params(const char *fn, const lb_hadamard_params *p, int32_t device) {
  if (!p) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: params is NULL", fn);
  if (p->flags & ~(LB_HADAMARD_NORMALIZE | LB_HADAMARD_RANDOM_SIGNS | LB_HADAMARD_INVERSE))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: unknown flags 0x%x", fn, p->flags);
  int64_t m;
  int k;
  if (lb_status st = factor(fn, p->n, &m, &k)) return st;
  if (device != LB_DEVICE_CPU && p->n > kMaxCudaN)
    return lb::fail(LB_ERR_UNSUPPORTED, "%s: n = %lld is above the CUDA limit of %lld (one row per thread block)", fn,
                    (long long)p->n, (long long)kMaxCudaN);
  return LB_OK;
}

lb_status check_rows(const char *fn, int64_t rows, const void *x, lb_dtype x_dtype) {
  if (rows <= 0) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: rows must be > 0, got %lld", fn, (long long)rows);
  if (!x) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: x is NULL", fn);
  if (!lb::is_float_dtype(x_dtype))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: x_dtype must be F32, F16 or BF16, got %s", fn, lb::dtype_name(x_dtype));
  return LB_OK;
}

}  // namespace

extern "C" {

LB_API lb_status lb_hadamard_factor(int64_t n, int64_t *m, int32_t *k) {
  return lb::guard("lb_hadamard_factor", [&] {
    if (!m || !k) return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_hadamard_factor: m and k must not be NULL");
    int kk = 0;
    if (lb_status st = factor("lb_hadamard_factor", n, m, &kk)) return st;
    *k = kk;
    return LB_OK;
  });
}

LB_API const char *lb_hadamard_orders(void) { return lb::hadamard_core_list(); }

LB_API lb_status lb_hadamard_matrix(int64_t n, int8_t *out) {
  static const char *fn = "lb_hadamard_matrix";
  return lb::guard(fn, [&] {
    int64_t m;
    int k;
    if (lb_status st = factor(fn, n, &m, &k)) return st;
    if (n > kMaxMatrixN) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: n = %lld is above %lld", fn, (long long)n, (long long)kMaxMatrixN);
    if (!out) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: out is NULL", fn);
    const int8_t *core = lb::hadamard_core(m);
    const int64_t c = n / m;
    // (H_m (x) H_c)[a c + b][a' c + b'] = H_m[a][a'] * (-1)^popcount(b & b')
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) {
        const int syl = (__builtin_popcountll(static_cast<uint64_t>((i % c) & (j % c))) & 1) ? -1 : 1;
        out[i * n + j] = static_cast<int8_t>(core[(i / c) * m + j / c] * syl);
      }
    return LB_OK;
  });
}

LB_API lb_status lb_hadamard_transform(int32_t device, lb_stream stream, const lb_hadamard_params *params,
                                       const void *x, lb_dtype x_dtype, void *y, lb_dtype y_dtype, int64_t rows) {
  static const char *fn = "lb_hadamard_transform";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (lb_status st = check_params(fn, params, device)) return st;
  if (lb_status st = check_rows(fn, rows, x, x_dtype)) return st;
  if (!y) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: y is NULL", fn);
  if (!lb::is_float_dtype(y_dtype))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: y_dtype must be F32, F16 or BF16, got %s", fn, lb::dtype_name(y_dtype));
  const int64_t count = rows * params->n;
  if (lb_status st = lb::check_overlap(fn, x, lb::dtype_bytes(x_dtype, count), y, lb::dtype_bytes(y_dtype, count), true))
    return st;
  if (device == LB_DEVICE_CPU)
    return lb::guard(fn, [&] { return lb::cpu::hadamard_transform(*params, x, x_dtype, y, y_dtype, rows); });
#if LOWBIT_WITH_CUDA
  cudaStream_t s;
  if (lb_status st = lb::cuda::use_device(fn, device, stream, &s)) return st;
  return lb::guard(fn, [&] { return lb::cuda::hadamard_transform(*params, x, x_dtype, y, y_dtype, rows, stream, s); });
#else
  return lb::fail(LB_ERR_NO_CUDA, "%s: CUDA device %d requested, but %s", fn, device, lb_cuda_status());
#endif
}

LB_API lb_status lb_hadamard_quantize(int32_t device, lb_stream stream, const lb_hadamard_params *params,
                                      const lb_quant_params *quant, const void *x, lb_dtype x_dtype, int64_t rows,
                                      void *q, void *scales, void *zeros) {
  static const char *fn = "lb_hadamard_quantize";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (lb_status st = check_params(fn, params, device)) return st;
  if (lb_status st = check_rows(fn, rows, x, x_dtype)) return st;
  if (lb_status st = lb::check_quant_params(fn, quant, x_dtype, "x_dtype", rows, params->n, x, q, scales, zeros)) return st;
  if (quant->block_rows != 1)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: quantization blocks must lie within a row (block_rows 1), got block_rows %lld", fn,
                    (long long)quant->block_rows);
  if (device == LB_DEVICE_CPU)
    return lb::guard(fn, [&] { return lb::cpu::hadamard_quantize(*params, *quant, x, x_dtype, rows, q, scales, zeros); });
#if LOWBIT_WITH_CUDA
  cudaStream_t s;
  if (lb_status st = lb::cuda::use_device(fn, device, stream, &s)) return st;
  return lb::guard(fn, [&] { return lb::cuda::hadamard_quantize(*params, *quant, x, x_dtype, rows, q, scales, zeros, stream, s); });
#else
  return lb::fail(LB_ERR_NO_CUDA, "%s: CUDA device %d requested, but %s", fn, device, lb_cuda_status());
#endif
}

}  // extern "C"
