// lb_w8a8_*, lb_w4a4_*, lb_fp8_*, lb_w4a16_* and lb_w4a8_gemm: check the arguments, then run the CPU
// backend or the CUDA one.
#include "../core/error.h"
#include "../cpu/gemm/fp8.h"
#include "../cpu/gemm/w4a16.h"
#include "../cpu/gemm/w4a4.h"
#include "../cpu/gemm/w4a8.h"
#include "../cpu/gemm/w8a8.h"
#include "../cuda/gemm/gemm.cuh"
#include "checks.h"
#include "cuda_call.h"

namespace {

constexpr int64_t kMaxK = 65536;  // 255 * 128 * k stays below 2^31

lb_status check_nk(const char *fn, int64_t n, int64_t k) {
  if (n <= 0 || k <= 0) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: n and k must be > 0, got n = %lld, k = %lld", fn, (long long)n, (long long)k);
  if (k > kMaxK)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: k = %lld is above %lld (int32 accumulators could overflow)", fn, (long long)k,
                    (long long)kMaxK);
  return LB_OK;
}

bool is_fp8(lb_dtype t) { return t == LB_DTYPE_FP8_E4M3 || t == LB_DTYPE_FP8_E5M2; }

lb_status check_fp8_nk(const char *fn, int64_t n, int64_t k) {
  if (n <= 0 || k <= 0 || n > (int64_t{1} << 40) / k)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: needs n > 0, k > 0 and n * k <= 2^40, got n = %lld, k = %lld", fn, (long long)n,
                    (long long)k);
  return LB_OK;
}

bool w4a16_shape_ok(int64_t n, int64_t k, int64_t group) {
  return n > 0 && k > 0 && k % 2 == 0 && group > 0 && group % 2 == 0 && k % group == 0 && n <= (int64_t{1} << 40) / k;
}

lb_status check_w4a16_shape(const char *fn, int64_t n, int64_t k, int64_t group) {
  if (w4a16_shape_ok(n, k, group)) return LB_OK;
  return lb::fail(LB_ERR_INVALID_ARGUMENT,
                  "%s: needs n > 0, k > 0 and even, and an even group size dividing k; got n = %lld, k = %lld, group = %lld", fn,
                  (long long)n, (long long)k, (long long)group);
}

// The part of lb_*_prepack after the shape checks: both pointers, the packed buffer's size (`need`,
// from the function named `size_fn`), no overlap with B (`b_bytes`).
lb_status check_prepack(const char *fn, const char *size_fn, const void *b, int64_t b_bytes, const void *packed, int64_t packed_bytes,
                        int64_t need) {
  if (!b || !packed) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: b and packed must not be NULL", fn);
  if (packed_bytes < need)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: packed has %lld bytes, needs %lld (%s)", fn, (long long)packed_bytes,
                    (long long)need, size_fn);
  return lb::check_overlap(fn, b, b_bytes, packed, need, false);
}

// check_prepack, then pack on the CPU (`cpu()`), or for a CUDA device through the backend's
// prepack (`cuda(stream)`, staged through host memory).
template <class CpuPack, class CudaPack>
lb_status prepack_on(const char *fn, const char *size_fn, int32_t device, const void *b, int64_t b_bytes, void *packed,
                     int64_t packed_bytes, int64_t need, CpuPack cpu, CudaPack cuda) {
  if (lb_status st = check_prepack(fn, size_fn, b, b_bytes, packed, packed_bytes, need)) return st;
  if (device != LB_DEVICE_CPU) return lb::on_cuda(fn, device, nullptr, cuda);
  return lb::guard(fn, [&] {
    cpu();
    return LB_OK;
  });
}

// Rows of A: at least one, and A small enough that its byte offsets fit comfortably.
lb_status check_m(const char *fn, int64_t m, int64_t k) {
  if (m <= 0 || m > (int64_t{1} << 40) / k)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: m must be > 0 with m * k <= 2^40, got m = %lld", fn, (long long)m);
  return LB_OK;
}

// The checks lb_w8a8_gemm and lb_w4a4_gemm share (a_bytes: A's bytes; b_bytes: the packed size).
lb_status check_int_gemm(const char *fn, int32_t device, lb_stream stream, const void *a, int64_t a_bytes, const float *a_scales,
                         const void *b_packed, int64_t b_bytes, const float *b_scales, const void *d, lb_dtype d_dtype, int64_t m,
                         int64_t n, int64_t k) {
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (lb_status st = check_nk(fn, n, k)) return st;
  if (lb_status st = check_m(fn, m, k)) return st;
  if (d_dtype != LB_DTYPE_I32 && !lb::is_float_dtype(d_dtype))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: d_dtype must be I32, F32, F16 or BF16, got %s", fn, lb::dtype_name(d_dtype));
  if (!a || !b_packed || !d) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: a, b_packed and d must not be NULL", fn);
  if (d_dtype != LB_DTYPE_I32 && (!a_scales || !b_scales))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: a_scales and b_scales are needed for %s output", fn, lb::dtype_name(d_dtype));
  const int64_t d_bytes = lb::dtype_bytes(d_dtype, m * n);
  if (lb_status st = lb::check_overlap(fn, a, a_bytes, d, d_bytes, false)) return st;
  return lb::check_overlap(fn, b_packed, b_bytes, d, d_bytes, false);
}

// lb_cpu_*_peak: check the arguments, then measure.
lb_status peak_call(const char *fn, int32_t millis, double *rate, lb_status (*measure)(int32_t, double *)) {
  if (!rate) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: the result pointer is NULL", fn);
  if (millis <= 0 || millis > 60000) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: millis must be in 1..60000, got %d", fn, millis);
  return lb::guard(fn, [&] { return measure(millis, rate); });
}

}  // namespace

extern "C" {

LB_API int64_t lb_w8a8_packed_bytes(int64_t n, int64_t k) {
  if (n <= 0 || k <= 0 || k > kMaxK || n > (int64_t{1} << 40) / k) return -1;
  return lb::cpu::w8a8_packed_bytes(n, k);
}

LB_API lb_status lb_w8a8_prepack(int32_t device, const int8_t *b, int64_t n, int64_t k, void *packed, int64_t packed_bytes) {
  static const char *fn = "lb_w8a8_prepack";
  if (lb_status st = lb::check_device_arg(fn, device, nullptr)) return st;
  if (lb_status st = check_nk(fn, n, k)) return st;
  return prepack_on(fn, "lb_w8a8_packed_bytes", device, b, n * k, packed, packed_bytes, lb::cpu::w8a8_packed_bytes(n, k),
                    [&] { lb::cpu::w8a8_prepack(b, n, k, packed); },
                    [&](cudaStream_t s) { return lb::cuda::w8a8_prepack(b, n, k, packed, s); });
}

LB_API lb_status lb_w8a8_gemm(int32_t device, lb_stream stream, const int8_t *a, const float *a_scales,
                              const void *b_packed, const float *b_scales, const float *bias, void *d,
                              lb_dtype d_dtype, int64_t m, int64_t n, int64_t k) {
  static const char *fn = "lb_w8a8_gemm";
  if (lb_status st = check_int_gemm(fn, device, stream, a, m * k, a_scales, b_packed, lb::cpu::w8a8_packed_bytes(n, k), b_scales,
                                    d, d_dtype, m, n, k))
    return st;
  if (device != LB_DEVICE_CPU) {
    return lb::on_cuda(fn, device, stream, [&](cudaStream_t s) {
      return lb::cuda::w8a8_gemm(a, a_scales, b_packed, b_scales, bias, d, d_dtype, m, n, k, stream, s);
    });
  }
  return lb::guard(fn, [&] { return lb::cpu::w8a8_gemm(a, a_scales, b_packed, b_scales, bias, d, d_dtype, m, n, k); });
}

LB_API int64_t lb_w4a4_packed_bytes(int64_t n, int64_t k) {
  if (n <= 0 || k <= 0 || k % 2 || k > kMaxK || n > (int64_t{1} << 40) / k) return -1;
  return lb::cpu::w4a4_packed_bytes(n, k);
}

LB_API lb_status lb_w4a4_prepack(int32_t device, const uint8_t *b, int64_t n, int64_t k, void *packed, int64_t packed_bytes) {
  static const char *fn = "lb_w4a4_prepack";
  if (lb_status st = lb::check_device_arg(fn, device, nullptr)) return st;
  if (lb_status st = check_nk(fn, n, k)) return st;
  if (k % 2) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: k must be even (two I4 codes per byte), got %lld", fn, (long long)k);
  return prepack_on(fn, "lb_w4a4_packed_bytes", device, b, n * k / 2, packed, packed_bytes, lb::cpu::w4a4_packed_bytes(n, k),
                    [&] { lb::cpu::w4a4_prepack(b, n, k, packed); },
                    [&](cudaStream_t s) { return lb::cuda::w4a4_prepack(b, n, k, packed, s); });
}

LB_API lb_status lb_w4a4_gemm(int32_t device, lb_stream stream, const uint8_t *a, const float *a_scales, const void *b_packed,
                              const float *b_scales, const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n,
                              int64_t k) {
  static const char *fn = "lb_w4a4_gemm";
  if (k % 2 == 1) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: k must be even (two I4 codes per byte), got %lld", fn, (long long)k);
  if (lb_status st = check_int_gemm(fn, device, stream, a, m * k / 2, a_scales, b_packed, lb::cpu::w4a4_packed_bytes(n, k),
                                    b_scales, d, d_dtype, m, n, k))
    return st;
  if (device != LB_DEVICE_CPU)
    return lb::on_cuda(fn, device, stream, [&](cudaStream_t s) {
      return lb::cuda::w4a4_gemm(a, a_scales, b_packed, b_scales, bias, d, d_dtype, m, n, k, stream, s);
    });
  return lb::guard(fn, [&] { return lb::cpu::w4a4_gemm(a, a_scales, b_packed, b_scales, bias, d, d_dtype, m, n, k); });
}

LB_API int64_t lb_w4a16_packed_bytes(int64_t n, int64_t k, int64_t group) {
  return w4a16_shape_ok(n, k, group) ? lb::cpu::w4a16_packed_bytes(n, k, group) : -1;
}

LB_API lb_status lb_w4a16_prepack(int32_t device, const lb_quant_params *params, const void *w, const void *scales,
                                  const void *zeros, int64_t n, int64_t k, void *packed, int64_t packed_bytes) {
  static const char *fn = "lb_w4a16_prepack";
  if (lb_status st = lb::check_device_arg(fn, device, nullptr)) return st;
  if (lb_status st = lb::check_quant_params(fn, params, LB_DTYPE_F32, "x_dtype", n, k, w, w, scales, zeros)) return st;
  if (params->qtype != LB_DTYPE_I4 && params->qtype != LB_DTYPE_U4)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: weights must be I4 or U4, got %s", fn, lb::dtype_name(params->qtype));
  if (params->block_rows != 1)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: weight groups must lie along k (block_rows 1), got block_rows %lld", fn,
                    (long long)params->block_rows);
  if (lb_status st = check_w4a16_shape(fn, n, k, params->block_cols)) return st;
  if (!packed) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: packed is NULL", fn);
  const int64_t need = lb::cpu::w4a16_packed_bytes(n, k, params->block_cols);
  if (packed_bytes < need)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: packed has %lld bytes, needs %lld (lb_w4a16_packed_bytes)", fn,
                    (long long)packed_bytes, (long long)need);
  if (lb_status st = lb::check_overlap(fn, w, n * k / 2, packed, need, false)) return st;
  if (device != LB_DEVICE_CPU) {
    return lb::on_cuda(fn, device, nullptr, [&](cudaStream_t s) { return lb::cuda::w4a16_prepack(*params, w, scales, zeros, n, k, packed, s); });
  }
  return lb::guard(fn, [&] {
    lb::cpu::w4a16_prepack(*params, w, scales, zeros, n, k, packed);
    return LB_OK;
  });
}

LB_API lb_status lb_w4a16_gemm(int32_t device, lb_stream stream, const void *x, lb_dtype x_dtype, const void *w_packed,
                               const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k,
                               int64_t group, int32_t flags) {
  static const char *fn = "lb_w4a16_gemm";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (lb_status st = check_w4a16_shape(fn, n, k, group)) return st;
  if (flags & ~LB_W4A16_INT8_ACTIVATIONS) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: unknown flags 0x%x", fn, flags);
  if ((flags & LB_W4A16_INT8_ACTIVATIONS) && group % 32)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: int8 activations need a weight group size that is a multiple of 32, got %lld", fn,
                    (long long)group);
  if (m <= 0) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: m must be > 0, got %lld", fn, (long long)m);
  if (!lb::is_float_dtype(x_dtype) || !lb::is_float_dtype(y_dtype))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: x_dtype and y_dtype must be F32, F16 or BF16, got %s and %s", fn,
                    lb::dtype_name(x_dtype), lb::dtype_name(y_dtype));
  if (!x || !w_packed || !y) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: x, w_packed and y must not be NULL", fn);
  const int64_t y_bytes = lb::dtype_bytes(y_dtype, m * n);
  if (lb_status st = lb::check_overlap(fn, x, lb::dtype_bytes(x_dtype, m * k), y, y_bytes, false)) return st;
  if (lb_status st = lb::check_overlap(fn, w_packed, lb::cpu::w4a16_packed_bytes(n, k, group), y, y_bytes, false)) return st;
  if (device != LB_DEVICE_CPU) {
    if (flags & LB_W4A16_INT8_ACTIVATIONS)
      return lb::fail(LB_ERR_UNSUPPORTED, "%s: LB_W4A16_INT8_ACTIVATIONS is a CPU decode path (VPDPBUSD); on CUDA use flags 0", fn);
    return lb::on_cuda(fn, device, stream, [&](cudaStream_t s) {
      return lb::cuda::w4a16_gemm(x, x_dtype, w_packed, bias, y, y_dtype, m, n, k, group, stream, s);
    });
  }
  return lb::guard(fn, [&] { return lb::cpu::w4a16_gemm(x, x_dtype, w_packed, bias, y, y_dtype, m, n, k, group, flags); });
}

LB_API lb_status lb_w4a8_gemm(int32_t device, lb_stream stream, const uint8_t *a, lb_dtype a_dtype, const float *a_scales,
                              const void *w_packed, const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n,
                              int64_t k, int64_t group) {
  static const char *fn = "lb_w4a8_gemm";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (lb_status st = check_w4a16_shape(fn, n, k, group)) return st;
  if (lb_status st = check_m(fn, m, k)) return st;
  if (!is_fp8(a_dtype)) return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: a_dtype must be FP8_E4M3 or FP8_E5M2, got %s", fn, lb::dtype_name(a_dtype));
  if (!lb::is_float_dtype(d_dtype))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: d_dtype must be F32, F16 or BF16, got %s", fn, lb::dtype_name(d_dtype));
  if (!a || !a_scales || !w_packed || !d)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: a, a_scales, w_packed and d must not be NULL", fn);
  const int64_t d_bytes = lb::dtype_bytes(d_dtype, m * n);
  if (lb_status st = lb::check_overlap(fn, a, m * k, d, d_bytes, false)) return st;
  if (lb_status st = lb::check_overlap(fn, w_packed, lb::cpu::w4a16_packed_bytes(n, k, group), d, d_bytes, false)) return st;
  if (device != LB_DEVICE_CPU)
    return lb::on_cuda(fn, device, stream, [&](cudaStream_t s) {
      return lb::cuda::w4a8_gemm(a, a_dtype, a_scales, w_packed, bias, d, d_dtype, m, n, k, group, stream, s);
    });
  return lb::guard(fn, [&] { return lb::cpu::w4a8_gemm(a, a_dtype, a_scales, w_packed, bias, d, d_dtype, m, n, k, group); });
}

LB_API lb_status lb_cpu_int8_peak(int32_t millis, double *macs_per_second) {
  return peak_call("lb_cpu_int8_peak", millis, macs_per_second, lb::cpu::int8_peak);
}

LB_API int64_t lb_fp8_packed_bytes(int64_t n, int64_t k) {
  return n > 0 && k > 0 && n <= (int64_t{1} << 40) / k ? lb::cpu::fp8_packed_bytes(n, k) : -1;
}

LB_API lb_status lb_fp8_prepack(int32_t device, const uint8_t *b, int64_t n, int64_t k, void *packed, int64_t packed_bytes) {
  static const char *fn = "lb_fp8_prepack";
  if (lb_status st = lb::check_device_arg(fn, device, nullptr)) return st;
  if (lb_status st = check_fp8_nk(fn, n, k)) return st;
  return prepack_on(fn, "lb_fp8_packed_bytes", device, b, n * k, packed, packed_bytes, lb::cpu::fp8_packed_bytes(n, k),
                    [&] { lb::cpu::fp8_prepack(b, n, k, packed); },
                    [&](cudaStream_t s) { return lb::cuda::fp8_prepack(b, n, k, packed, s); });
}

LB_API lb_status lb_fp8_gemm(int32_t device, lb_stream stream, const uint8_t *a, lb_dtype a_dtype, const float *a_scales,
                             const void *b_packed, lb_dtype b_dtype, const float *b_scales, int32_t scaling,
                             const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k) {
  static const char *fn = "lb_fp8_gemm";
  if (lb_status st = lb::check_device_arg(fn, device, stream)) return st;
  if (lb_status st = check_fp8_nk(fn, n, k)) return st;
  if (lb_status st = check_m(fn, m, k)) return st;
  if (!is_fp8(a_dtype) || !is_fp8(b_dtype))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: a_dtype and b_dtype must be FP8_E4M3 or FP8_E5M2, got %s and %s", fn,
                    lb::dtype_name(a_dtype), lb::dtype_name(b_dtype));
  if (!lb::is_float_dtype(d_dtype))
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: d_dtype must be F32, F16 or BF16, got %s", fn, lb::dtype_name(d_dtype));
  if (scaling != LB_FP8_SCALE_TENSOR && scaling != LB_FP8_SCALE_ROW_COL && scaling != LB_FP8_SCALE_BLOCK)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: scaling must be LB_FP8_SCALE_TENSOR, _ROW_COL or _BLOCK, got %d", fn, scaling);
  if (!a || !a_scales || !b_packed || !b_scales || !d)
    return lb::fail(LB_ERR_INVALID_ARGUMENT, "%s: a, a_scales, b_packed, b_scales and d must not be NULL", fn);
  const int64_t d_bytes = lb::dtype_bytes(d_dtype, m * n);
  if (lb_status st = lb::check_overlap(fn, a, m * k, d, d_bytes, false)) return st;
  if (lb_status st = lb::check_overlap(fn, b_packed, lb::cpu::fp8_packed_bytes(n, k), d, d_bytes, false)) return st;
  if (device != LB_DEVICE_CPU) {
    return lb::on_cuda(fn, device, stream, [&](cudaStream_t s) {
      return lb::cuda::fp8_gemm(a, a_dtype, a_scales, b_packed, b_dtype, b_scales, scaling, bias, d, d_dtype, m, n, k, stream, s);
    });
  }
  return lb::guard(fn, [&] {
    return lb::cpu::fp8_gemm(a, a_dtype, a_scales, b_packed, b_dtype, b_scales, scaling, bias, d, d_dtype, m, n, k);
  });
}

LB_API lb_status lb_cpu_bf16_peak(int32_t millis, double *flops_per_second) {
  return peak_call("lb_cpu_bf16_peak", millis, flops_per_second, lb::cpu::bf16_peak);
}

}  // extern "C"
