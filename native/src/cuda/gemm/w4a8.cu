// W4A8 GEMM (ZeroQuant-FP style) on fp8 tensor cores (sm_89+), on the skeleton of tc_gemm.cuh:
// FP8 activations (E4M3 / E5M2, one scale per row) x 4-bit weights in lb_w4a16_prepack's form.
//
// The weights become fp8 in registers while each k stage is loaded: a code u (0..15) enters the
// tensor cores as u - 8 (-8..7, exact in E4M3), written into the int8 GEMM's quad layout (4 k of a
// column per 32-bit word), so fragments are read as W8A8 reads them. Per weight group the tensor
// cores' f32 sum acc_g = sum (u - 8) a is folded into f32 totals with the group's scale and zero
// point: y += scale * (acc_g - (zero - 8) * asum_g), asum_g = sum of the row's activations over the
// group (a small kernel computes those first, in lowbit.h's order) — lowbit.h's
// sum_g (dot_g - zero * asum_g) * scale, since dot_g = acc_g + 8 asum_g. Then d = y * a_scale (+ bias).
// Groups must be multiples of 32 (one k32 step); agrees with the CPU to accumulation tolerance.
// Up to 64 rows of activations (decode sizes) take the swapped-operand kernel of w4_tc.cu instead,
// which does not spend a 128-row tile's tensor-core work on a few rows.
#include <cuda_fp8.h>

#include <cstdint>

#include "../../common/float_io.h"
#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "gemm.cuh"
#include "row_sums.cuh"
#include "tc_gemm.cuh"
#include "w4_tc.cuh"

namespace lb::cuda {
namespace {

using namespace lb::cuda_tile;

template <bool kAE5M2>
struct W4A8Op {
  static constexpr int kMinArch = 890;
  static constexpr bool kNibbles = false, kOwnB = true;

  struct Args {
    TcOperands op;  // b: the packed codes [n16][k/2][16]
    const float *scales, *zeros;  // packed f32 [n16][k/g][16]
    const float *asum;            // [m][k/g]: sum of each row's activations over each group
    const float *a_scales, *bias;
    int64_t group, groups;
    void *d;
    lb_dtype d_dtype;
  };

  static __device__ int b_chunk_byte(int jb, int c) { return int8_b_word(jb, c >> 2, (c & 3) * 4) * 4; }

  // u - 8 for the nibbles at bits 0..3 and 16..19 of x, as two E4M3 codes (low byte first).
  static __device__ uint32_t centered_e4m3x2(uint32_t x) {
    const float lo = __uint_as_float(0x4B000000u | (x & 0xFu)) - 8388616.0f;  // 2^23 + u - (2^23 + 8), exact
    const float hi = __uint_as_float(0x4B000000u | ((x >> 16) & 0xFu)) - 8388616.0f;
    return __nv_cvt_float2_to_fp8x2(make_float2(lo, hi), __NV_SATFINITE, __NV_E4M3);
  }

  // Quad kq (k = 64 kt + 4 kq .. + 3) of column block jb: the code bytes of k-pairs 2 kq and 2 kq + 1
  // (16 columns each, 32 contiguous bytes) -> 16 words of 4 E4M3 codes. 128 threads, one quad each.
  static __device__ void load_b(const TcOperands &o, const TcTile &tile, int kt, uint8_t *bs) {
    const int q = static_cast<int>(threadIdx.x);
    if (q >= (kBN / 16) * (kBK / 4)) return;
    const int jb = q >> 4, kq = q & 15;
    const int64_t gjb = tile.jb0 + jb, pair = static_cast<int64_t>(kt) * (kBK / 2) + 2 * kq, pairs = o.k / 2;
    uint4 p0 = make_uint4(0, 0, 0, 0), p1 = p0;  // zero codes past n and k: -8 times a zero activation
    if (gjb < o.n16 && pair < pairs) {
      const uint4 *src = reinterpret_cast<const uint4 *>(o.b + (gjb * pairs + pair) * 16);
      p0 = src[0];
      p1 = src[1];  // pairs is even (k % 32 == 0), so pair + 1 < pairs
    }
    uint32_t *dst = reinterpret_cast<uint32_t *>(bs);
    const uint32_t w0[4] = {p0.x, p0.y, p0.z, p0.w}, w1[4] = {p1.x, p1.y, p1.z, p1.w};
#pragma unroll
    for (int c = 0; c < 16; ++c) {
      const uint32_t b0 = (w0[c >> 2] >> (8 * (c & 3))) & 0xffu, b1 = (w1[c >> 2] >> (8 * (c & 3))) & 0xffu;
      const uint32_t both = b0 | (b1 << 16);  // k = 4kq, 4kq+1 in b0's nibbles; 4kq+2, 4kq+3 in b1's
      const uint32_t even = centered_e4m3x2(both), odd = centered_e4m3x2(both >> 4);
      dst[int8_b_word(jb, kq, c)] = pick_bytes(even, odd, 0x5140);  // k order: b0 lo, b0 hi, b1 lo, b1 hi
    }
  }

  static __device__ void b_fragments(const uint8_t *bs, const TcTile &tile, int s, uint32_t (&bf)[4][2]) {
    int8_b_fragments(bs, tile, s, bf);
  }

  struct Accumulators : Fp8Sums<kAE5M2, false> {
    using Fp8Sums<kAE5M2, false>::v;
    using Fp8Sums<kAE5M2, false>::total;

    // At the end of each weight group: total += scale * (acc - (zero - 8) * asum), per element.
    __device__ void end_step(const Args &p, const TcTile &tile, int step, int steps) {
      if (((step + 1) * 32) % p.group != 0 && step + 1 < steps) return;
      const int64_t g = static_cast<int64_t>(step) * 32 / p.group;
      if (g >= p.groups) return;  // k's padding past the last group (zero codes, nothing to fold)
      tile.for_each([&](int mi, int ni, int e, int64_t i, int64_t j) {
        float &x = v[mi][ni][e];
        if (i < p.op.m && j < p.op.n) {
          const int64_t at = ((j / 16) * p.groups + g) * 16 + j % 16;
          const float shifted = fmaf(-(p.zeros[at] - 8.0f), p.asum[i * p.groups + g], x);
          total[mi][ni][e] = fmaf(p.scales[at], shifted, total[mi][ni][e]);
        }
        x = 0.0f;
      });
    }

    __device__ float raw(int mi, int ni, int e) const { return total[mi][ni][e]; }
  };

  using Raw = float;
  // Splits end on group boundaries: each group's zero point is taken out with the whole group's asum.
  static int64_t split_stages(const Args &p) { return p.group % 64 == 0 ? p.group / 64 : p.group / 32; }

  static __device__ void finish(const Args &p, int64_t i, int64_t j, float total) {
    float y = mul_rn(total, p.a_scales[i]);
    if (p.bias) y = add_rn(y, p.bias[j]);
    store_float(p.d, p.d_dtype, i * p.op.n + j, y);
  }
};

}  // namespace

lb_status w4a8_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const void *w_packed, const float *bias, void *d,
                    lb_dtype d_dtype, int64_t m, int64_t n, int64_t k, int64_t group, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_w4a8_gemm";
  if (group % 32 != 0)
    return fail(LB_ERR_UNSUPPORTED, "%s: on CUDA the weight group size must be a multiple of 32 (one tensor-core k step), got %lld", fn,
                (long long)group);
  if (reinterpret_cast<uintptr_t>(w_packed) & 15)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: on CUDA, w_packed must be 16-byte aligned (as lb_cuda_malloc returns), got %p", fn,
                w_packed);
  if (lb_status st = require_capability(fn, 8, 9, "fp8 tensor cores (Ada, Hopper)")) return st;
  const int64_t n16 = (n + 15) / 16, cols = n16 * 16, groups = k / group;
  const uint8_t *codes = static_cast<const uint8_t *>(w_packed);
  const float *scales = reinterpret_cast<const float *>(codes + cols * (k / 2));
  if (w4a8_tc_applies(a, m, k, group)) {  // decode sizes: the swapped-operand kernel (no 128-row tile to fill)
    if (lb_status st = w4a8_tc_gemm(a, a_dtype, a_scales, codes, scales, scales + cols * groups, bias, d, d_dtype, m, n, k, group, s))
      return st;
    return finish_launch(fn, stream);
  }
  float *asum = nullptr;
  const size_t asum_bytes = static_cast<size_t>(m * groups) * sizeof(float);
  if (lb_status st = check(cudaMallocAsync(reinterpret_cast<void **>(&asum), asum_bytes, s), fn, "cudaMallocAsync of the group sums"))
    return st;
  const bool e5m2 = a_dtype == LB_DTYPE_FP8_E5M2;
  launch_row_run_sums(Fp8Elements{a, e5m2}, m, k, group, asum, s);
  cudaError_t err = cudaGetLastError();
  if (err == cudaSuccess) {
    // b_block_bytes is not used by load_b (it reads the codes by pair); kept for the skeleton's checks.
    const TcOperands o{a, codes, m, n, k, 0, n16, (k / 2) * 16};
    if (e5m2) {
      const W4A8Op<true>::Args p{o, scales, scales + cols * groups, asum, a_scales, bias, group, groups, d, d_dtype};
      err = launch_tc_gemm<W4A8Op<true>>(p, s);
    } else {
      const W4A8Op<false>::Args p{o, scales, scales + cols * groups, asum, a_scales, bias, group, groups, d, d_dtype};
      err = launch_tc_gemm<W4A8Op<false>>(p, s);
    }
  }
  cudaFreeAsync(asum, s);  // stream-ordered: after the kernels
  if (lb_status st = check(err, fn, "kernel launch")) return st;
  return finish_launch(fn, stream);
}

}  // namespace lb::cuda
