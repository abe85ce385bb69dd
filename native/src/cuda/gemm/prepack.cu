// Prepacking for the CUDA GEMMs: stage the weights through host memory and run the CPU packer, so
// a packed matrix holds the same bytes on either device (and one packer is tested). Prepacking is
// done once per weight matrix, at load time, where a host round trip costs little.
#include <cstdint>
#include <vector>

#include "../../core/error.h"
#include "../../cpu/gemm/fp8.h"
#include "../../cpu/gemm/w4a16.h"
#include "../../cpu/gemm/w4a4.h"
#include "../../cpu/gemm/w8a8.h"
#include "../runtime/runtime.h"
#include "gemm.cuh"

namespace lb::cuda {
namespace {

// Copies `bytes` of device (or host: UVA tells them apart) memory into a new host buffer.
lb_status to_host(const char *fn, const char *what, const void *src, int64_t bytes, std::vector<uint8_t> &out, cudaStream_t s) {
  out.resize(static_cast<size_t>(bytes));
  if (bytes == 0) return LB_OK;
  if (lb_status st = check(cudaMemcpyAsync(out.data(), src, static_cast<size_t>(bytes), cudaMemcpyDefault, s), fn, what)) return st;
  return check(cudaStreamSynchronize(s), fn, what);
}

lb_status to_device(const char *fn, const std::vector<uint8_t> &src, void *dst, cudaStream_t s) {
  if (lb_status st = check(cudaMemcpyAsync(dst, src.data(), src.size(), cudaMemcpyDefault, s), fn, "copy of the packed weights"))
    return st;
  return check(cudaStreamSynchronize(s), fn, "copy of the packed weights");
}

}  // namespace

lb_status w8a8_prepack(const int8_t *b, int64_t n, int64_t k, void *packed, cudaStream_t s) {
  static const char *fn = "lb_w8a8_prepack";
  std::vector<uint8_t> host_b, host_packed(static_cast<size_t>(cpu::w8a8_packed_bytes(n, k)));
  if (lb_status st = to_host(fn, "copy of b", b, n * k, host_b, s)) return st;
  cpu::w8a8_prepack(reinterpret_cast<const int8_t *>(host_b.data()), n, k, host_packed.data());
  return to_device(fn, host_packed, packed, s);
}

lb_status w4a4_prepack(const uint8_t *b, int64_t n, int64_t k, void *packed, cudaStream_t s) {
  static const char *fn = "lb_w4a4_prepack";
  std::vector<uint8_t> host_b, host_packed(static_cast<size_t>(cpu::w4a4_packed_bytes(n, k)));
  if (lb_status st = to_host(fn, "copy of b", b, n * (k / 2), host_b, s)) return st;
  cpu::w4a4_prepack(host_b.data(), n, k, host_packed.data());
  return to_device(fn, host_packed, packed, s);
}

lb_status fp8_prepack(const uint8_t *b, int64_t n, int64_t k, void *packed, cudaStream_t s) {
  static const char *fn = "lb_fp8_prepack";
  std::vector<uint8_t> host_b, host_packed(static_cast<size_t>(cpu::fp8_packed_bytes(n, k)));
  if (lb_status st = to_host(fn, "copy of b", b, n * k, host_b, s)) return st;
  cpu::fp8_prepack(host_b.data(), n, k, host_packed.data());
  return to_device(fn, host_packed, packed, s);
}

lb_status w4a16_prepack(const lb_quant_params &p, const void *w, const void *scales, const void *zeros, int64_t n, int64_t k,
                        void *packed, cudaStream_t s) {
  static const char *fn = "lb_w4a16_prepack";
  const int64_t groups = k / p.block_cols;
  const int64_t scale_bytes = n * groups * (p.scale_dtype == LB_DTYPE_F32 ? 4 : 2);
  // Zero points exist for U4 only: packed U4 rows of ceil(groups / 2) bytes, or F16.
  const int64_t zero_bytes =
      p.qtype != LB_DTYPE_U4 ? 0 : p.zero_dtype == LB_DTYPE_U4 ? n * ((groups + 1) / 2) : n * groups * 2;
  std::vector<uint8_t> host_w, host_scales, host_zeros, host_packed(static_cast<size_t>(cpu::w4a16_packed_bytes(n, k, p.block_cols)));
  if (lb_status st = to_host(fn, "copy of w", w, n * (k / 2), host_w, s)) return st;
  if (lb_status st = to_host(fn, "copy of scales", scales, scale_bytes, host_scales, s)) return st;
  if (zero_bytes > 0)
    if (lb_status st = to_host(fn, "copy of zeros", zeros, zero_bytes, host_zeros, s)) return st;
  cpu::w4a16_prepack(p, host_w.data(), host_scales.data(), zero_bytes > 0 ? host_zeros.data() : nullptr, n, k, host_packed.data());
  return to_device(fn, host_packed, packed, s);
}

}  // namespace lb::cuda
