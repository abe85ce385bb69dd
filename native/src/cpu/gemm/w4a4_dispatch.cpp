// lb_w4a4_* on the CPU: prepack int4 weights into k-quads of 16-column blocks (still nibbles) with
// their column sums; per call, unpack A's nibbles to int8 and run the int8 driver, which widens
// the weights chunk by chunk (w8a8.h, Int8Weights).
#include <algorithm>
#include <cstring>

#include "../../core/cpu_features.h"
#include "../../core/scratch.h"
#include "../../core/thread_pool.h"
#include "w4a4.h"
#include "w8a8.h"

namespace lb::cpu {
namespace {

int8_t nibble(const uint8_t *packed, int64_t index) {
  const int v = (packed[index / 2] >> (4 * (index % 2))) & 0xf;
  return static_cast<int8_t>((v ^ 8) - 8);
}

}  // namespace

void i4_to_i8_scalar(const uint8_t *src, int8_t *dst, int64_t quads) {
  for (int64_t i = 0; i < quads * 64; ++i) dst[i] = nibble(src, i);
}

void w4a4_prepack(const uint8_t *b, int64_t n, int64_t k, void *packed) {
  const int64_t K4 = w4a4_k4(k), N16 = w4a4_n16(n);
  auto *dst = static_cast<uint8_t *>(packed);
  auto *sums = reinterpret_cast<int32_t *>(dst + N16 * 16 * K4 * 2);
  parallel_for(N16, 1, [&](int64_t jb0, int64_t jb1) {
    for (int64_t jb = jb0; jb < jb1; ++jb) {
      uint8_t *blk = dst + jb * K4 * 32;
      std::memset(blk, 0, static_cast<size_t>(K4 * 32));
      for (int64_t jj = 0; jj < 16; ++jj) {
        const int64_t j = jb * 16 + jj;
        int32_t s = 0;
        if (j < n)
          for (int64_t l = 0; l < k; ++l) {
            const int8_t v = nibble(b + j * (k / 2), l);
            const int64_t e = ((l / 4) * 16 + jj) * 4 + l % 4;  // element of the VPDPBUSD layout
            blk[e / 2] = static_cast<uint8_t>(blk[e / 2] | ((v & 0xf) << (4 * (e % 2))));
            s += v;
          }
        sums[j] = s;
      }
    }
  });
}

lb_status w4a4_gemm(const uint8_t *a, const float *a_scales, const void *b_packed, const float *b_scales, const float *bias,
                    void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k) {
  // A's nibbles widened to int8 with the weights' widening kernel, 64 at a time (the rest of a row one
  // by one): element by element, this pass took about as long as the products at m = 2048 and
  // n = 384 (W4A4 ran at 0.36 of the VPDPBUSD roof there, W8A8 at 0.66).
  const auto widen = current_isa() == LB_ISA_AVX512 ? i4_to_i8_avx512 : current_isa() == LB_ISA_AVX2 ? i4_to_i8_avx2 : i4_to_i8_scalar;
  int8_t *a8 = thread_scratch<int8_t>(kScratchGemmA2, m * k);
  parallel_for(m, std::max<int64_t>(1, 65536 / k), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t *src = a + r * (k / 2);
      int8_t *dst = a8 + r * k;
      const int64_t whole = k / 64;
      widen(src, dst, whole);
      for (int64_t l = whole * 64; l < k; ++l) dst[l] = nibble(src, l);
    }
  });
  const auto *data = static_cast<const uint8_t *>(b_packed);
  const Int8Weights b{data, 32, widen, reinterpret_cast<const int32_t *>(data + w4a4_n16(n) * 16 * w4a4_k4(k) * 2), true};
  return int8_gemm(a8, a_scales, b, b_scales, bias, d, d_dtype, m, n, k);
}

}  // namespace lb::cpu
