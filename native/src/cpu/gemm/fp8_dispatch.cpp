// lb_fp8_* on the CPU: prepack B's codes into k pairs of 16-column blocks, widen A to bf16 once
// per call, run the bf16 driver, and apply the scales of the chosen granularity in its policy.
#include <cstring>

#include "../../core/cpu_features.h"
#include "../../core/scratch.h"
#include "../../core/thread_pool.h"
#include "../convert/convert.h"
#include "bf16_gemm.h"
#include "fp8.h"

namespace lb::cpu {
namespace {

constexpr int64_t kScaleBlock = 128;  // LB_FP8_SCALE_BLOCK: 1 x 128 (A) and 128 x 128 (B)

struct Fp8Epilogue {
  int32_t scaling;
  const float *a_scales, *b_scales, *bias;
  int64_t k128;  // scale blocks along k (LB_FP8_SCALE_BLOCK)
  void *d;
  lb_dtype d_dtype;
  int64_t n;
  ConvertFn narrow;  // F32 -> F16 / BF16, nullptr for F32

  // A panel lies inside one 128-column block of B (128 is a multiple of the panel's 32 columns).
  void block(float *total, const float *partial, int rows, int64_t i0, int64_t j0, int64_t kb) const {
    const float bs = b_scales[(j0 / kScaleBlock) * k128 + kb];
    for (int r = 0; r < rows; ++r) {
      const float f = a_scales[(i0 + r) * k128 + kb] * bs;
      float *t = total + r * kBf16Panel;
      const float *s = partial + r * kBf16Panel;
      for (int64_t jj = 0; jj < kBf16Panel; ++jj) t[jj] = t[jj] + s[jj] * f;
    }
  }

  void finish(const float *acc, int64_t i, int64_t j0, int64_t cols, float *row_buffer) const {
    float *y = d_dtype == LB_DTYPE_F32 ? static_cast<float *>(d) + i * n + j0 : row_buffer;
    if (scaling == LB_FP8_SCALE_TENSOR) {
      const float s = a_scales[0] * b_scales[0];
      for (int64_t jj = 0; jj < cols; ++jj) y[jj] = acc[jj] * s;
    } else if (scaling == LB_FP8_SCALE_ROW_COL) {
      const float as = a_scales[i], *bs = b_scales + j0;
      for (int64_t jj = 0; jj < cols; ++jj) y[jj] = (acc[jj] * as) * bs[jj];
    } else {
      for (int64_t jj = 0; jj < cols; ++jj) y[jj] = acc[jj];
    }
    if (bias)
      for (int64_t jj = 0; jj < cols; ++jj) y[jj] = y[jj] + bias[j0 + jj];
    if (narrow) narrow(y, static_cast<uint16_t *>(d) + i * n + j0, cols);
  }
};

}  // namespace

ConvertFn fp8_to_bf16(lb_dtype dtype) {
  return current_isa() == LB_ISA_AVX512 ? fp8_to_bf16_avx512(dtype) : convert_kernel(dtype, LB_DTYPE_BF16);
}

void fp8_prepack(const uint8_t *b, int64_t n, int64_t k, void *packed) {
  const int64_t K2 = fp8_k2(k), N16 = (n + 15) / 16;
  auto *dst = static_cast<uint8_t *>(packed);
  parallel_for(N16, 1, [&](int64_t jb0, int64_t jb1) {
    for (int64_t jb = jb0; jb < jb1; ++jb) {
      uint8_t *blk = dst + jb * K2 * 32;
      std::memset(blk, 0, static_cast<size_t>(K2 * 32));
      for (int64_t jj = 0; jj < 16 && jb * 16 + jj < n; ++jj) {
        const uint8_t *row = b + (jb * 16 + jj) * k;
        for (int64_t l = 0; l < k; ++l) blk[((l / 2) * 16 + jj) * 2 + l % 2] = row[l];
      }
    }
  });
}

const uint16_t *fp8_rows_to_bf16(const uint8_t *a, lb_dtype a_dtype, int64_t m, int64_t k) {
  const int64_t lda = 2 * fp8_k2(k);
  uint16_t *a16 = thread_scratch<uint16_t>(kScratchGemmA, m * lda);
  const ConvertFn widen = fp8_to_bf16(a_dtype);
  parallel_for(m, std::max<int64_t>(1, 65536 / lda), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      widen(a + r * k, a16 + r * lda, k);
      if (k < lda) a16[r * lda + k] = 0;
    }
  });
  return a16;
}

lb_status fp8_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const void *b_packed, lb_dtype b_dtype,
                   const float *b_scales, int32_t scaling, const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n,
                   int64_t k) {
  const int64_t K2 = fp8_k2(k);
  const uint16_t *a16 = fp8_rows_to_bf16(a, a_dtype, m, k);
  Bf16Problem p{a16, static_cast<const uint8_t *>(b_packed), 32, fp8_to_bf16(b_dtype), m, n, K2,
                scaling == LB_FP8_SCALE_BLOCK ? kScaleBlock / 2 : 0,
                avx512_bf16()                    ? fp8_direct_tile_avx512(b_dtype)  // VDPBF16PS
                : current_isa() >= LB_ISA_AVX2 ? fp8_direct_tile_avx2(b_dtype)
                                                : nullptr};
  const Fp8Epilogue epilogue{scaling, a_scales, b_scales, bias, (k + kScaleBlock - 1) / kScaleBlock, d, d_dtype, n,
                             d_dtype == LB_DTYPE_F32 ? nullptr : convert_kernel(LB_DTYPE_F32, d_dtype)};
  bf16_gemm(p, epilogue);
  return LB_OK;
}

}  // namespace lb::cpu
