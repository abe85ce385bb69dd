// lb_w4a8_gemm on the CPU: A widened to bf16 with each row's per-group sums (for the zero points),
// then the bf16 driver over the W4A16-packed codes with one k block per weight group.
#include <vector>

#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "bf16_gemm.h"
#include "fp8.h"
#include "w4a16.h"
#include "w4a8.h"

namespace lb::cpu {
namespace {

struct W4A8Epilogue {
  W4A16Packed pk;
  const float *asum;  // [m][groups]: sum of each row's activations over each group
  int64_t groups, n16;
  const float *a_scales, *bias;
  void *d;
  lb_dtype d_dtype;
  int64_t n;
  ConvertFn narrow;  // F32 -> F16 / BF16, nullptr for F32

  // total += (dot - zero * asum) * scale, per column of the panel (its second block may not exist).
  // Copies of the group's 32 scales and zeros and restrict pointers let the compiler vectorise the
  // update (with possible aliasing it ran it scalar, as slow as the tile itself at group 128).
  void block(float *__restrict total, const float *__restrict partial, int rows, int64_t i0, int64_t j0, int64_t g) const {
    const int64_t jb0 = j0 / 16, blocks = jb0 + 1 < n16 ? 2 : 1;
    float s[kBf16Panel] = {}, z[kBf16Panel] = {};
    for (int64_t c = 0; c < blocks; ++c)
      for (int jj = 0; jj < 16; ++jj) {
        s[c * 16 + jj] = pk.scales[((jb0 + c) * groups + g) * 16 + jj];
        z[c * 16 + jj] = pk.zeros[((jb0 + c) * groups + g) * 16 + jj];
      }
    for (int r = 0; r < rows; ++r) {
      const float sum = asum[(i0 + r) * groups + g];
      float *__restrict t = total + r * kBf16Panel;
      const float *__restrict p = partial + r * kBf16Panel;
      for (int jj = 0; jj < kBf16Panel; ++jj) t[jj] = t[jj] + (p[jj] - z[jj] * sum) * s[jj];
    }
  }

  void finish(const float *acc, int64_t i, int64_t j0, int64_t cols, float *row_buffer) const {
    float *y = d_dtype == LB_DTYPE_F32 ? static_cast<float *>(d) + i * n + j0 : row_buffer;
    const float as = a_scales[i];
    for (int64_t jj = 0; jj < cols; ++jj) y[jj] = acc[jj] * as;
    if (bias)
      for (int64_t jj = 0; jj < cols; ++jj) y[jj] = y[jj] + bias[j0 + jj];
    if (narrow) narrow(y, static_cast<uint16_t *>(d) + i * n + j0, cols);
  }
};

float bf16_to_float(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

}  // namespace

void u4_to_bf16_scalar(const void *src, void *dst, int64_t count) {
  const auto *in = static_cast<const uint8_t *>(src);
  auto *out = static_cast<uint16_t *>(dst);
  for (int64_t i = 0; i < count; ++i) {
    const int u = (in[i / 2] >> (4 * (i % 2))) & 0xf;
    const float f = static_cast<float>(u);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    out[i] = static_cast<uint16_t>(bits >> 16);  // exact: 0..15 need 4 significant bits
  }
}

lb_status w4a8_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const void *w_packed, const float *bias, void *d,
                    lb_dtype d_dtype, int64_t m, int64_t n, int64_t k, int64_t group) {
  const int64_t K2 = k / 2, G = k / group;
  const uint16_t *a16 = fp8_rows_to_bf16(a, a_dtype, m, k);
  std::vector<float> asum(static_cast<size_t>(m * G));
  parallel_for(m, std::max<int64_t>(1, 65536 / k), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t g = 0; g < G; ++g) {
        float s = 0.0f;
        for (int64_t l = g * group; l < (g + 1) * group; ++l) s = s + bf16_to_float(a16[r * k + l]);
        asum[r * G + g] = s;
      }
  });
  const W4A16Packed pk(w_packed, n, k, group);
  const bool avx512 = current_isa() == LB_ISA_AVX512;
  Bf16Problem p{a16, pk.codes, 16, avx512 ? u4_to_bf16_avx512 : u4_to_bf16_scalar, m, n, K2, group / 2,
                avx512_bf16() ? u4_direct_tile_avx512() : current_isa() >= LB_ISA_AVX2 ? u4_direct_tile_avx2() : nullptr};  // VDPBF16PS
  const W4A8Epilogue epilogue{pk, asum.data(), G, w4a16_n16(n), a_scales, bias, d, d_dtype, n,
                              d_dtype == LB_DTYPE_F32 ? nullptr : convert_kernel(LB_DTYPE_F32, d_dtype)};
  bf16_gemm(p, epilogue);
  return LB_OK;
}

}  // namespace lb::cpu
