// FP8 GEMM on fp8 tensor cores (mma.sync m16n8k32 with E4M3 / E5M2 operands, f32 accumulation;
// sm_89 and sm_90) on the skeleton of tc_gemm.cuh, and on Hopper's wgmma (wg_gemm.cuh) when the
// output has enough tiles to fill the GPU.
//
// B is read in lowbit.h's FP8 packed layout: 16-column blocks, k in pairs (2 bytes of one column).
// An mma B register needs 4 consecutive k of one column — two pairs at different rows of that
// layout — which is exactly what ldmatrix.trans delivers when each 16-byte row of shared memory holds
// one k-pair of 8 columns: one ldmatrix.x4 gives the B registers of two 8-column tiles.
//
// Accumulation: the tensor cores' f32 sums of one 128-k block (two stages) are added into separate
// f32 totals after each block (with the block's scales for LB_FP8_SCALE_BLOCK, as DeepSeek-V3's
// kernels do); this also bounds how long any one tensor-core accumulation runs. The epilogue applies
// the scales in the CPU's order; the sums themselves are ordered differently from the CPU's, so the
// two agree to f32 accumulation tolerance, not bit for bit.
#include <cstdint>
#include <cstdlib>

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

template <bool kAE5M2, bool kBE5M2>
struct Fp8Op {
  static constexpr int kMinArch = 890;
  static constexpr bool kNibbles = false, kOwnB = false;

  struct Args {
    TcOperands op;
    const float *a_scales, *b_scales, *bias;
    int32_t scaling;
    int64_t k128;  // 128-k blocks (BLOCK scales)
    void *d;
    lb_dtype d_dtype;
    int32_t fold_stages;  // wgmma: 128-k stages summed on the tensor cores between folds (1 for BLOCK scales)
  };

  // Chunk c of a column block's 1 KiB run: k-pair c / 2, columns 8 (c % 2) .. + 7.
  static __device__ int b_chunk_byte(int jb, int c) { return fp8_b_byte(jb, c >> 1, (c & 1) * 8); }

  // Lane L addresses row L % 8 of matrix L / 8: matrices 0, 1 = pairs 0..7 and 8..15 of the k32 step
  // for columns 0..7 of the block (b[0], b[1] of the first 8-column tile), 2, 3 the same for columns
  // 8..15.
  static __device__ void b_fragments(const uint8_t *bs, const TcTile &tile, int s, uint32_t (&bf)[4][2]) {
    const int matrix = tile.lane >> 3, kp = 16 * s + (matrix & 1) * 8 + (tile.lane & 7), half = matrix >> 1;
#pragma unroll
    for (int jbl = 0; jbl < 2; ++jbl) {
      uint32_t r[4];
      ldmatrix_x4_trans(r, bs + fp8_b_byte(tile.wn * 2 + jbl, kp, half * 8));
      bf[2 * jbl][0] = r[0];
      bf[2 * jbl][1] = r[1];
      bf[2 * jbl + 1][0] = r[2];
      bf[2 * jbl + 1][1] = r[3];
    }
  }

  struct Accumulators : Fp8Sums<kAE5M2, kBE5M2> {
    using Fp8Sums<kAE5M2, kBE5M2>::v;
    using Fp8Sums<kAE5M2, kBE5M2>::total;

    // After every fourth k32 step (one 128-k block) and the last: fold the block into the totals. The
    // scaling test stays outside the register loops (see Fp8WgOp::retire).
    __device__ void end_step(const Args &p, const TcTile &tile, int step, int steps) {
      if ((step & 3) != 3 && step + 1 < steps) return;
      if (p.scaling == LB_FP8_SCALE_BLOCK) {
        fold_block_scaled(p, tile, step >> 2);
      } else {
#pragma unroll
        for (int mi = 0; mi < 4; ++mi)
#pragma unroll
          for (int ni = 0; ni < 4; ++ni)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
              total[mi][ni][e] = add_rn(total[mi][ni][e], v[mi][ni][e]);
              v[mi][ni][e] = 0.0f;
            }
      }
    }

    // 128 x 128 block scales of k-block kb: each sum times its row's scale times the column block's
    // (the tile's 128 columns are one 128-column block of B's scales: tiles start at multiples of 128).
    __device__ void fold_block_scaled(const Args &p, const TcTile &tile, int64_t kb) {
      const float sb = p.b_scales[(tile.jb0 / 8) * p.k128 + kb];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int64_t i = tile.row(mi, h);
          const float scale = i < p.op.m ? mul_rn(p.a_scales[i * p.k128 + kb], sb) : 0.0f;
#pragma unroll
          for (int ni = 0; ni < 4; ++ni)
#pragma unroll
            for (int e = 0; e < 2; ++e) {
              float &x = v[mi][ni][2 * h + e];
              total[mi][ni][2 * h + e] = add_rn(total[mi][ni][2 * h + e], mul_rn(x, scale));
              x = 0.0f;
            }
        }
    }

    __device__ float raw(int mi, int ni, int e) const { return total[mi][ni][e]; }
  };

  using Raw = float;
  static int64_t split_stages(const Args &) { return 2; }  // splits keep 128-k scale blocks whole

  // lowbit.h's epilogue: TENSOR acc * (sa * sb), ROW_COL (acc * sa[i]) * sb[j], BLOCK the scaled sum
  // as is; then + bias, rounded to d_dtype.
  static __device__ void finish(const Args &p, int64_t i, int64_t j, float y) {
    if (p.scaling == LB_FP8_SCALE_TENSOR) y = mul_rn(y, mul_rn(p.a_scales[0], p.b_scales[0]));
    else if (p.scaling == LB_FP8_SCALE_ROW_COL) y = mul_rn(mul_rn(y, p.a_scales[i]), p.b_scales[j]);
    if (p.bias) y = add_rn(y, p.bias[j]);
    store_float(p.d, p.d_dtype, i * p.op.n + j, y);
  }
};

// The same GEMM on wgmma (wg_gemm.cuh): the weights (wgmma's A) come from the stage with ldmatrix.trans
// exactly as b_fragments reads them, the activations (wgmma's B) through the descriptor. Each stage is
// one 128-k block: its four wgmmas start from zero (scale_d = 0 on the first) and the block's sums are
// folded into the f32 totals as end_step does, so both kernels round the same sums the same way.
//
// With fold_stages = F > 1 (row / tensor scales only: a 128 x 128 block scale changes every stage) the
// sums of F stages run on the tensor cores before one fold, and only a stage that starts a fold waits
// for the previous ones: on an H200 the fold-every-stage kernel ran at 0.28x the W8A8 kernel's rate on
// the same grid (ncu: 8.5 cycles per issued instruction against 4.6), the tensor cores idle while each
// stage's wgmmas drain and fold. The price is precision: Hopper's fp8 units accumulate with fewer bits
// than f32 (DeepSeek-V3 folds every 128 k for that reason), so F > 1 agrees with the CPU less closely.
// LOWBIT_CUDA_FP8_FOLD_STAGES = 1 | 2 | 4 | 8 chooses F; 1 (the default) until a GPU run has weighed
// the speed against the error.
//
// Much of that drain was the fold itself: the SASS of the kernel that ran on the H200 tested the
// scaling inside the register loop, 64 taken branches and ~870 instructions a stage between the wait
// and the next issue; now the test is outside (64 FADDs on the row / tensor path) and BLOCK's row
// scales come from shared memory (kWgStageScales). On an H200 (2026-11-26 (12)) that took FP8 from
// 0.14-0.17x to 0.37-0.48x torch._scaled_mm; F = 2 / 4 then measured slower (0.96x, 0.985x).
//
// kHalves (F = 1; the default, LOWBIT_CUDA_FP8_HALVES=0 for the whole-stage kernel): most of the
// drain goes too. Each stage's wgmmas are two groups, activation rows 0..63 and 64..127 (m64n64k32,
// the accumulators' two halves), issued as soon as the stage's fragments are in registers; while they
// run the warpgroup passes the next stage's barrier, reads its fragments, issues the copies ahead and
// folds half 0 once it completes (wg_gemm.cuh's half-tile pipeline), so only half 1's fold (32 FADDs)
// finds the tensor cores idle — with no second set of accumulators (no room: 237 registers). Same
// sums, folded in the same order. Waiting in the next stage for the last one's groups instead (no idle
// fold at all) made ptxas serialise every wgmma (C7514). Measured 1% faster than the whole stage.
// (kWsWeights is read by the warp-specialised kernel only, which takes the half-tile instances: the
// others would report it as unreferenced.)
#pragma nv_diag_suppress 177
// kWeights (warp-specialised kernel): the weights by TMA (box 32 x 64 x 8, SWIZZLE_32B), by the producer
// threads' cp.async as W8A8's — TMA boxes 32 bytes wide were the suspect for FP8 gaining nothing from that
// kernel where W8A8 gained 15-20% (H200, 2026-11-26 (12); LOWBIT_CUDA_FP8_TMA_WEIGHTS=0), but the two
// measured alike (lease (20)) — or, kTmaKMajor, from a K-major copy made for the call
// (LOWBIT_CUDA_KMAJOR=1, kmajor_copy.cu): both wgmma operands from shared memory, no fragment loads.
// Why try it: FP8 runs at ~0.75x W8A8's speed on the same tile, whose consumers' other work is the
// same but for the fold, and at 0.37-0.53x torch._scaled_mm, whose kernels read both operands from
// shared memory; the register form spends each stage 4 ldmatrix.trans a warp, their waits, and
// 32 registers of double-buffered fragments that the fold's two accumulator sets compete with (ptxas
// spills one word at 232).
template <bool kAE5M2, bool kBE5M2, bool kFoldMany = false, bool kHalves = false,
          lb::cuda_wg::WsWeights kWeights = lb::cuda_wg::WsWeights::kTmaPairs>
struct Fp8WgOp : Fp8Op<kAE5M2, kBE5M2> {
  using Args = typename Fp8Op<kAE5M2, kBE5M2>::Args;
  static_assert(!(kFoldMany && kHalves), "the half-tile pipeline folds every stage");
  static constexpr int kWgInFlight = 0;
  static constexpr bool kWgRetireLate = true;  // the sums are folded before the stage that starts the next fold
  static constexpr bool kWgStageScales = true;  // BLOCK: the stage's row scales and column block scale
  static constexpr bool kWgHalves = kHalves;
  static constexpr lb::cuda_wg::WsWeights kWsWeights = kWeights;  // wg_ws_gemm.cuh (SWIZZLE_32B pairs: w_fp8_byte)
  static constexpr bool kKMajor = kWeights == lb::cuda_wg::WsWeights::kTmaKMajor;
  static_assert(!kKMajor || kHalves, "the K-major weights run the half-tile step of the warp-specialised kernel");

  // BLOCK scaling: k-block kt's scale of each of the tile's activation rows (0 past m) and the tile's
  // column block scale (the tile is one 128-column block; 0 past n), copied with the stage so that the fold
  // reads them from shared memory instead of waiting on 32 global loads after the wgmmas drain.
  // Thread t of `threads` copies words t, t + threads, ... (word kWgM: the column block scale).
  static __device__ void load_stage_scales(const Args &p, int64_t m0, int64_t jb0, int kt, float *words, int t, int threads) {
    if (p.scaling != LB_FP8_SCALE_BLOCK) return;
    for (int w = t; w <= lb::cuda_wg::kWgM; w += threads) {
      if (w == lb::cuda_wg::kWgM) {
        // A cluster pair's second block may lie past the last column tile (an odd count of tiles): it
        // takes part in the multicasts and stores nothing, and reads no scale past the array.
        const bool valid = jb0 < p.op.n16;
        cp_async4(words + w, valid ? p.b_scales + (jb0 / 8) * p.k128 + kt : p.b_scales, valid);
      } else {
        const int64_t i = m0 + w;
        const bool valid = i < p.op.m;
        cp_async4(words + w, valid ? p.a_scales + i * p.k128 + kt : p.a_scales, valid);
      }
    }
  }

  static __device__ int w_chunk_byte(int jb, int c) { return lb::cuda_wg::w_fp8_chunk_byte(jb, c); }

  static __device__ void w_fragments(const uint8_t *ws, int jb, int lane, int s, uint32_t (&a)[4]) {
    ldmatrix_x4_trans(a, ws + lb::cuda_wg::w_fp8_ldmatrix_byte(jb, s, lane));
  }

  struct WgAccumulators {
    float v[64];  // this block's sums: written only by the wgmmas
    float total[64];

    __device__ WgAccumulators() {
#pragma unroll
      for (int r = 0; r < 64; ++r) total[r] = 0.0f;
    }

    // Stage kt starts a fold: its wgmmas start from zero, and the sums before it must be folded first.
    __device__ static bool starts_fold(const Args &p, int kt) {
      if constexpr (kFoldMany) return kt % p.fold_stages == 0;
      else return true;
    }

    __device__ void issue(const Args &p, const uint32_t (&a)[lb::cuda_wg::kWgK / 32][4], uint32_t x_addr, int kt) {
      using namespace lb::cuda_wg;
      const bool add_first = !starts_fold(p, kt);
#pragma unroll
      for (int r = 0; r < 64; ++r) fence_register(v[r]);
      wgmma_fence();
#pragma unroll
      for (int s = 0; s < kWgK / 32; ++s) wgmma_m64n128k32_f8<kBE5M2, kAE5M2>(v, a[s], sw128_desc(x_addr + 32 * s), s > 0 || add_first);
      wgmma_commit();
#pragma unroll
      for (int r = 0; r < 64; ++r) fence_register(v[r]);  // in flight until retire: nothing may read them before
    }

    // Half h of a stage (activation rows 64 h .. 64 h + 63, accumulators 32 h .. 32 h + 31) as one group.
    // x_addr: the stage (activations, then weights); kKMajor: warpgroup wg's weights are read there
    // through a descriptor and `a` is unused.
    __device__ void issue_half(const Args &, int h, const uint32_t (&a)[lb::cuda_wg::kWgK / 32][4], uint32_t x_addr) {
      using namespace lb::cuda_wg;
      float(&d)[32] = *reinterpret_cast<float(*)[32]>(v + 32 * h);
      [[maybe_unused]] const int wg = static_cast<int>(threadIdx.x) >> 7;
#pragma unroll
      for (int r = 0; r < 32; ++r) fence_register(d[r]);
      wgmma_fence();
#pragma unroll
      for (int s = 0; s < kWgK / 32; ++s) {
        const uint64_t x_desc = sw128_desc(x_addr + x_byte(64 * h, 32 * s));
        if constexpr (kKMajor)
          wgmma_m64n64k32_f8_ss<kBE5M2, kAE5M2>(d, sw128_desc(x_addr + kXBytes + kmajor_a_start(wg, s)), x_desc, s > 0);
        else
          wgmma_m64n64k32_f8<kBE5M2, kAE5M2>(d, a[s], x_desc, s > 0);
      }
      wgmma_commit();
#pragma unroll
      for (int r = 0; r < 32; ++r) fence_register(d[r]);
    }

    // The sums up to the last stage (those since the last fold) are complete: fold them into the totals.
    __device__ void retire(const Args &p, const float *scales) { fold<0, 64>(p, scales); }
    // Half h of the last stage is complete (the other may still run): fold its registers.
    __device__ void retire_half(const Args &p, int h, const float *scales) {
      if (h == 0) fold<0, 32>(p, scales);
      else fold<32, 32>(p, scales);
    }

    // Registers kR0 .. kR0 + kN - 1 into the totals; with 128 x 128 block scales each sum times its
    // row's scale (from the stage's words: 0 past m) times the column block scale, rounded as end_step
    // rounds them. The scaling test stays outside the register loops: inside them ptxas kept a branch
    // per register (64 taken branches a stage on the row / tensor path, while the tensor cores waited).
    template <int kR0, int kN>
    __device__ void fold(const Args &p, const float *scales) {
      using namespace lb::cuda_wg;
#pragma unroll
      for (int r = kR0; r < kR0 + kN; ++r) fence_register(v[r]);
      if (p.scaling == LB_FP8_SCALE_BLOCK) {
        const float sb = scales[kWgM];
        const int tid = static_cast<int>(threadIdx.x), lane = tid & 31;
#pragma unroll
        for (int r = kR0; r < kR0 + kN; ++r) {
          const float scale = mul_rn(scales[acc_position(tid >> 7, (tid >> 5) & 3, lane, r).row], sb);
          total[r] = add_rn(total[r], mul_rn(v[r], scale));
        }
      } else {
#pragma unroll
        for (int r = kR0; r < kR0 + kN; ++r) total[r] = add_rn(total[r], v[r]);
      }
    }

    __device__ void settle() {}

    __device__ float raw(int r) const { return total[r]; }
  };
};

#pragma nv_diag_default 177

// LOWBIT_CUDA_FP8_FOLD_STAGES (see Fp8WgOp): 1, 2, 4 or 8, else 1. Read per call, as LOWBIT_CUDA_WGMMA
// is, so bench/gpu/peer_gemm.py can time the settings side by side in one process.
int32_t fold_stages_setting() {
  const char *v = std::getenv("LOWBIT_CUDA_FP8_FOLD_STAGES");
  const long n = v ? std::strtol(v, nullptr, 10) : 1;
  return n == 2 || n == 4 || n == 8 ? static_cast<int32_t>(n) : 1;
}

template <bool kAE5M2, bool kBE5M2>
cudaError_t launch(const TcOperands &o, const float *a_scales, const float *b_scales, int32_t scaling, const float *bias, void *d,
                   lb_dtype d_dtype, cudaStream_t s) {
  using Op = Fp8Op<kAE5M2, kBE5M2>;
  const int32_t fold = scaling == LB_FP8_SCALE_BLOCK ? 1 : fold_stages_setting();
  const typename Op::Args p{o, a_scales, b_scales, bias, scaling, (o.k + 127) / 128, d, d_dtype, fold};
  if (wg_gemm_applies(o)) {
    if (fold > 1) return launch_wg_gemm<Fp8WgOp<kAE5M2, kBE5M2, true>>(p, s);
    // LOWBIT_CUDA_FP8_TMA_WEIGHTS=0: the warp-specialised kernel copies the weights with cp.async instead
    // of TMA (Fp8WgOp's kWeights); LOWBIT_CUDA_FP8_HALVES=0: every stage folded on the whole-stage
    // kernel instead of the half-tile pipeline (kHalves).
    using lb::cuda_wg::WsWeights;
    if (const int kmajor = kmajor_mode(o.m, o.n, o.k)) {
      // The warp-specialised kernel (clustered with LOWBIT_CUDA_WS=2) on a K-major copy (kmajor_copy.cuh).
      const cudaError_t err = launch_kmajor(PackedForm::kPairs, kmajor, p, s, [&](const typename Op::Args &q) {
        return ws_form(1) == 2 ? launch_ws_gemm_as<Fp8WgOp<kAE5M2, kBE5M2, false, true, WsWeights::kTmaKMajor>, true>(q, s)
                               : launch_ws_gemm_as<Fp8WgOp<kAE5M2, kBE5M2, false, true, WsWeights::kTmaKMajor>, false>(q, s);
      });
      if (err != cudaErrorNotSupported) return err;  // else (no tensor maps) as without the setting
    }
    if (const int ws = ws_form(0))
      return !env_switched_off("LOWBIT_CUDA_FP8_TMA_WEIGHTS") ? launch_ws_gemm<Fp8WgOp<kAE5M2, kBE5M2, false, true, WsWeights::kTmaPairs>>(p, s, ws)
                                                              : launch_ws_gemm<Fp8WgOp<kAE5M2, kBE5M2, false, true, WsWeights::kCpAsync>>(p, s, ws);
    if (!env_switched_off("LOWBIT_CUDA_FP8_HALVES")) return launch_wg_gemm<Fp8WgOp<kAE5M2, kBE5M2, false, true>>(p, s);
    return launch_wg_gemm<Fp8WgOp<kAE5M2, kBE5M2, false, false>>(p, s);
  }
  return launch_tc_gemm<Op>(p, s);
}

}  // namespace

lb_status fp8_gemm(const uint8_t *a, lb_dtype a_dtype, const float *a_scales, const void *b_packed, lb_dtype b_dtype,
                   const float *b_scales, int32_t scaling, const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n,
                   int64_t k, lb_stream stream, cudaStream_t s) {
  static const char *fn = "lb_fp8_gemm";
  if (lb_status st = require_capability(fn, 8, 9, "fp8 tensor cores (Ada, Hopper)")) return st;
  const TcOperands o{a, static_cast<const uint8_t *>(b_packed), m, n, k, 0, (n + 15) / 16, (k + 1) / 2 * 32};
  const bool ae5 = a_dtype == LB_DTYPE_FP8_E5M2, be5 = b_dtype == LB_DTYPE_FP8_E5M2;
  cudaError_t err;
  if (!ae5 && !be5) err = launch<false, false>(o, a_scales, b_scales, scaling, bias, d, d_dtype, s);
  else if (!ae5) err = launch<false, true>(o, a_scales, b_scales, scaling, bias, d, d_dtype, s);
  else if (!be5) err = launch<true, false>(o, a_scales, b_scales, scaling, bias, d, d_dtype, s);
  else err = launch<true, true>(o, a_scales, b_scales, scaling, bias, d, d_dtype, s);
  if (lb_status st = check(err, fn, "kernel launch")) return st;
  return finish_launch(fn, stream);
}

}  // namespace lb::cuda
