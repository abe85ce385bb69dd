// The tensor-core GEMM skeleton W8A8 (int8) and FP8 share: D = epilogue(A . B^T) for 8-bit A
// [m, k] (row-major) and 8-bit B in lowbit.h's packed 16-column blocks, on mma.sync m16n8k32.
//
// Tiling: a thread block computes a 128 x 128 tile of D with 8 warps (2 along m x 4 along n, 64 x
// 32 each: 4 x 4 mma tiles of 16 x 8). k advances 64 at a time through a 3-stage cp.async pipeline
// (8 KiB of A and 8 KiB of B per stage): while the warps multiply one stage, the copies of the next
// two are in flight. Both packed layouts keep a column block contiguous along k, so a stage of B is
// 8 runs of 1 KiB, one per column block; only where the bytes of a run go in shared memory (the
// swizzle) and how a warp reads its B fragments depend on the layout. Shared memory is swizzled so
// fragment reads are free of bank conflicts (tile_layout.h, checked by a host test).
//
// An Op supplies: kMinArch (the lowest __CUDA_ARCH__ it runs on), kNibbles (4-bit operands, widened
// to int8 while loading: W4A4), kOwnB (B converted by the Op's load_b while loading: W4A8), Args
// (with a TcOperands `op`), b_chunk_byte (where 16 bytes of a B run go), b_fragments (a warp's B
// registers for one k32 step), Accumulators (mma, a hook after each k32 step, `raw` sums per
// output), Raw (their type), finish (the epilogue of one output from its raw sum) and split_stages
// (the k stages a split-K range must be a multiple of).
#pragma once
#include <algorithm>
#include <cstdint>

#include "ptx.cuh"
#include "split_k.cuh"
#include "tile_layout.h"

namespace lb::cuda {

// What every tensor-core GEMM call has; the Op's Args hold it as `op`.
struct TcOperands {
  const uint8_t *a;        // [m, k] row-major (I4: k / 2 bytes per row)
  const uint8_t *b;        // packed
  int64_t m, n, k;
  int64_t row0;            // first row of this launch (gridDim.y is limited to 65535 row tiles)
  int64_t n16;             // 16-column blocks of packed B
  int64_t b_block_bytes;   // bytes of one packed column block (all of k)
  int64_t split_kt;        // k stages per split (gridDim.z splits of k; set by launch_tc_gemm)
  void *partial;           // split-K: [splits][m][n] of Op::Raw, else null (set by launch_tc_gemm)
};

// Where a thread's tile and fragments sit: rows m0 + 64 wm + 16 mi + g (+8), packed column blocks
// jb0 + 2 wn + ni / 2, columns 8 (ni % 2) + 2 t (+1) within them.
struct TcTile {
  int64_t m0, jb0;
  int wm, wn, g, t, lane;
  __device__ int64_t row(int mi, int h) const { return m0 + wm * 64 + mi * 16 + g + 8 * h; }
  __device__ int64_t col(int ni, int e) const { return (jb0 + wn * 2 + (ni >> 1)) * 16 + (ni & 1) * 8 + 2 * t + e; }

  // f(mi, ni, e, i, j) for each of the thread's 64 accumulators (mma tile mi, ni; register e), which
  // holds D[i][j] (i, j may lie past the matrix: the caller checks).
  template <class F>
  __device__ __forceinline__ void for_each(F f) const {
#pragma unroll
    for (int mi = 0; mi < 4; ++mi)
#pragma unroll
      for (int ni = 0; ni < 4; ++ni)
#pragma unroll
        for (int e = 0; e < 4; ++e) f(mi, ni, e, row(mi, e >> 1), col(ni, e & 1));
  }
};

// B registers of a warp's four 8-column tiles for k32 step s from the int8 quad layout
// (tile_layout.h's int8_b_word: one 32-bit word = 4 k of one column = one mma B register): W8A8,
// W4A4 and W4A8 (whose codes are converted into that layout) read B this way.
__device__ __forceinline__ void int8_b_fragments(const uint8_t *bs, const TcTile &tile, int s, uint32_t (&bf)[4][2]) {
  using lb::cuda_tile::int8_b_word;
  const uint32_t *w = reinterpret_cast<const uint32_t *>(bs);
#pragma unroll
  for (int ni = 0; ni < 4; ++ni) {
    const int jb = tile.wn * 2 + (ni >> 1), jj = (ni & 1) * 8 + tile.g;
    bf[ni][0] = w[int8_b_word(jb, 8 * s + tile.t, jj)];
    bf[ni][1] = w[int8_b_word(jb, 8 * s + 4 + tile.t, jj)];
  }
}

// Zeroes a thread's 4 x 4 mma tiles of accumulators (4 registers each).
template <class T>
__device__ __forceinline__ void zero_tiles(T (&acc)[4][4][4]) {
#pragma unroll
  for (int mi = 0; mi < 4; ++mi)
#pragma unroll
    for (int ni = 0; ni < 4; ++ni)
#pragma unroll
      for (int e = 0; e < 4; ++e) acc[mi][ni][e] = T{0};
}

// The fp8 GEMMs' accumulators (FP8, W4A8): the tensor cores' f32 sums `v` of the current block or
// group, and the f32 `total` they are folded into (by the Op's end_step).
template <bool kAE5M2, bool kBE5M2>
struct Fp8Sums {
  float v[4][4][4], total[4][4][4];

  __device__ Fp8Sums() {
    zero_tiles(v);
    zero_tiles(total);
  }

  __device__ void mma(int mi, int ni, const uint32_t (&a)[4], const uint32_t (&b)[2]) { mma_fp8_16832<kAE5M2, kBE5M2>(v[mi][ni], a, b); }
};

__host__ __device__ __forceinline__ bool aligned16(const void *ptr) { return (reinterpret_cast<uintptr_t>(ptr) & 15) == 0; }

// 16 bytes from `src` with those at positions >= `valid` (0..16) read as zero, byte by byte: the
// path for operands whose rows are not 16-byte aligned.
__device__ __forceinline__ uint4 load16_bytes(const uint8_t *src, int valid) {
  uint32_t w[4] = {0, 0, 0, 0};
  for (int e = 0; e < valid; ++e) w[e >> 2] |= static_cast<uint32_t>(src[e]) << (8 * (e & 3));
  return make_uint4(w[0], w[1], w[2], w[3]);
}

// 16 bytes global -> shared, `valid` of them inside the matrix (the rest zero). kAsync: cp.async,
// where chunks are either whole or absent (valid 16 or 0); else ordinary loads.
template <bool kAsync>
__device__ __forceinline__ void load_chunk(void *dst, const uint8_t *src, int valid, const uint8_t *base) {
  if (kAsync) cp_async16(dst, valid ? src : base, valid != 0);
  else *reinterpret_cast<uint4 *>(dst) = load16_bytes(src, valid);
}

// Stage `kt` (k in [64 kt, 64 kt + 64)) of the tile's A rows into shared memory.
template <bool kAsync>
__device__ __forceinline__ void load_a_stage(const TcOperands &o, const TcTile &tile, int kt, uint32_t *as) {
  using namespace lb::cuda_tile;
#pragma unroll
  for (int it = 0; it < 2; ++it) {  // 512 chunks: row q / 4, chunk q % 4 (four threads read a row's 64 contiguous bytes)
    const int q = static_cast<int>(threadIdx.x) + it * kThreads, row = q >> 2, c = q & 3;
    const int64_t i = tile.m0 + row, l = static_cast<int64_t>(kt) * kBK + c * 16;
    const int valid = i < o.m && l < o.k ? static_cast<int>(std::min<int64_t>(16, o.k - l)) : 0;
    load_chunk<kAsync>(as + a_word(row, c * 4), o.a + i * o.k + l, valid, o.a);
  }
}

// Stage `kt` of the tile's packed B column blocks, copied as they are (8-bit layouts).
template <class Op, bool kAsync>
__device__ __forceinline__ void load_b_stage(const TcOperands &o, const TcTile &tile, int kt, uint8_t *bs) {
  using namespace lb::cuda_tile;
#pragma unroll
  for (int it = 0; it < 2; ++it) {  // 512 chunks: column block q / 64, chunk q % 64 of its 1 KiB run for this stage
    const int q = static_cast<int>(threadIdx.x) + it * kThreads, jb = q >> 6, c = q & 63;
    const int64_t gjb = tile.jb0 + jb, off = static_cast<int64_t>(kt) * 1024 + c * 16;
    const int valid = gjb < o.n16 && off < o.b_block_bytes ? 16 : 0;
    load_chunk<kAsync>(bs + Op::b_chunk_byte(jb, c), o.b + gjb * o.b_block_bytes + off, valid, o.b);
  }
}

// (tile_layout.h's widen_i4x8 on each word, checked on the host by the layout test.)
__device__ __forceinline__ void store_widened(void *lo, void *hi, const uint4 &v) {
  using lb::cuda_tile::widen_i4x8;
  const auto a = widen_i4x8(v.x), b = widen_i4x8(v.y), c = widen_i4x8(v.z), d = widen_i4x8(v.w);
  *reinterpret_cast<uint4 *>(lo) = make_uint4(a.lo, a.hi, b.lo, b.hi);
  *reinterpret_cast<uint4 *>(hi) = make_uint4(c.lo, c.hi, d.lo, d.hi);
}

// The stage loader for 4-bit operands (W4A4): A's I4 rows (k / 2 bytes) and B's nibbles (half a
// byte per element of the int8 packed order) widened to int8 on the way into the same shared
// layout the int8 Op reads, so fragments, mma and epilogue are the W8A8 ones. Ordinary loads (the
// widening happens in registers; cp.async cannot transform).
template <class Op>
__device__ __forceinline__ void load_stage_nibbles(const TcOperands &o, const TcTile &tile, int kt, uint32_t *as, uint8_t *bs) {
  using namespace lb::cuda_tile;
  const int q = static_cast<int>(threadIdx.x);  // 256 chunks of 16 source bytes for A, 256 for B
  {  // A: row q / 2, k [64 kt + 32 c, + 32) from 16 bytes
    const int row = q >> 1, c = q & 1;
    const int64_t i = tile.m0 + row, l = static_cast<int64_t>(kt) * kBK + c * 32;
    const int valid = i < o.m && l < o.k ? static_cast<int>(std::min<int64_t>(16, (o.k - l) / 2)) : 0;
    const uint8_t *src = o.a + i * (o.k / 2) + l / 2;
    const uint4 v = valid == 16 && aligned16(src) ? *reinterpret_cast<const uint4 *>(src) : load16_bytes(src, valid);
    store_widened(as + a_word(row, c * 8), as + a_word(row, c * 8 + 4), v);
  }
  {  // B: column block q / 32, source chunk q % 32 of its 512-byte run -> widened chunks 2c, 2c + 1
    const int jb = q >> 5, c = q & 31;
    const int64_t gjb = tile.jb0 + jb, off = static_cast<int64_t>(kt) * 512 + c * 16;
    const uint8_t *src = o.b + gjb * o.b_block_bytes + off;
    const int valid = gjb < o.n16 && off < o.b_block_bytes ? 16 : 0;
    const uint4 v = valid && aligned16(src) ? *reinterpret_cast<const uint4 *>(src) : load16_bytes(src, valid);
    store_widened(bs + Op::b_chunk_byte(jb, 2 * c), bs + Op::b_chunk_byte(jb, 2 * c + 1), v);
  }
}

// A stage by the Op's kind of operands: both 4-bit (widened), an 8-bit A with B converted by the Op
// (kOwnB: Op::load_b), or both copied as they are.
template <class Op, bool kAsync>
__device__ __forceinline__ void load_any_stage(const TcOperands &o, const TcTile &tile, int kt, uint32_t *as, uint8_t *bs) {
  if constexpr (Op::kNibbles) {
    load_stage_nibbles<Op>(o, tile, kt, as, bs);
  } else {
    load_a_stage<kAsync>(o, tile, kt, as);
    if constexpr (Op::kOwnB) Op::load_b(o, tile, kt, bs);
    else load_b_stage<Op, kAsync>(o, tile, kt, bs);
  }
}

template <class Op, bool kAsync>
__device__ __forceinline__ void tc_gemm_tile(const typename Op::Args &p) {
  using namespace lb::cuda_tile;
  __shared__ __align__(16) uint32_t As[kStages][kAWords];
  __shared__ __align__(16) uint8_t Bs[kStages][kBBytes];
  const TcOperands &o = p.op;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const TcTile tile{o.row0 + static_cast<int64_t>(blockIdx.y) * kBM, static_cast<int64_t>(blockIdx.x) * (kBN / 16),
                    warp >> 2, warp & 3, lane >> 2, lane & 3, lane};
  // This block's k stages: all of them, or split blockIdx.z's range.
  const int kt_total = static_cast<int>((o.k + kBK - 1) / kBK), kt_begin = static_cast<int>(blockIdx.z * o.split_kt);
  const int kt_end = static_cast<int>(std::min<int64_t>(kt_total, kt_begin + o.split_kt)), kt_count = kt_end - kt_begin;
  typename Op::Accumulators acc;

  // Prologue: stages 0 .. kStages - 2 in flight. One commit per stage even past the end, so the
  // wait below always counts the same number of groups.
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < kt_count) load_any_stage<Op, kAsync>(o, tile, kt_begin + s, As[s], Bs[s]);
    cp_async_commit();
  }
  for (int j = 0; j < kt_count; ++j) {
    cp_async_wait<kStages - 2>();  // this thread's copies of stage j have landed ...
    __syncthreads();               // ... everyone's too, and everyone is done with stage j - 1
    const int next = j + kStages - 1;
    if (next < kt_count) load_any_stage<Op, kAsync>(o, tile, kt_begin + next, As[next % kStages], Bs[next % kStages]);
    cp_async_commit();

    const int kt = kt_begin + j;
    const uint32_t *as = As[j % kStages];
#pragma unroll
    for (int s = 0; s < kBK / 32; ++s) {  // two k32 steps per stage
      uint32_t af[4][4], bf[4][2];
#pragma unroll
      for (int mi = 0; mi < 4; ++mi) {
        const int row = tile.wm * 64 + mi * 16 + tile.g;
        af[mi][0] = as[a_word(row, 8 * s + tile.t)];
        af[mi][1] = as[a_word(row + 8, 8 * s + tile.t)];
        af[mi][2] = as[a_word(row, 8 * s + 4 + tile.t)];
        af[mi][3] = as[a_word(row + 8, 8 * s + 4 + tile.t)];
      }
      Op::b_fragments(Bs[j % kStages], tile, s, bf);
#pragma unroll
      for (int mi = 0; mi < 4; ++mi)
#pragma unroll
        for (int ni = 0; ni < 4; ++ni) acc.mma(mi, ni, af[mi], bf[ni]);
      acc.end_step(p, tile, 2 * kt + s, 2 * kt_end);  // global k32 step, and the end of this range
    }
  }
  cp_async_wait<0>();  // leave no copy in flight behind the block's exit
  // The epilogue, or (split-K) this split's raw sums for add_split_sums_kernel.
  tile.for_each([&](int mi, int ni, int e, int64_t i, int64_t j) {
    if (i >= o.m || j >= o.n) return;
    if (o.partial) static_cast<typename Op::Raw *>(o.partial)[(static_cast<int64_t>(blockIdx.z) * o.m + i) * o.n + j] = acc.raw(mi, ni, e);
    else Op::finish(p, i, j, acc.raw(mi, ni, e));
  });
}

// The Op's epilogue of one output from its raw sum, for add_split_sums_kernel.
template <class Op>
struct OpFinish {
  typename Op::Args p;
  __device__ void operator()(int64_t i, int64_t j, typename Op::Raw v) const { Op::finish(p, i, j, v); }
};

// One thread block per 128 x 128 tile of D. On architectures below Op::kMinArch (fp8 mma needs
// sm_89) the kernel is an empty trap: its body is not compiled there (the host never launches it).
template <class Op, bool kAsync>
__global__ void __launch_bounds__(lb::cuda_tile::kThreads) tc_gemm_kernel(typename Op::Args p) {
#if defined(__CUDA_ARCH__)
  if constexpr (__CUDA_ARCH__ < Op::kMinArch) {
    __trap();
  } else {
    tc_gemm_tile<Op, kAsync>(p);
  }
#endif
}

// Launches the Op's kernel over all of D on `s`: cp.async when A's rows and both bases are 16-byte
// aligned (and the operands are 8-bit), ordinary loads otherwise; row tiles beyond gridDim.y's 65535
// in further launches. Split-K when the tiles give fewer than 2 thread blocks per SM (decode sizes:
// m <= 128 and n = 4096 are 32 blocks): k is cut into gridDim.z ranges of whole Op::split_stages,
// each writing raw sums to a scratch buffer that add_split_sums_kernel adds up (split_k.cuh).
template <class Op>
cudaError_t launch_tc_gemm(typename Op::Args p, cudaStream_t s) {
  using namespace lb::cuda_tile;
  const bool async = !Op::kNibbles && p.op.k % 16 == 0 && aligned16(p.op.a) && (Op::kOwnB || aligned16(p.op.b));
  const int64_t rows_per_launch = int64_t{65535} * kBM, m = p.op.m;
  const int64_t kt_total = (p.op.k + kBK - 1) / kBK, gran = Op::split_stages(p);
  const int64_t blocks = (p.op.n16 + kBN / 16 - 1) / (kBN / 16) * ((m + kBM - 1) / kBM);
  const SplitK split = choose_split_k(blocks, (kt_total + gran - 1) / gran, kt_total / gran);
  const int64_t splits = split.splits;
  p.op.split_kt = split.granules_per_split * gran;
  p.op.partial = nullptr;
  if (splits > 1) {
    const size_t bytes = static_cast<size_t>(splits * m * p.op.n) * sizeof(typename Op::Raw);
    if (cudaError_t err = cudaMallocAsync(&p.op.partial, bytes, s); err != cudaSuccess) return err;
  }
  const dim3 block(kThreads);
  cudaError_t err = cudaSuccess;
  for (int64_t r0 = 0; r0 < m && err == cudaSuccess; r0 += rows_per_launch) {
    p.op.row0 = r0;
    const dim3 grid(static_cast<unsigned>((p.op.n16 + kBN / 16 - 1) / (kBN / 16)),
                    static_cast<unsigned>((std::min(rows_per_launch, m - r0) + kBM - 1) / kBM), static_cast<unsigned>(splits));
    if constexpr (Op::kNibbles) {
      tc_gemm_kernel<Op, false><<<grid, block, 0, s>>>(p);
    } else {
      if (async) tc_gemm_kernel<Op, true><<<grid, block, 0, s>>>(p);
      else tc_gemm_kernel<Op, false><<<grid, block, 0, s>>>(p);
    }
    err = cudaGetLastError();
  }
  if (p.op.partial) {
    if (err == cudaSuccess)
      err = launch_add_split_sums(static_cast<const typename Op::Raw *>(p.op.partial), splits, m, p.op.n, OpFinish<Op>{p}, s);
    cudaFreeAsync(p.op.partial, s);  // stream-ordered: after the kernels
  }
  return err;
}

}  // namespace lb::cuda
