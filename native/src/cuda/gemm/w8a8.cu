// W8A8 and W4A4 GEMMs on int8 tensor cores (mma.sync m16n8k32 s8, sm_80+), on the skeleton of
// tc_gemm.cuh; W8A8 on Hopper's wgmma (wg_gemm.cuh) when the output has enough tiles to fill the GPU.
// W4A4 widens its nibbles to int8 while loading each stage (Hopper has no int4 mma; on sm_80/89 the
// int4 mma would halve the shared-memory traffic, not written), then runs exactly the W8A8 tiles.
//
// B is read in lowbit.h's packed layout, whose 16-column blocks hold each column's 4 k values of a
// quad in one 32-bit word — exactly an mma B-fragment register — so a fragment read is one 32-bit
// shared load. The packed column sums (the CPU's VPDPBUSD correction) are not needed: the tensor
// cores multiply signed bytes.
//
// The epilogue repeats the CPU's operations in the CPU's order with no fused multiply-adds, so F32
// (and F16 / BF16, rounded by the same helpers) outputs equal the CPU's bit for bit, and I32 outputs
// are the exact sums on both.
#include <cstdint>

#include "../../common/float_io.h"
#include "../../core/error.h"
#include "../runtime/runtime.h"
#include "gemm.cuh"
#include "tc_gemm.cuh"
#include "wg_gemm.cuh"
#include "kmajor_copy.cuh"
#include "wg_ws_gemm.cuh"

namespace lb::cuda {
namespace {

using namespace lb::cuda_tile;

struct Int8Op {
  static constexpr int kMinArch = 800;
  static constexpr bool kNibbles = false, kOwnB = false;

  struct Args {
    TcOperands op;
    const float *a_scales, *b_scales, *bias;
    void *d;
    lb_dtype d_dtype;
  };

  // Chunk c of a column block's 1 KiB run: quad c / 4, columns 4 (c % 4) .. + 3.
  static __device__ int b_chunk_byte(int jb, int c) { return int8_b_word(jb, c >> 2, (c & 3) * 4) * 4; }

  static __device__ void b_fragments(const uint8_t *bs, const TcTile &tile, int s, uint32_t (&bf)[4][2]) {
    int8_b_fragments(bs, tile, s, bf);
  }

  struct Accumulators {
    int32_t v[4][4][4];

    __device__ Accumulators() { zero_tiles(v); }

    __device__ void mma(int mi, int ni, const uint32_t (&a)[4], const uint32_t (&b)[2]) { mma_s8_16832(v[mi][ni], a, b); }

    __device__ void end_step(const Args &, const TcTile &, int, int) {}  // int32 sums need no promotion

    __device__ int32_t raw(int mi, int ni, int e) const { return v[mi][ni][e]; }
  };

  using Raw = int32_t;
  static int64_t split_stages(const Args &) { return 1; }  // int32 partial sums add exactly

  // lowbit.h's epilogue: I32 as is; otherwise ((float)acc * a_scale) * b_scale (+ bias), each step
  // rounded (no FMA contraction), then narrowed like the CPU.
  static __device__ void finish(const Args &p, int64_t i, int64_t j, int32_t acc) {
    if (p.d_dtype == LB_DTYPE_I32) {
      static_cast<int32_t *>(p.d)[i * p.op.n + j] = acc;
      return;
    }
    float y = mul_rn(mul_rn(static_cast<float>(acc), p.a_scales[i]), p.b_scales[j]);
    if (p.bias) y = add_rn(y, p.bias[j]);
    store_float(p.d, p.d_dtype, i * p.op.n + j, y);
  }
};

// W8A8 on wgmma: the weight quads are wgmma's A registers as they are (one 32-bit shared load each),
// the activations its B through the descriptor; int32 sums over all of k, then Int8Op's epilogue,
// so the outputs equal the CPU's bit for bit here too. (Only the sm_90a pass instantiates the wgmma
// kernel; the other passes would report its members as unreferenced.) kWeights (warp-specialised
// kernel): the quads by the producer threads' cp.async, or, kTmaKMajor (LOWBIT_CUDA_KMAJOR=1, an
// experiment: wg_layout.h), a K-major copy made for the call read by both-operands-in-shared-memory
// wgmmas — the same int32 sums, so the same bits.
#pragma nv_diag_suppress 177
template <lb::cuda_wg::WsWeights kWeights = lb::cuda_wg::WsWeights::kCpAsync>
struct Int8WgOpOf : Int8Op {
  static constexpr int kWgInFlight = 1;  // the next stage's wgmmas queue behind this one's
  static constexpr bool kWgRetireLate = false;
  static constexpr bool kWgStageScales = false;
  static constexpr bool kWgHalves = false;
  // wg_ws_gemm.cuh: the quads' swizzle is no TMA mode, so cp.async (or the K-major copy by TMA).
  static constexpr lb::cuda_wg::WsWeights kWsWeights = kWeights;
  static_assert(kWeights != lb::cuda_wg::WsWeights::kTmaPairs, "the quads have no TMA box");
  static __device__ int w_chunk_byte(int jb, int c) { return lb::cuda_wg::w_int8_chunk_byte(jb, c); }

  static __device__ void w_fragments(const uint8_t *ws, int jb, int lane, int s, uint32_t (&a)[4]) {
    const uint32_t *w = reinterpret_cast<const uint32_t *>(ws);
#pragma unroll
    for (int r = 0; r < 4; ++r) a[r] = w[lb::cuda_wg::w_int8_fragment_word(jb, s, lane, r)];
  }

  struct WgAccumulators {
    int32_t v[64];  // written only by the wgmmas (the first starts from zero)

    __device__ void issue(const Args &, const uint32_t (&a)[lb::cuda_wg::kWgK / 32][4], uint32_t x_addr, int kt) {
      using namespace lb::cuda_wg;
#pragma unroll
      for (int r = 0; r < 64; ++r) fence_register(v[r]);
      wgmma_fence();
#pragma unroll
      for (int s = 0; s < kWgK / 32; ++s) {
        if constexpr (kWeights == WsWeights::kTmaKMajor)
          wgmma_m64n128k32_s8_ss(v, sw128_desc(x_addr + kXBytes + kmajor_a_start(static_cast<int>(threadIdx.x) >> 7, s)),
                                 sw128_desc(x_addr + 32 * s), kt > 0 || s > 0);
        else
          wgmma_m64n128k32_s8(v, a[s], sw128_desc(x_addr + 32 * s), kt > 0 || s > 0);
      }
      wgmma_commit();
#pragma unroll
      for (int r = 0; r < 64; ++r) fence_register(v[r]);
    }

    __device__ void retire(const Args &, const float *) {}  // int32 sums over all of k: nothing per stage

    __device__ void settle() {
#pragma unroll
      for (int r = 0; r < 64; ++r) fence_register(v[r]);
    }

    __device__ int32_t raw(int r) const { return v[r]; }
  };
};
using Int8WgOp = Int8WgOpOf<>;
#pragma nv_diag_default 177

// W4A4: the same shared layout, fragments and epilogue; operands loaded as nibbles and widened.
struct W4A4Op : Int8Op {
  static constexpr bool kNibbles = true;
};

}  // namespace

lb_status w8a8_gemm(const int8_t *a, const float *a_scales, const void *b_packed, const float *b_scales, const float *bias,
                    void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_w8a8_gemm";
  const int64_t k4 = (k + 3) / 4;
  const Int8Op::Args p{{reinterpret_cast<const uint8_t *>(a), static_cast<const uint8_t *>(b_packed), m, n, k, 0, (n + 15) / 16, k4 * 64},
                       a_scales, b_scales, bias, d, d_dtype};
  const int ws = ws_form(1);
  cudaError_t err = cudaErrorNotSupported;
  const int kmajor = wg_gemm_applies(p.op) ? kmajor_mode(m, n, k) : 0;
  if (kmajor != 0)  // K-major weights (kmajor_copy.cuh); LOWBIT_CUDA_WS=2: clustered
    err = launch_kmajor(PackedForm::kQuads, kmajor, p, s, [&](const Int8Op::Args &q) {
      using K = Int8WgOpOf<lb::cuda_wg::WsWeights::kTmaKMajor>;
      return ws == 2 ? launch_ws_gemm_as<K, true>(q, s) : launch_ws_gemm_as<K, false>(q, s);
    });
  if (err == cudaErrorNotSupported)  // else the K-major form ran (or failed); no tensor maps: as without it
    err = !wg_gemm_applies(p.op) ? launch_tc_gemm<Int8Op>(p, s)
          : ws != 0              ? launch_ws_gemm<Int8WgOp>(p, s, ws)
                                 : launch_wg_gemm<Int8WgOp>(p, s);
  if (lb_status st = check(err, fn, "kernel launch")) return st;
  return finish_launch(fn, stream);
}

lb_status w4a4_gemm(const uint8_t *a, const float *a_scales, const void *b_packed, const float *b_scales, const float *bias, void *d,
                    lb_dtype d_dtype, int64_t m, int64_t n, int64_t k, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_w4a4_gemm";
  const int64_t k4 = (k + 3) / 4;
  const W4A4Op::Args p{{a, static_cast<const uint8_t *>(b_packed), m, n, k, 0, (n + 15) / 16, k4 * 32}, a_scales, b_scales, bias, d, d_dtype};
  if (lb_status st = check(launch_tc_gemm<W4A4Op>(p, s), fn, "kernel launch")) return st;
  return finish_launch(fn, stream);
}

}  // namespace lb::cuda
