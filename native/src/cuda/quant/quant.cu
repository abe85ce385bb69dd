// Quantize / dequantize on CUDA. The common shapes take the one-pass kernels of one_pass.cu; the rest
// (MSE clip, blocks off multiples of 8, of more than 65536 values or fewer than the SMs, unaligned views) run four
// simple kernels:
//   1. range:  one warp (blocks of >= 32 columns) or one thread per (row, block column) scans its
//              block_cols values and merges the range into the block's with integer atomics
//              (exact: min/max commute);
//   2. params: one thread per block computes scale/zero with common/quant.h; the MSE clip search
//              runs sequentially in the CPU's order so both backends pick the same clip;
//   3. zeros:  one thread per byte of packed U4 zero points;
//   4. codes:  one thread per run of 8 values (cols and block_cols multiples of 8, aligned
//              bases), else one thread per output byte (two values for I4/U4).
// Dequantize: likewise a thread per run of 8, or per byte. The first versions (a thread per byte or
// per segment everywhere) ran at ~0.2 of the H100's copy bandwidth; the warp-per-segment range pass
// and the run-of-8 kernels at 0.50 (per row) and 0.34 (groups of 128) — x read twice.
#include <cstdint>

#include "../../common/float_io.h"
#include "../../common/quant.h"
#include "../../core/error.h"
#include "../../core/quant_report.h"
#include "../convert/vec8.cuh"
#include "../runtime/runtime.h"
#include "codes8.cuh"
#include "one_pass.cuh"
#include "quant.cuh"

namespace lb::cuda {
namespace {

constexpr int kThreads = 256;

// Merges one (row, block column) segment's range [l, h] into block b's: neg_lo[b] / hi[b] hold the
// bits of -lo and hi (both >= 0, so integer max == float max; min/max do not depend on the order).
__device__ __forceinline__ void merge_range(int64_t b, float l, float h, bool finite, unsigned int *neg_lo, unsigned int *hi,
                                            unsigned long long *bad) {
  if (!finite) note_failure(bad, b);
  // 0.0f - l, not -l: a block scan with no negative value has l == +0, and -(+0) is -0, whose bits
  // (0x80000000) would beat every positive magnitude in the unsigned max.
  atomicMax(&neg_lo[b], float_bits(0.0f - l));
  atomicMax(&hi[b], float_bits(h));
}

// One warp per (row, block column) segment, lanes striding along it: the reads of a warp are
// contiguous (the one-thread-per-segment kernel below reads 32 rows apart, which held quantize to
// ~0.2 of the GPU's copy bandwidth). The same comparisons as that kernel, so the same range.
__global__ void range_warp_kernel(const void *x, lb_dtype t, int64_t rows, int64_t cols, int64_t br, int64_t bc,
                                  unsigned int *neg_lo, unsigned int *hi, unsigned long long *bad) {
  const int64_t C = cols / bc;
  const int64_t w = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (w >= rows * C) return;  // whole warps leave together
  const int64_t r = w / C, cb = w % C;
  float l = 0.0f, h = 0.0f;
  bool finite = true;
  for (int64_t c = cb * bc + lane; c < cb * bc + bc; c += 32) {
    const float v = load_float(x, t, r * cols + c);
    l = v < l ? v : l;
    h = v > h ? v : h;
    finite &= fabsf(v) <= 3.40282347e38f;
  }
#pragma unroll
  for (int off = 16; off >= 1; off >>= 1) {
    const float ol = __shfl_xor_sync(0xffffffffu, l, off), oh = __shfl_xor_sync(0xffffffffu, h, off);
    l = ol < l ? ol : l;
    h = oh > h ? oh : h;
  }
  finite = __all_sync(0xffffffffu, finite);
  if (lane == 0) merge_range((r / br) * C + cb, l, h, finite, neg_lo, hi, bad);
}

__global__ void range_kernel(const void *x, lb_dtype t, int64_t rows, int64_t cols, int64_t br, int64_t bc,
                             unsigned int *neg_lo, unsigned int *hi, unsigned long long *bad) {
  const int64_t C = cols / bc;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * C) return;
  const int64_t r = i / C, cb = i % C;
  float l = 0.0f, h = 0.0f;
  bool finite = true;
  for (int64_t c = cb * bc; c < cb * bc + bc; ++c) {
    const float v = load_float(x, t, r * cols + c);
    l = v < l ? v : l;
    h = v > h ? v : h;
    finite &= fabsf(v) <= 3.40282347e38f;
  }
  merge_range((r / br) * C + cb, l, h, finite, neg_lo, hi, bad);
}

__global__ void params_kernel(lb_quant_params p, const void *x, lb_dtype t, int64_t cols, int64_t blocks,
                              const unsigned int *neg_lo, const unsigned int *hi, BlockParams *out, void *scales,
                              void *zeros_f16, unsigned long long *bad_scale) {
  const int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (b >= blocks) return;
  const int64_t C = cols / p.block_cols, rb = b / C, cb = b % C;
  const float l = -bits_float(neg_lo[b]), h = bits_float(hi[b]);
  const bool restrict_range = (p.flags & LB_QUANT_RESTRICT_RANGE) != 0;
  BlockParams best = block_params(p, l, h, 1.0f);
  if ((p.flags & LB_QUANT_MSE_CLIP) && best.scale != 0.0f) {
    float best_err = 0.0f;
    for (int i = 0; i < kMseSteps; ++i) {
      const BlockParams cand = i == 0 ? best : block_params(p, l, h, mse_clip_ratio(i));
      float err = 0.0f;
      for (int64_t r = rb * p.block_rows; r < (rb + 1) * p.block_rows; ++r)
        for (int64_t c = cb * p.block_cols; c < (cb + 1) * p.block_cols; ++c)
          err = add_rn(err, squared_error(load_float(x, t, r * cols + c), p.qtype, cand, restrict_range));
      if (i == 0 || err < best_err) {
        best_err = err;
        best = cand;
      }
    }
  }
  out[b] = best;
  store_block_params(p, best, b, scales, zeros_f16, bad_scale);
}

__global__ void pack_zeros_kernel(const BlockParams *params, int64_t R, int64_t C, uint8_t *zeros) {
  const int64_t stride = (C + 1) / 2;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= R * stride) return;
  const int64_t rb = i / stride, c0 = (i % stride) * 2;
  uint32_t byte = static_cast<uint32_t>(params[rb * C + c0].zero);
  if (c0 + 1 < C) byte |= static_cast<uint32_t>(params[rb * C + c0 + 1].zero) << 4;
  zeros[i] = static_cast<uint8_t>(byte);
}

// One thread per output byte: `per` values (2 for I4/U4, else 1).
__global__ void codes_kernel(lb_quant_params p, const void *x, lb_dtype t, int64_t rows, int64_t cols,
                             const BlockParams *params, uint8_t *q) {
  const int per = packed_qtype(p.qtype) ? 2 : 1;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * cols / per) return;
  const int64_t C = cols / p.block_cols;
  const bool restrict_range = (p.flags & LB_QUANT_RESTRICT_RANGE) != 0;
  uint32_t byte = 0;
  for (int j = 0; j < per; ++j) {
    const int64_t e = i * per + j, r = e / cols, c = e % cols;
    const BlockParams b = params[(r / p.block_rows) * C + c / p.block_cols];
    const int32_t v = quantize_value(load_float(x, t, e), p.qtype, b, restrict_range);
    byte |= (per == 2 ? nibble_of(v) : (static_cast<uint32_t>(v) & 0xffu)) << (4 * j);
  }
  q[i] = static_cast<uint8_t>(byte);
}

__global__ void dequant_kernel(lb_quant_params p, const uint8_t *q, const void *scales, const void *zeros, int64_t rows,
                               int64_t cols, void *y, lb_dtype yt) {
  const int per = packed_qtype(p.qtype) ? 2 : 1;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * cols / per) return;
  const int64_t C = cols / p.block_cols;
  const uint32_t byte = q[i];
  for (int j = 0; j < per; ++j) {
    const int64_t e = i * per + j, r = e / cols, c = e % cols;
    const BlockParams b = stored_params(p, scales, zeros, r / p.block_rows, c / p.block_cols, C);
    const int32_t v = per == 2 ? value_of_nibble((byte >> (4 * j)) & 0xfu, p.qtype)
                               : (p.qtype == LB_DTYPE_I8 ? static_cast<int32_t>(static_cast<int8_t>(byte)) : static_cast<int32_t>(byte));
    store_float(y, yt, e, dequantize_value(v, p.qtype, b));
  }
}

// The vector path of the code and value passes: a thread per run of 8 elements of one block (one
// 64-bit division per run instead of per element, the block's parameters once, 16-byte loads or
// stores of x / y and 4- or 8-byte ones of the codes). Needs vector_ok (codes8.cuh); the same
// per-element helpers, so the same bits.

// A grid-stride walk over the runs of 8 of a [rows, cols] matrix (cols % 8 == 0: runs never straddle
// rows), keeping each run's row and column and the block column as it advances, so that a step adds
// instead of dividing: the version that divided e0 by cols, then row and column by the block shape,
// spent three 64-bit divisions on every run of 8. Block columns use 32-bit division (the host takes
// these kernels only for cols < 2^31).
struct RunWalk {
  int64_t u, runs, step;  // this run, the run count, runs per step
  int64_t r, c;           // row and column of run u's first element
  int64_t step_r, step_c; // a step: step_r rows and step_c < cols columns
  int64_t cols;

  __device__ RunWalk(int64_t rows, int64_t cols_) : cols(cols_) {
    u = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    step = static_cast<int64_t>(gridDim.x) * blockDim.x;
    runs = rows * cols / 8;
    r = e0() / cols;
    c = e0() - r * cols;
    step_r = 8 * step / cols;
    step_c = 8 * step - step_r * cols;
  }
  __device__ __forceinline__ bool more() const { return u < runs; }
  __device__ __forceinline__ int64_t e0() const { return 8 * u; }  // run u's first element
  __device__ __forceinline__ void next() {
    u += step;
    r += step_r;
    c += step_c;
    if (c >= cols) {
      c -= cols;
      ++r;
    }
  }
  // The run's quant block: its grid row and grid column.
  __device__ __forceinline__ int64_t block_row(const lb_quant_params &p) const { return p.block_rows == 1 ? r : r / p.block_rows; }
  __device__ __forceinline__ int64_t block_col(const lb_quant_params &p) const {
    return static_cast<uint32_t>(c) / static_cast<uint32_t>(p.block_cols);
  }
};

__global__ void codes8_kernel(lb_quant_params p, const void *x, lb_dtype t, int64_t rows, int64_t cols, const BlockParams *params,
                              uint8_t *q) {
  const int64_t C = cols / p.block_cols;
  for (RunWalk w(rows, cols); w.more(); w.next()) {
    float v[8];
    load8(x, t, w.e0(), v);
    quantize8(p, params[w.block_row(p) * C + w.block_col(p)], v, q, w.e0());
  }
}

__global__ void dequant8_kernel(lb_quant_params p, const uint8_t *q, const void *scales, const void *zeros, int64_t rows,
                                int64_t cols, void *y, lb_dtype yt) {
  const int64_t C = cols / p.block_cols;
  for (RunWalk w(rows, cols); w.more(); w.next()) {
    float v[8];
    dequantize8(p, stored_params(p, scales, zeros, w.block_row(p), w.block_col(p), C), q, w.e0(), v);
    store8(y, yt, w.e0(), v);
  }
}

unsigned int grid_for(int64_t n) { return static_cast<unsigned int>((n + kThreads - 1) / kThreads); }

// Grid-stride launches for the vector kernels: enough blocks to fill the GPU, no more.
unsigned int grid_for_runs(int64_t runs) {
  const int64_t cap = int64_t{multiprocessor_count()} * 16;
  const int64_t need = (runs + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(need < cap ? (need > 0 ? need : 1) : cap);
}

}  // namespace

lb_status quantize(const lb_quant_params &p, const void *x, lb_dtype x_dtype, int64_t rows, int64_t cols, void *q,
                   void *scales, void *zeros, lb_stream stream, cudaStream_t s, const char *fn) {
  const int64_t R = rows / p.block_rows, C = cols / p.block_cols, blocks = R * C;
  const OnePassShape shape = one_pass_shape(p, x, rows, cols, q);
  const bool one_pass = shape != OnePassShape::None;
  // Scratch: the two failure indices first (8-byte aligned for their atomics: after 12-byte block
  // parameters they were not, for an odd block count), then for the four-kernel path the ranges
  // (2 x uint per block) and the parameters.
  const size_t bad_bytes = 2 * sizeof(unsigned long long);
  const size_t range_bytes = one_pass ? 0 : static_cast<size_t>(blocks) * 2 * sizeof(unsigned int);
  const size_t bytes = bad_bytes + range_bytes + (one_pass ? 0 : static_cast<size_t>(blocks) * sizeof(BlockParams));
  char *scratch = nullptr;
  if (lb_status st = check(cudaMallocAsync(reinterpret_cast<void **>(&scratch), bytes, s), fn, "cudaMallocAsync")) return st;
  auto *bad = reinterpret_cast<unsigned long long *>(scratch);
  cudaMemsetAsync(bad, 0xff, bad_bytes, s);
  if (one_pass) {
    quantize_one_pass(shape, p, x, x_dtype, rows, cols, q, scales, zeros, bad, s);
    return finish_quantize(fn, p, C, bad, scratch, stream, s);
  }
  auto *neg_lo = reinterpret_cast<unsigned int *>(scratch + bad_bytes);
  auto *hi = neg_lo + blocks;
  auto *params = reinterpret_cast<BlockParams *>(scratch + bad_bytes + range_bytes);
  cudaMemsetAsync(neg_lo, 0, range_bytes, s);
  if (p.block_cols >= 32)  // a warp per segment: coalesced reads
    range_warp_kernel<<<grid_for(rows * C * 32), kThreads, 0, s>>>(x, x_dtype, rows, cols, p.block_rows, p.block_cols, neg_lo, hi, bad);
  else  // narrow blocks (per column, small groups): a thread per segment
    range_kernel<<<grid_for(rows * C), kThreads, 0, s>>>(x, x_dtype, rows, cols, p.block_rows, p.block_cols, neg_lo, hi, bad);
  params_kernel<<<grid_for(blocks), kThreads, 0, s>>>(p, x, x_dtype, cols, blocks, neg_lo, hi, params, scales, zeros, bad + 1);
  if (p.qtype == LB_DTYPE_U4 && p.zero_dtype == LB_DTYPE_U4)
    pack_zeros_kernel<<<grid_for(R * ((C + 1) / 2)), kThreads, 0, s>>>(params, R, C, static_cast<uint8_t *>(zeros));
  const int per = packed_qtype(p.qtype) ? 2 : 1;
  if (vector_ok(p, cols, x, q))
    codes8_kernel<<<grid_for_runs(rows * cols / 8), kThreads, 0, s>>>(p, x, x_dtype, rows, cols, params, static_cast<uint8_t *>(q));
  else
    codes_kernel<<<grid_for(rows * cols / per), kThreads, 0, s>>>(p, x, x_dtype, rows, cols, params, static_cast<uint8_t *>(q));
  return finish_quantize(fn, p, C, bad, scratch, stream, s);
}

namespace {

int64_t failure_index(unsigned long long v) { return v == ~0ull ? kNoBadBlock : static_cast<int64_t>(v); }

}  // namespace

lb_status finish_quantize(const char *fn, const lb_quant_params &p, int64_t C, const unsigned long long *bad, void *scratch,
                          lb_stream stream, cudaStream_t s) {
  lb_status st = check(cudaGetLastError(), fn, "kernel launch");
  if (stream) {  // deferred: the 16 bytes of indices outlive the scratch until the stream is synchronized
    unsigned long long *kept = nullptr;
    if (st == LB_OK) st = check(cudaMallocAsync(reinterpret_cast<void **>(&kept), 2 * sizeof *kept, s), fn, "cudaMallocAsync");
    if (st == LB_OK) st = check(cudaMemcpyAsync(kept, bad, 2 * sizeof *kept, cudaMemcpyDeviceToDevice, s), fn, "cudaMemcpyAsync");
    cudaFreeAsync(scratch, s);
    if (st == LB_OK) {
      stream->pending.push_back({fn, p, C, kept});
    } else if (kept) {
      cudaFreeAsync(kept, s);
    }
    return st;
  }
  unsigned long long host_bad[2];
  if (st == LB_OK) st = check(cudaMemcpyAsync(host_bad, bad, sizeof host_bad, cudaMemcpyDeviceToHost, s), fn, "cudaMemcpyAsync");
  cudaFreeAsync(scratch, s);
  if (st == LB_OK) st = check(cudaStreamSynchronize(s), fn, "kernel execution");
  if (st != LB_OK) return st;
  return quant_report(fn, p, C, failure_index(host_bad[0]), failure_index(host_bad[1]));
}

lb_status report_pending_checks(lb_stream stream) {
  lb_status first = LB_OK;
  for (const lb_pending_quant_check &c : stream->pending) {
    unsigned long long host_bad[2];
    if (first == LB_OK) {
      first = check(cudaMemcpy(host_bad, c.bad, sizeof host_bad, cudaMemcpyDeviceToHost), c.fn, "reading back the checks of x");
      if (first == LB_OK)
        first = quant_report(c.fn, c.params, c.block_cols_count, failure_index(host_bad[0]), failure_index(host_bad[1]));
    }
    cudaFree(c.bad);
  }
  stream->pending.clear();
  return first;
}

void drop_pending_checks(lb_stream stream) {
  for (const lb_pending_quant_check &c : stream->pending) cudaFree(c.bad);
  stream->pending.clear();
}

lb_status dequantize(const lb_quant_params &p, const void *q, const void *scales, const void *zeros, int64_t rows,
                     int64_t cols, void *y, lb_dtype y_dtype, lb_stream stream, cudaStream_t s) {
  const int per = packed_qtype(p.qtype) ? 2 : 1;
  if (vector_ok(p, cols, y, q))
    dequant8_kernel<<<grid_for_runs(rows * cols / 8), kThreads, 0, s>>>(p, static_cast<const uint8_t *>(q), scales, zeros, rows, cols,
                                                                         y, y_dtype);
  else
    dequant_kernel<<<grid_for(rows * cols / per), kThreads, 0, s>>>(p, static_cast<const uint8_t *>(q), scales, zeros, rows,
                                                                     cols, y, y_dtype);
  return finish_launch("lb_dequantize", stream);
}

}  // namespace lb::cuda
