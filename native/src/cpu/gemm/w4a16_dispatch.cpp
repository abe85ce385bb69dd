// lb_w4a16_* on the CPU: prepack (codes to 16-column blocks, scales and zero points to f32), then
// work items of (up to 4 rows) x (one 16-column block) through the ISA's kernel, spread over the
// pool. Activations are widened to f32 once per call.
#include <algorithm>
#include <cstring>
#include <vector>

#include "../../common/float_io.h"
#include "../../common/quant.h"
#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "../convert/convert.h"
#include "../quant/quant.h"
#include "w4a16.h"

namespace lb::cpu {
namespace {

constexpr int kRows = 4;

W4A16Kernel kernel_for_isa() {
  switch (current_isa()) {
    case LB_ISA_AVX512: return w4a16_kernel_avx512();
    case LB_ISA_AVX2: return w4a16_kernel_avx2();
    default: return w4a16_kernel_scalar();
  }
}

}  // namespace

void w4a16_prepack(const lb_quant_params &p, const void *w, const void *scales, const void *zeros, int64_t n, int64_t k,
                   void *packed) {
  const int64_t group = p.block_cols, G = k / group, N16 = w4a16_n16(n);
  const W4A16Packed out(packed, n, k, group);
  auto *codes = const_cast<uint8_t *>(out.codes);
  auto *sc = const_cast<float *>(out.scales);
  auto *zs = const_cast<float *>(out.zeros);
  const auto *in = static_cast<const uint8_t *>(w);
  const bool symmetric = p.qtype == LB_DTYPE_I4;
  parallel_for(N16, 1, [&](int64_t jb0, int64_t jb1) {
    for (int64_t jb = jb0; jb < jb1; ++jb) {
      for (int64_t jj = 0; jj < 16; ++jj) {
        const int64_t j = jb * 16 + jj;
        for (int64_t q = 0; q < k / 2; ++q) {
          // An I4 code c is the U4 code c ^ 8 with zero point 8; padding columns: code 0, scale 0.
          uint8_t byte = j < n ? in[j * (k / 2) + q] : 0;
          if (symmetric && j < n) byte ^= 0x88;
          codes[(jb * (k / 2) + q) * 16 + jj] = byte;
        }
        for (int64_t g = 0; g < G; ++g) {
          float s = 0.0f, z = 0.0f;
          if (j < n) {
            const BlockParams bp = stored_params(p, scales, zeros, j, g, G);
            s = bp.scale;
            z = symmetric ? 8.0f : bp.zero;
          }
          sc[(jb * G + g) * 16 + jj] = s;
          zs[(jb * G + g) * 16 + jj] = z;
        }
      }
    }
  });
}

namespace {

void store_row(const float *out, const float *bias, void *y, lb_dtype y_dtype, int64_t n, int64_t row, int64_t jb) {
  for (int64_t jj = 0; jj < 16 && jb * 16 + jj < n; ++jj) {
    const int64_t col = jb * 16 + jj;
    float v = out[jj];
    if (bias) v = v + bias[col];
    store_float(y, y_dtype, row * n + col, v);
  }
}

// LB_W4A16_INT8_ACTIVATIONS: every row of x quantized like lb_quantize I8 with 1 x 32 blocks and
// F32 scales, stored in the kernels' order (w4a16_q8_position), plus each block's code sum.
lb_status w4a16_gemm_q8(const float *x32, const W4A16Packed &pk, const float *bias, void *y, lb_dtype y_dtype, int64_t m,
                        int64_t n, int64_t k, int64_t group) {
  const int64_t blocks = k / 32, G = k / group, N16 = w4a16_n16(n);
  std::vector<int8_t> x8(static_cast<size_t>(m * k));
  std::vector<float> sx(static_cast<size_t>(m * blocks));
  std::vector<int32_t> sums(static_cast<size_t>(m * blocks));
  // lb_quantize's own row quantizer (so the codes are lb_quantize's bits), then the kernels' order
  // and each block's code sum.
  const lb_quant_params qp{LB_DTYPE_I8, LB_DTYPE_F32, LB_DTYPE_F32, 0, 1, 32};
  std::vector<int8_t> codes(static_cast<size_t>(m * k));
  RowQuantizer rq(qp, k, codes.data(), sx.data(), nullptr);
  parallel_for(m, std::max<int64_t>(1, 16384 / k), [&](int64_t r0, int64_t r1) {
    RowQuantizer::Scratch scratch;
    for (int64_t r = r0; r < r1; ++r) {
      rq.row(x32 + r * k, r, scratch);
      for (int64_t blk = 0; blk < blocks; ++blk) {
        int32_t sum = 0;
        for (int l = 0; l < 32; ++l) {
          const int8_t q = codes[r * k + blk * 32 + l];
          sum += q;
          x8[r * k + w4a16_q8_position(blk * 32 + l)] = q;
        }
        sums[r * blocks + blk] = sum;
      }
    }
  });
  if (lb_status st = rq.status("lb_w4a16_gemm")) return st;
  // AVX-512 with VBMI takes its kernel; without VBMI (Cooper Lake) and on AVX2 CPUs, the AVX2 one (the
  // same bits); the scalar variant the scalar one.
  const bool vbmi = avx512_vnni() && (cpu_features() & LB_CPU_AVX512VBMI);  // VPERMB and VPDPBUSD
  const bool avx2 = !vbmi && current_isa() != LB_ISA_SCALAR;
  const W4A16Q8Kernel kernel = vbmi ? w4a16_q8_kernel_avx512_vbmi() : avx2 ? w4a16_q8_kernel_avx2() : w4a16_q8_kernel_scalar();
  const int64_t row_blocks = (m + kRows - 1) / kRows;
  auto block = [&](int64_t jb) { return W4A16Block{pk.codes + jb * (k / 2) * 16, pk.scales + jb * G * 16, pk.zeros + jb * G * 16, k, group}; };
  if (m == 1 && (vbmi || avx2)) {
    // Decode: each chunk of column blocks is walked as two halves side by side, so a thread streams
    // its weights as two sequences (the pair kernels).
    const W4A16Q8PairKernel pair = vbmi ? w4a16_q8_pair_kernel_avx512_vbmi() : w4a16_q8_pair_kernel_avx2();
    const W4A16Q8Row row{x8.data(), sx.data(), sums.data()};
    parallel_for(N16, std::max<int64_t>(1, 8192 / k), [&](int64_t w0, int64_t w1) {
      float out[2 * 16];
      const int64_t half = (w1 - w0) / 2;
      for (int64_t t = 0; t < half; ++t) {
        const W4A16Block b[2] = {block(w0 + t), block(w0 + half + t)};
        pair(b, row, out);
        store_row(out, bias, y, y_dtype, n, 0, w0 + t);
        store_row(out + 16, bias, y, y_dtype, n, 0, w0 + half + t);
      }
      for (int64_t jb = w0 + 2 * half; jb < w1; ++jb) {
        kernel(block(jb), &row, 1, out);
        store_row(out, bias, y, y_dtype, n, 0, jb);
      }
    });
    return LB_OK;
  }
  parallel_for(row_blocks * N16, std::max<int64_t>(1, 4096 / k), [&](int64_t w0, int64_t w1) {
    float out[kRows * 16];
    W4A16Q8Row rows[kRows];
    for (int64_t w = w0; w < w1; ++w) {
      const int64_t i0 = (w / N16) * kRows, jb = w % N16;
      const int mr = static_cast<int>(std::min<int64_t>(kRows, m - i0));
      for (int i = 0; i < mr; ++i)
        rows[i] = W4A16Q8Row{x8.data() + (i0 + i) * k, sx.data() + (i0 + i) * blocks, sums.data() + (i0 + i) * blocks};
      kernel(block(jb), rows, mr, out);
      for (int i = 0; i < mr; ++i) store_row(out + i * 16, bias, y, y_dtype, n, i0 + i, jb);
    }
  });
  return LB_OK;
}

}  // namespace

lb_status w4a16_gemm(const void *x, lb_dtype x_dtype, const void *w_packed, const float *bias, void *y, lb_dtype y_dtype,
                     int64_t m, int64_t n, int64_t k, int64_t group, int32_t flags) {
  const W4A16Packed pk(w_packed, n, k, group);
  const int64_t G = k / group, N16 = w4a16_n16(n), row_blocks = (m + kRows - 1) / kRows;
  std::vector<float> xf;
  const float *x32 = static_cast<const float *>(x);
  if (x_dtype != LB_DTYPE_F32) {
    xf.resize(static_cast<size_t>(m * k));
    convert(x, x_dtype, xf.data(), LB_DTYPE_F32, m * k, false);
    x32 = xf.data();
  }
  if (flags & LB_W4A16_INT8_ACTIVATIONS) return w4a16_gemm_q8(x32, pk, bias, y, y_dtype, m, n, k, group);
  const W4A16Kernel kernel = kernel_for_isa();
  // Work item: row block (consecutive items share it) x column block.
  parallel_for(row_blocks * N16, std::max<int64_t>(1, 4096 / std::max<int64_t>(k, 1)), [&](int64_t w0, int64_t w1) {
    float out[kRows * 16];
    for (int64_t w = w0; w < w1; ++w) {
      const int64_t rb = w / N16, jb = w % N16, i0 = rb * kRows;
      const int mr = static_cast<int>(std::min<int64_t>(kRows, m - i0));
      const W4A16Block b{pk.codes + jb * (k / 2) * 16, pk.scales + jb * G * 16, pk.zeros + jb * G * 16, k, group};
      kernel(b, x32 + i0 * k, mr, out);
      for (int i = 0; i < mr; ++i) store_row(out + i * 16, bias, y, y_dtype, n, i0 + i, jb);
    }
  });
  return LB_OK;
}

}  // namespace lb::cpu
