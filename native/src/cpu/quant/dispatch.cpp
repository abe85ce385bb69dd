// lb_quantize / lb_dequantize on the CPU: block statistics, block parameters (with the optional
// MSE clip search), then the rows, each step spread over the pool. F16/BF16 rows are read in place
// by the grouped and pipelined kernels, widened a span at a time (RowIn) elsewhere; F16/BF16 outputs
// are narrowed in registers by the AVX-512 kernels, else from a small f32 stage (RowSink) by the convert
// family's kernels.
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

#include "../../core/cpu_features.h"
#include "../../core/error.h"
#include "../../core/quant_report.h"
#include "../../core/scratch.h"
#include "../../core/thread_pool.h"
#include "../convert/convert.h"
#include "../simd/streaming.h"
#include "quant.h"

namespace lb::cpu {
namespace {

bool is_packed(lb_dtype t) { return t == LB_DTYPE_I4 || t == LB_DTYPE_U4; }
int64_t elem_size(lb_dtype t) { return RowIn::bytes_of(t); }  // F32, F16, BF16 values

// Rows of a [rows, cols] F32/F16/BF16 matrix as f32, converted into `buf` when needed.
struct FloatRows {
  const char *base;
  lb_dtype dtype;
  int64_t cols;
  ConvertFn to_f32;

  RowIn row_in(int64_t r) const { return RowIn{base + r * cols * elem_size(dtype), dtype, to_f32}; }
  // Elements [c0, c0 + n) of row r.
  const float *segment(int64_t r, int64_t c0, int64_t n, std::vector<float> &buf) const { return row_in(r).values(c0, n, buf); }
  const float *row(int64_t r, std::vector<float> &buf) const { return segment(r, 0, cols, buf); }
};

int64_t row_grain(int64_t cols) { return std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(cols, 1)); }

// Records the smallest failing block index (row-major), so the error names the first one.
void note_failure(std::atomic<int64_t> &first, int64_t block) {
  int64_t cur = first.load(std::memory_order_relaxed);
  while (block < cur && !first.compare_exchange_weak(cur, block, std::memory_order_relaxed)) {
  }
}

// err[c] = the sum of squared errors of block (rb, cb) under cands[c], in row-major order (as the
// CUDA backend).
void block_errors(const QuantRowKernels &k, const lb_quant_params &p, const FloatRows &in, int64_t rb, int64_t cb,
                  const BlockParams *cands, int count, float *err, std::vector<float> &buf) {
  for (int64_t r = rb * p.block_rows; r < (rb + 1) * p.block_rows; ++r)
    k.clip_errors(in.segment(r, cb * p.block_cols, p.block_cols, buf), p.block_cols, &p, cands, count, err);
}
// Block (rb, cb)'s entry in the scale grid and in the U4 zero grid (C columns); a packed zero's
// entry is the byte holding its nibble (rows of the grid padded to whole bytes).
template <class V>
V *scale_entry(const lb_quant_params &p, V *scales, int64_t rb, int64_t cb, int64_t C) {
  using Byte = std::conditional_t<std::is_const_v<V>, const char, char>;
  return static_cast<Byte *>(scales) + (rb * C + cb) * (p.scale_dtype == LB_DTYPE_F32 ? 4 : 2);
}
template <class V>
V *zero_entry(const lb_quant_params &p, V *zeros, int64_t rb, int64_t cb, int64_t C) {
  using Byte = std::conditional_t<std::is_const_v<V>, const char, char>;
  if (p.zero_dtype == LB_DTYPE_F16) return static_cast<Byte *>(zeros) + (rb * C + cb) * 2;
  return static_cast<Byte *>(zeros) + rb * ((C + 1) / 2) + cb / 2;
}

// Writes block b's scale and (U4) zero point. Packed U4 zeros share a byte between blocks cb and
// cb+1 of a grid row: call in ascending b within a grid row (the even block sets the byte).
void store_block(const lb_quant_params &p, void *scales, void *zeros, int64_t C, int64_t b, const BlockParams &bp) {
  const uint32_t bits = scale_store_bits(bp.scale, p.scale_dtype);
  if (p.scale_dtype == LB_DTYPE_F32) static_cast<uint32_t *>(scales)[b] = bits;
  else static_cast<uint16_t *>(scales)[b] = static_cast<uint16_t>(bits);
  if (p.qtype != LB_DTYPE_U4) return;
  if (p.zero_dtype == LB_DTYPE_F16) {
    static_cast<uint16_t *>(zeros)[b] = f32_to_f16_bits(bp.zero);
    return;
  }
  const int64_t rb = b / C, cb = b % C;
  uint8_t &z = *static_cast<uint8_t *>(zero_entry(p, zeros, rb, cb, C));
  const uint32_t nib = static_cast<uint32_t>(bp.zero);
  z = static_cast<uint8_t>((cb & 1) ? ((z & 0x0fu) | (nib << 4)) : nib);
}

// The ranges (from 0, as minmax) of blocks [c0, c0 + n) of a row (x: its first value) into lo[cb] /
// hi[cb]: ranges_groups 16 blocks a call where the ISA has it, else minmax block by block. A block
// holding NaN or Inf is noted in `bad` as first_block + cb (ranges_groups names the first of its 16;
// note_failure keeps the least anyway). cached: the blocks were prefetched (range_form).
void block_ranges(const QuantRowKernels &k, const lb_quant_params &p, const float *x, int64_t c0, int64_t n, float *lo,
                  float *hi, std::atomic<int64_t> &bad, int64_t first_block, bool cached) {
  const int64_t bc = p.block_cols;
  if (k.ranges_groups && grouped_width_ok(p)) {
    const RangeForm form = range_form(p, cached);
    for (int64_t cb = c0; cb < c0 + n; cb += 16) {
      const int b = k.ranges_groups(x + cb * bc, static_cast<int>(std::min<int64_t>(16, c0 + n - cb)), bc, form, lo + cb, hi + cb);
      if (b >= 0) note_failure(bad, first_block + cb + b);
    }
    return;
  }
  for (int64_t cb = c0; cb < c0 + n; ++cb) {
    lo[cb] = hi[cb] = 0.0f;
    if (!k.minmax(x + cb * bc, bc, &lo[cb], &hi[cb])) note_failure(bad, first_block + cb);
  }
}

// The codes of block cb of a row (its parameters b) into the row's codes at qrow: bytes, or packed
// nibbles when the block holds whole bytes (even width; the caller checks).
void code_block(const QuantRowKernels &k, const lb_quant_params &p, const float *row, int64_t cb, const BlockParams &b,
                uint8_t *qrow, bool streamed) {
  const int64_t bc = p.block_cols;
  if (is_packed(p.qtype)) k.quantize_packed(row + cb * bc, bc, &p, &b, qrow + cb * bc / 2, streamed);
  else k.quantize_codes(row + cb * bc, bc, &p, &b, qrow + cb * bc, streamed);
}

// The codes of one row, block by block (params: the row's C block parameters). Packed codes go
// straight to q when blocks hold whole bytes (even width); else through `codes` (cols bytes).
// (Prefetching the whole next row during this pass, as it once did, made int8 per-row rows 15%
// slower on one core: far-ahead lines crowd out the ones in use. RowQuantizer::row_spans prefetches
// one span ahead instead.)
void code_row(const QuantRowKernels &k, const lb_quant_params &p, const float *row, const BlockParams *params,
              int64_t C, uint8_t *qrow, std::vector<uint8_t> &codes, bool streamed = false) {
  const int64_t bc = p.block_cols;
  if (!is_packed(p.qtype) || bc % 2 == 0) {
    for (int64_t cb = 0; cb < C; ++cb) code_block(k, p, row, cb, params[cb], qrow, streamed);
  } else {
    codes.resize(static_cast<size_t>(C * bc));
    for (int64_t cb = 0; cb < C; ++cb) k.quantize_codes(row + cb * bc, bc, &p, &params[cb], codes.data() + cb * bc, false);
    k.pack_nibbles(codes.data(), C * bc, qrow);
  }
}

// Byte offset of column c (even for I4/U4) within a row of q.
int64_t q_col_offset(const lb_quant_params &p, int64_t c) { return is_packed(p.qtype) ? c / 2 : c; }

// Byte offset of row r in q.
int64_t q_row_offset(const lb_quant_params &p, int64_t r, int64_t cols) { return is_packed(p.qtype) ? r * (cols / 2) : r * cols; }

// The clip search: starting from the unclipped parameters `best`, the clip ratio whose parameters
// give the least error (the first of equals). errors(cands, count, err) adds each candidate's error to
// err[c] (zeroed here): all candidates in one pass over the block (clip_errors). Both paths call it,
// so they pick alike.
template <class Errors>
BlockParams mse_search(const lb_quant_params &p, float lo, float hi, BlockParams best, Errors errors) {
  BlockParams cands[kMseSteps];
  float err[kMseSteps] = {};
  cands[0] = best;
  for (int i = 1; i < kMseSteps; ++i) cands[i] = block_params(p, lo, hi, mse_clip_ratio(i));
  errors(cands, kMseSteps, err);
  float best_err = err[0];
  for (int i = 1; i < kMseSteps; ++i)
    if (err[i] < best_err) {
      best_err = err[i];
      best = cands[i];
    }
  return best;
}

}  // namespace

int lanes_ranges(const BlockLanes *lanes, int64_t C, const lb_quant_params &p, float *lo, float *hi) {
  int bad = -1;
  const bool sym = symmetric_range(p);
  for (int64_t cb = 0; cb < C; ++cb) {
    const BlockLanes &l = lanes[cb];
    bool finite = true;
    if (sym) {
      uint32_t m = 0;
      for (int j = 0; j < 16; ++j) m = std::max(m, float_bits(l.hi[j]));
      lo[cb] = -bits_float(m);
      hi[cb] = bits_float(m);
      finite = magnitude_finite(m);
    } else {
      float mn = 0.0f, mx = 0.0f;
      for (int j = 0; j < 16; ++j) {
        mn = std::min(mn, l.lo[j]);
        mx = std::max(mx, l.hi[j]);
        finite = finite && l.probe[j] == l.probe[j];
      }
      lo[cb] = mn;
      hi[cb] = mx;
    }
    if (!finite && bad < 0) bad = static_cast<int>(cb);
  }
  return bad;
}

QuantRowKernels quant_row_kernels() {
  switch (current_isa()) {
    case LB_ISA_AVX512: return quant_row_kernels_avx512();
    case LB_ISA_AVX2: return quant_row_kernels_avx2();
    default: return quant_row_kernels_scalar();
  }
}

RowQuantizer::RowQuantizer(const lb_quant_params &p, int64_t cols, void *q, void *scales, void *zeros, bool stream)
    : p_(p), k_(quant_row_kernels()), cols_(cols), C_(cols / p.block_cols), q_(static_cast<uint8_t *>(q)),
      scales_(scales), zeros_(zeros), stream_(stream) {}

void RowQuantizer::row(const float *x, int64_t r, Scratch &s, const void *next, int64_t next_bytes) {
  row(RowIn{x, LB_DTYPE_F32, nullptr}, r, s, next_bytes == cols_ * 4 ? next : nullptr);
}

void RowQuantizer::row(const RowIn &in, int64_t r, Scratch &s, const void *next) {
  const int64_t bc = p_.block_cols, C = C_;
  if (k_.quantize_groups && grouped_ok(p_)) return row_grouped(in, r, next);
  s.lo.resize(static_cast<size_t>(C));
  s.hi.resize(static_cast<size_t>(C));
  s.params.resize(static_cast<size_t>(C));
  if (C > 1 && bc <= kSpanMaxCols && (!is_packed(p_.qtype) || bc % 2 == 0)) return row_spans(in, r, s, next);
  const float *x = in.values(0, cols_, s.stage);
  ranges(x, r, 0, C, s);
  row_from_ranges(x, r, s);
}

void RowQuantizer::row_with_range(const float *x, int64_t r, float lo, float hi, bool finite, Scratch &s) {
  s.lo.assign(1, lo);
  s.hi.assign(1, hi);
  s.params.resize(1);
  if (!finite) note_failure(bad_input_, r);
  row_from_ranges(x, r, s);
}

// The ranges of blocks [c0, c0 + n) of row r (xs: block c0's first value) into s.lo / s.hi.
void RowQuantizer::ranges(const float *xs, int64_t r, int64_t c0, int64_t n, Scratch &s) {
  // A row's spans are prefetched one ahead (row_spans); other rows here are single small blocks.
  block_ranges(k_, p_, xs, 0, n, s.lo.data() + c0, s.hi.data() + c0, bad_input_, r * C_ + c0, true);
}

// The parameters (MSE clip), scales and zero points of blocks [c0, c0 + n) of row r (xs: block c0's
// first value), from their ranges, into s.params.
void RowQuantizer::params(const float *xs, int64_t r, int64_t c0, int64_t n, Scratch &s) {
  const int64_t bc = p_.block_cols, C = C_;
  k_.block_params_many(&p_, s.lo.data() + c0, s.hi.data() + c0, n, s.params.data() + c0);
  for (int64_t cb = c0; cb < c0 + n; ++cb) {
    BlockParams &b = s.params[cb];
    if ((p_.flags & LB_QUANT_MSE_CLIP) && b.scale != 0.0f && __builtin_fabsf(b.scale) <= 3.40282347e38f)
      b = mse_search(p_, s.lo[cb], s.hi[cb], b,
                     [&](const BlockParams *cands, int count, float *err) { k_.clip_errors(xs + (cb - c0) * bc, bc, &p_, cands, count, err); });
    if (!(__builtin_fabsf(b.scale) <= 3.40282347e38f)) note_failure(bad_scale_, r * C + cb);
    store_block(p_, scales_, zeros_, C, r * C + cb, b);
  }
}

// row() once the ranges of its C blocks are in s.lo / s.hi: parameters (MSE clip), scales, codes.
void RowQuantizer::row_from_ranges(const float *x, int64_t r, Scratch &s) {
  params(x, r, 0, C_, s);
  code_row(k_, p_, x, s.params.data(), C_, q_ + q_row_offset(p_, r, cols_), s.codes, stream_);
}

// Rows the grouped kernel does not take (AVX2 and scalar; AVX-512 with the MSE clip or power-of-two
// scales): spans of kSpanBlocks blocks, each ranged (block_ranges),
// parametrised and coded while in L1, and while a span is coded the lines of the next one (the
// next row's first for the last span: next_f32) are prefetched, one block's per block coded. Range
// then code over the whole row left memory idle during the code pass (the grouped AVX-512 kernel
// overlaps them the same way). The same kernels in the same order per block: the same bits.
void RowQuantizer::row_spans(const RowIn &in, int64_t r, Scratch &s, const void *next) {
  const int64_t bc = p_.block_cols, C = C_;
  uint8_t *qrow = q_ + q_row_offset(p_, r, cols_);
  for (int64_t g = 0; g < C; g += kSpanBlocks) {
    const int64_t n = std::min<int64_t>(kSpanBlocks, C - g);
    const float *xs = in.values(g * bc, n * bc, s.stage);
    ranges(xs, r, g, n, s);
    params(xs, r, g, n, s);
    // The next span's lines, as many bytes as this span's f32 values (16-bit rows: two spans ahead).
    const char *ahead = static_cast<const char *>(g + n < C ? in.at((g + n) * bc) : next);
    for (int64_t cb = g; cb < g + n; ++cb) {
      if (ahead)
        for (int64_t i = 0; i < bc * 4; i += 64) __builtin_prefetch(ahead + (cb - g) * bc * 4 + i, 0, 3);
      code_block(k_, p_, xs, cb - g, s.params[cb], qrow + q_col_offset(p_, g * bc), stream_);
    }
  }
}

// Sixteen blocks at a time through quantize_groups (one pass over them, in L1; 16-bit rows as they are).
// `next`: the following row's first value, or null.
void RowQuantizer::row_grouped(const RowIn &in, int64_t r, const void *next) {
  const int64_t bc = p_.block_cols, C = C_;
  uint8_t *qrow = q_ + q_row_offset(p_, r, cols_);
  for (int64_t g = 0; g < C; g += 16) {
    const int count = static_cast<int>(std::min<int64_t>(16, C - g));
    void *zeros = p_.qtype == LB_DTYPE_U4 ? zero_entry(p_, zeros_, r, g, C) : nullptr;
    int bad_scale = -1;
    const void *ahead = g + 16 < C ? in.at((g + 16) * bc) : next;
    const int bad_input = k_.quantize_groups(in.at(g * bc), in.dtype, count, &p_, scale_entry(p_, scales_, r, g, C), zeros,
                                             qrow + q_col_offset(p_, g * bc), &bad_scale, static_cast<const float *>(ahead), stream_);
    if (bad_input >= 0) note_failure(bad_input_, r * C + g + bad_input);
    if (bad_scale >= 0) note_failure(bad_scale_, r * C + g + bad_scale);
  }
}

bool RowQuantizer::pipelines() const { return k_.code_widen && code_widen_ok(p_) && p_.block_cols > kSpanMaxCols; }

// Each row's parameters come from the lanes its predecessor's call widened, then its codes are made
// while the next row widens the other set: the memory stream of the range pass never waits for a code
// pass. The same ranges (exact maxima) and the same code kernels per block: the same bits as row().
// 16-bit rows: the widened row's lines kRowAheadBytes ahead are prefetched as it goes (into the row after
// it). From 1 GiB, 2 threads, in-process A/B both orders (Zen 5 host, 2026-11-27 (23)): BF16 rows fp8
// +6-16%, int8 +12-21%, int4 +14-22%; f32 rows int8 -6 to -19%, fp8 0 to +13%, so f32 rows go without.
void RowQuantizer::rows(const void *x, lb_dtype x_dtype, void (*to_f32)(const void *, void *, int64_t), int64_t r0, int64_t r1,
                        Scratch &s) {
  const int64_t C = C_, cols = cols_;
  s.lo.resize(static_cast<size_t>(C));
  s.hi.resize(static_cast<size_t>(C));
  s.params.resize(static_cast<size_t>(C));
  const auto row_in = [&](int64_t r) { return RowIn{static_cast<const char *>(x) + r * cols * elem_size(x_dtype), x_dtype, to_f32}; };
  const int64_t ahead = x_dtype == LB_DTYPE_F32 ? 0 : kRowAheadBytes;
  BlockLanes *lanes = thread_scratch<BlockLanes>(kScratchQuantLanes, C);
  std::memset(lanes, 0, static_cast<size_t>(C) * sizeof(BlockLanes));
  k_.code_widen(nullptr, nullptr, nullptr, nullptr, nullptr, row_in(r0).x, C, &p_, x_dtype, lanes, stream_, ahead);
  for (int64_t r = r0; r < r1; ++r) {
    const RowIn row = row_in(r);
    const int bad = lanes_ranges(lanes, C, p_, s.lo.data(), s.hi.data());
    if (bad >= 0) note_failure(bad_input_, r * C + bad);
    // Only the clip search reads the values here: 16-bit rows are widened for it alone.
    params((p_.flags & LB_QUANT_MSE_CLIP) ? row.values(0, cols, s.stage) : nullptr, r, 0, C, s);
    std::memset(lanes, 0, static_cast<size_t>(C) * sizeof(BlockLanes));
    k_.code_widen(row.x, s.params.data(), s.lo.data(), s.hi.data(), q_ + q_row_offset(p_, r, cols), r + 1 < r1 ? row_in(r + 1).x : nullptr,
                  C, &p_, x_dtype, lanes, stream_, ahead);
  }
}

lb_status RowQuantizer::status(const char *fn) const { return quant_report(fn, p_, C_, bad_input_.load(), bad_scale_.load()); }

namespace {

// Blocks within one row (per row, per group, 1 x 128): each row is read once, while in cache.
lb_status quantize_rowwise(const lb_quant_params &p, const FloatRows &in, int64_t rows, int64_t cols, void *q,
                           void *scales, void *zeros, bool stream) {
  RowQuantizer rq(p, cols, q, scales, zeros, stream);
  const bool pipelined = rq.pipelines();
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    RowQuantizer::Scratch s;
    if (pipelined) {
      rq.rows(in.base, in.dtype, in.to_f32, r0, r1, s);
    } else {
      for (int64_t r = r0; r < r1; ++r) rq.row(in.row_in(r), r, s, r + 1 < r1 ? in.row_in(r + 1).x : nullptr);
    }
    fence_streamed(stream);
  });
  return rq.status("lb_quantize");
}

// Blocks spanning rows (128 x 128 and the like), in four steps over a strip of whole grid rows
// from grid row rb0: the range of every (row, block column) (at lo / hi + (r - rb0 * br) * C),
// the block parameters with the clip search (at params + (rb - rb0) * C + cb), the scales and zero
// points, then the codes. One method per step's loop body, so that the caller chooses the work
// item: a strip with each step spread over the pool, or one grid row per thread.
class BlockRowQuantizer {
 public:
  // stream: the codes (byte formats) go out with non-temporal stores; threads that ran codes() fence
  // (fence_streams) before handing back.
  BlockRowQuantizer(const lb_quant_params &p, const FloatRows &in, int64_t cols, void *q, void *scales, void *zeros, bool stream)
      : p_(p), in_(in), k_(quant_row_kernels()), C_(cols / p.block_cols), q_(static_cast<uint8_t *>(q)),
        scales_(scales), zeros_(zeros), stream_(stream) {}

  int64_t C() const { return C_; }
  void fence_streams() const { fence_streamed(stream_); }

  // 1. The ranges of the strip's rows [i0, i1).
  void ranges(int64_t rb0, int64_t i0, int64_t i1, float *lo, float *hi) {
    const int64_t br = p_.block_rows, C = C_, r0 = rb0 * br;
    std::vector<float> buf;
    for (int64_t r = r0 + i0; r < r0 + i1; ++r) {
      block_ranges(k_, p_, in_.row(r, buf), 0, C, lo + (r - r0) * C, hi + (r - r0) * C, bad_input_, (r / br) * C, false);
    }
  }

  // 2. The parameters of the strip's blocks [b0, b1) (block b: grid row rb0 + b / C).
  void params(int64_t rb0, int64_t b0, int64_t b1, const float *lo, const float *hi, BlockParams *params) {
    const int64_t br = p_.block_rows, C = C_, r0 = rb0 * br;
    std::vector<float> buf;
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t rb = rb0 + b / C, cb = b % C;
      float l = 0.0f, h = 0.0f;
      for (int64_t r = rb * br; r < rb * br + br; ++r) {
        l = std::min(l, lo[(r - r0) * C + cb]);
        h = std::max(h, hi[(r - r0) * C + cb]);
      }
      params[b] = block_params_of(rb, cb, l, h, buf);
    }
  }

  // 3. The scales and zero points of blocks [b0, b0 + n) (row-major; in ascending order, as store_block
  // needs).
  void store(int64_t b0, int64_t n, const BlockParams *params) {
    for (int64_t b = 0; b < n; ++b) store_block(p_, scales_, zeros_, C_, b0 + b, params[b]);
  }

  // 4. The codes of the strip's rows [i0, i1).
  void codes(int64_t rb0, int64_t i0, int64_t i1, const BlockParams *params) {
    const int64_t br = p_.block_rows, r0 = rb0 * br, cols = C_ * p_.block_cols;
    std::vector<float> buf;
    std::vector<uint8_t> codes;
    for (int64_t r = r0 + i0; r < r0 + i1; ++r)
      code_row(k_, p_, in_.row(r, buf), &params[(r / br - rb0) * C_], C_, q_ + q_row_offset(p_, r, cols), codes, stream_);
  }

  // Steps 1-4 with code_widen (pipelines(): f32 rows, the ISA has it) over grid rows [rb0, rb1) in units,
  // each coded row by row while the same row of the next unit is ranged, so that the range pass's reads
  // from memory never wait for a code pass. A unit is a whole grid row up to kWholeGridRowBytes, else a
  // panel of P block columns of it (128 rows x 4 x 512 bytes for 128 x 128 f32), which is still in L2
  // when it is coded; its rows' parts of the next panel are prefetched kAheadRows ahead, since 128 runs
  // of 32 lines are too short for the hardware prefetcher (the note on quantize_grid_rows). fp8 128 x 128
  // from 1 GiB, 2 threads, in-process A/B (Zen 5 host, 2026-11-27): at 4096 columns whole grid rows
  // 0.55 -> 0.63 of the copy, panels of 4 / 8 0.48 -> 0.52 / 0.50 -> 0.55; at 16384 columns whole grid
  // rows 0.45 -> 0.33 (8 MiB of ranging between a row's two passes: it is read from memory twice),
  // panels of 4 0.45-0.48 -> 0.52-0.54 (8 rows ahead; 16: the same). Exact ranges and the same code
  // kernels per block: the same bits as the four steps.
  // Rows of 16-bit values stay 16-bit in cache (code_widen widens them a step at a time), so whole grid
  // rows and panels count their bytes as stored, and 16-bit grid rows are whole up to twice the bytes: the
  // code pass reads half the bytes a value from L3. fp8 128 x 128 from BF16, 16384 columns (4 MiB grid
  // rows), 1 GiB, 2 threads, three alternating runs: panels 0.32 / 0.36 / 0.40 of the copy, whole grid
  // rows 0.59 / 0.60 / 0.45; f32 rows of 8192 columns (the same 4 MiB) whole: 0.47-0.55 against panels
  // 0.50-0.55 (Zen 5 host, 2026-11-27 (23)).
  bool pipelines() const { return k_.code_widen && code_widen_ok(p_); }
  void grid_rows_pipelined(int64_t rb0, int64_t rb1) {
    const int64_t br = p_.block_rows, bc = p_.block_cols, C = C_, cols = C_ * bc, eb = elem_size(in_.dtype);
    const bool whole = br * cols * eb <= (eb == 4 ? kWholeGridRowBytes : 2 * kWholeGridRowBytes);
    const int64_t P = whole || C <= kPanelBlocks ? C : C % kPanelBlocks == 0 ? kPanelBlocks : C % 2 == 0 ? 2 : 1, panels = C / P;
    const int64_t units = (rb1 - rb0) * panels;
    BlockLanes *lanes = thread_scratch<BlockLanes>(kScratchQuantLanes, P), *next = thread_scratch<BlockLanes>(kScratchQuantLanes2, P);
    float *lo = thread_scratch<float>(kScratchQuantLo, P), *hi = thread_scratch<float>(kScratchQuantHi, P);
    BlockParams *params = thread_scratch<BlockParams>(kScratchQuantParams, P);
    std::vector<float> buf;
    const size_t lane_bytes = static_cast<size_t>(P) * sizeof(BlockLanes);
    // Unit u's first block (grid row, block column) and the first value of its row i.
    const auto block_of = [&](int64_t u) { return (rb0 + u / panels) * C + (u % panels) * P; };
    const auto values = [&](int64_t u, int64_t i) { return in_.base + (((rb0 + u / panels) * br + i) * cols + (u % panels) * P * bc) * eb; };
    const auto prefetch = [&](const char *v) {
      if (!whole)
        for (int64_t k = 0; k < P * bc * eb; k += 64) __builtin_prefetch(v + k, 0, 3);
    };
    std::memset(lanes, 0, lane_bytes);
    for (int64_t i = 0; i < br; ++i) {
      if (i + kAheadRows < br) prefetch(values(0, i + kAheadRows));
      k_.code_widen(nullptr, nullptr, nullptr, nullptr, nullptr, values(0, i), P, &p_, in_.dtype, lanes, stream_, 0);
    }
    // After a failure the outputs are unspecified: units are then only read for an earlier one.
    for (int64_t u = 0; u < units && bad_input_.load() >= block_of(u); ++u) {
      const int64_t b0 = block_of(u), rb = b0 / C;
      const int bad = lanes_ranges(lanes, P, p_, lo, hi);
      if (bad >= 0) note_failure(bad_input_, b0 + bad);
      // A failed unit is not coded, but the next one is still ranged: an input failure there outranks a
      // scale failure here.
      bool code = !input_failed() && bad_scale_.load() >= b0;
      if (code) {
        for (int64_t c = 0; c < P; ++c) params[c] = block_params_of(rb, b0 % C + c, lo[c], hi[c], buf);
        code = !failed();
        if (code) store(b0, P, params);
      }
      const bool more = u + 1 < units;
      std::memset(next, 0, lane_bytes);
      for (int64_t i = 0; i < br; ++i) {
        const int64_t r = rb * br + i;
        if (more && i + kAheadRows < br) prefetch(values(u + 1, i + kAheadRows));
        k_.code_widen(code ? values(u, i) : nullptr, params, lo, hi, q_ + q_row_offset(p_, r, cols) + q_col_offset(p_, (b0 % C) * bc),
                      more ? values(u + 1, i) : nullptr, P, &p_, in_.dtype, next, stream_, 0);
      }
      std::swap(lanes, next);
    }
  }

  // The report names the first block with NaN / Inf input, else the first whose scale overflows
  // (as the CUDA backend): these say which work a thread may skip without changing it.
  bool input_failed() const { return bad_input_.load() != kNoBadBlock; }
  bool input_failed_before(int64_t rb) const { return bad_input_.load() < rb * C_; }
  bool scale_failed_before(int64_t rb) const { return bad_scale_.load() < rb * C_; }
  bool failed() const { return input_failed() || bad_scale_.load() != kNoBadBlock; }
  lb_status status() const { return quant_report("lb_quantize", p_, C_, bad_input_.load(), bad_scale_.load()); }

 private:
  const lb_quant_params p_;
  const FloatRows in_;
  const QuantRowKernels k_;
  const int64_t C_;
  uint8_t *q_;
  void *scales_, *zeros_;
  const bool stream_;
  std::atomic<int64_t> bad_input_{kNoBadBlock}, bad_scale_{kNoBadBlock};

  // grid_rows_pipelined's units (see there): whole grid rows up to kWholeGridRowBytes, else panels of up to
  // kPanelBlocks block columns, their rows prefetched kAheadRows ahead.
  static constexpr int64_t kWholeGridRowBytes = int64_t{2} << 20, kPanelBlocks = 4, kAheadRows = 8;

  // Block (rb, cb)'s parameters from its range [l, h], with the clip search; notes an overflowing scale.
  BlockParams block_params_of(int64_t rb, int64_t cb, float l, float h, std::vector<float> &buf) {
    BlockParams best = block_params(p_, l, h, 1.0f);
    if ((p_.flags & LB_QUANT_MSE_CLIP) && best.scale != 0.0f) {
      best = mse_search(p_, l, h, best,
                        [&](const BlockParams *cands, int count, float *err) { block_errors(k_, p_, in_, rb, cb, cands, count, err, buf); });
    }
    if (!(__builtin_fabsf(best.scale) <= 3.40282347e38f)) note_failure(bad_scale_, rb * C_ + cb);
    return best;
  }
};

// One grid row per work item, all four steps on one thread: no barrier between the steps, so while
// one thread reads its next grid row from memory (the range step) another codes its own from
// cache, where the strip path has every thread in the same step at once (fp8 128 x 128 from 1 GiB:
// 0.49 -> 0.63 of the copy at 4096 columns, 0.49 -> 0.55 at 16384). Work items narrower than a
// grid row (panels of block columns, 2 to 16 blocks, their input staged or not) were slower still
// (0.3): reading 128 short row segments at once starves the hardware prefetcher.
lb_status quantize_grid_rows(BlockRowQuantizer &bq, int64_t R, int64_t br) {
  const int64_t C = bq.C();
  parallel_for(R, 1, [&](int64_t rb0, int64_t rb1) {
    if (bq.pipelines()) {
      bq.grid_rows_pipelined(rb0, rb1);
    } else {
      float *lo = thread_scratch<float>(kScratchQuantLo, br * C), *hi = thread_scratch<float>(kScratchQuantHi, br * C);
      BlockParams *params = thread_scratch<BlockParams>(kScratchQuantParams, C);
      // After a failure the outputs are unspecified: a grid row is then only read for an earlier
      // failure than the one recorded.
      for (int64_t rb = rb0; rb < rb1 && !bq.input_failed_before(rb); ++rb) {
        bq.ranges(rb, 0, br, lo, hi);
        if (bq.input_failed() || bq.scale_failed_before(rb)) continue;
        bq.params(rb, 0, C, lo, hi, params);
        if (bq.failed()) continue;
        bq.store(rb * C, C, params);
        bq.codes(rb, 0, br, params);
      }
    }
    bq.fence_streams();
  });
  return bq.status();
}

// Strips of whole grid rows (~4 MiB of input, still in cache when the code step reads it again;
// the whole matrix would come from memory twice), each step spread over the pool: for matrices
// with too few grid rows to give every thread its own.
lb_status quantize_strips(BlockRowQuantizer &bq, const lb_quant_params &p, int64_t R, int64_t cols, int64_t row_bytes) {
  const int64_t br = p.block_rows, C = bq.C();
  const int64_t strip_blocks = std::max<int64_t>(1, (int64_t{4} << 20) / std::max<int64_t>(1, br * row_bytes));
  float *lo = thread_scratch<float>(kScratchQuantLo, strip_blocks * br * C), *hi = thread_scratch<float>(kScratchQuantHi, strip_blocks * br * C);
  BlockParams *params = thread_scratch<BlockParams>(kScratchQuantParams, strip_blocks * C);
  const int64_t param_grain = (p.flags & LB_QUANT_MSE_CLIP) ? 1 : std::max<int64_t>(1, 4096 / br);
  for (int64_t rb0 = 0; rb0 < R; rb0 += strip_blocks) {
    const int64_t rb1 = std::min(R, rb0 + strip_blocks), rows = (rb1 - rb0) * br;
    parallel_for(rows, row_grain(cols), [&](int64_t i0, int64_t i1) { bq.ranges(rb0, i0, i1, lo, hi); });
    if (bq.input_failed()) break;
    if (bq.failed()) continue;  // an earlier strip's scale: only an input failure can still be reported
    parallel_for((rb1 - rb0) * C, param_grain, [&](int64_t b0, int64_t b1) { bq.params(rb0, b0, b1, lo, hi, params); });
    if (bq.failed()) continue;
    bq.store(rb0 * C, (rb1 - rb0) * C, params);
    parallel_for(rows, row_grain(cols), [&](int64_t i0, int64_t i1) {
      bq.codes(rb0, i0, i1, params);
      bq.fence_streams();
    });
  }
  return bq.status();
}

}  // namespace

lb_status quantize(const lb_quant_params &p, const void *x, lb_dtype x_dtype, int64_t rows, int64_t cols, void *q,
                   void *scales, void *zeros) {
  const int64_t br = p.block_rows, R = rows / br;
  const FloatRows in{static_cast<const char *>(x), x_dtype, cols, convert_kernel(x_dtype, LB_DTYPE_F32)};
  const bool stream = streams_codes(p, rows * cols);
  if (br == 1) return quantize_rowwise(p, in, rows, cols, q, scales, zeros, stream);
  BlockRowQuantizer bq(p, in, cols, q, scales, zeros, stream);
  if (R >= 2 * num_threads()) return quantize_grid_rows(bq, R, br);
  return quantize_strips(bq, p, R, cols, cols * elem_size(x_dtype));
}

namespace {

// Where dequantize puts a row's values: y itself (F32, or F16 / BF16 when the kernels narrow to it: AVX-512
// both, AVX2 F16), or a stage of kStage f32 values in L1 narrowed into y (the other 16-bit outputs)
// whenever the next piece would not fit, and at the row's end. The stage is small so that the narrowing's
// non-temporal stores and the next piece's code reads take turns often: a phase of stores only leaves the
// reads idle, and the other way round. BF16 outputs from 1 GiB, 2 threads (Zen 5
// host, AVX-512, 2026-11-27 (23)): the whole row in an f32 buffer 0.34-0.43 of the copy; stages of 4096 / 1024 /
// 512 values: int8 per row 0.43-0.48 / 0.55 / 0.47-0.52, int4 g128 0.40-0.43 / 0.46-0.49 / 0.45-0.49,
// fp8 128 x 128 0.33-0.37 / 0.56 / 0.46-0.53; one thread, int8 per row 14.2 / 18.3 / 18.3 GB/s.
class RowSink {
 public:
  static constexpr int64_t kStage = 1024;
  // narrows: QuantRowKernels::narrows.
  RowSink(void *y, lb_dtype y_dtype, int64_t cols, uint32_t narrows, ConvertFn from_f32)
      : y_(static_cast<char *>(y)), y_dtype_(y_dtype), eb_(elem_size(y_dtype)), cols_(cols),
        direct_(y_dtype == LB_DTYPE_F32 || ((narrows >> y_dtype) & 1u)), from_f32_(from_f32), stage_(direct_ ? 0 : kStage) {}
  // Whether take() returns y itself (the kernels then write, and stream, y's dtype).
  bool direct() const { return direct_; }
  // The dtype of what take() returns: y's, or F32 (the stage).
  lb_dtype dtype() const { return direct_ ? y_dtype_ : LB_DTYPE_F32; }
  // The most values one take() may ask for.
  int64_t most() const { return direct_ ? INT64_MAX : kStage; }
  void start(int64_t r) {
    r_ = r;
    s0_ = 0;
  }
  // Room for the row's values [c, c + n) (n <= most(); c: where the previous piece ended).
  void *take(int64_t c, int64_t n) {
    if (direct_) return y_ + (r_ * cols_ + c) * eb_;
    if (c + n - s0_ > kStage) flush(c);
    return stage_.data() + (c - s0_);
  }
  // Narrows the staged values [s0, c) into y.
  void flush(int64_t c) {
    if (!direct_ && c > s0_) from_f32_(stage_.data(), y_ + (r_ * cols_ + s0_) * eb_, c - s0_);
    s0_ = c;
  }

 private:
  char *y_;
  const lb_dtype y_dtype_;
  const int64_t eb_, cols_;
  const bool direct_;
  const ConvertFn from_f32_;
  std::vector<float> stage_;
  int64_t r_ = 0, s0_ = 0;
};

// Rows through dequantize_groups, 16 blocks at a time (staged 16-bit outputs: as many as fill the stage).
lb_status dequantize_grouped(const QuantRowKernels &k, const lb_quant_params &p, const void *q, const void *scales,
                             const void *zeros, int64_t rows, int64_t cols, void *y, lb_dtype y_dtype, bool stream) {
  const int64_t bc = p.block_cols, C = cols / bc;
  const ConvertFn from_f32 = convert_kernel(LB_DTYPE_F32, y_dtype, false, stream);
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    RowSink sink(y, y_dtype, cols, k.narrows, from_f32);
    // An even count: packed U4 zero points come in pairs of blocks.
    const int64_t per = std::max<int64_t>(2, std::min<int64_t>(16, sink.most() / bc));
    // Streamed by the kernel when it writes y, else by the stage's narrowing.
    const bool kernel_streams = stream && sink.direct();
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t rb = r / p.block_rows;
      const uint8_t *in = static_cast<const uint8_t *>(q) + q_row_offset(p, r, cols);
      sink.start(r);
      for (int64_t g = 0; g < C; g += per) {
        const int count = static_cast<int>(std::min<int64_t>(per, C - g));
        const void *z = p.qtype == LB_DTYPE_U4 ? zero_entry(p, zeros, rb, g, C) : nullptr;
        k.dequantize_groups(in + q_col_offset(p, g * bc), count, &p, scale_entry(p, scales, rb, g, C), z, sink.take(g * bc, count * bc),
                            sink.dtype(), kernel_streams);
      }
      sink.flush(cols);
    }
    fence_streamed(stream);
  });
  return LB_OK;
}

}  // namespace

lb_status dequantize(const lb_quant_params &p, const void *q, const void *scales, const void *zeros, int64_t rows,
                     int64_t cols, void *y, lb_dtype y_dtype) {
  const int64_t br = p.block_rows, bc = p.block_cols, R = rows / br, C = cols / bc;
  const QuantRowKernels k = quant_row_kernels();
  const bool packed = is_packed(p.qtype);
  // Outputs of kStreamBytes and more go out with non-temporal stores (simd/streaming.h): to F32 four
  // bytes written per code read, so the read-for-ownership was up to 4 / 9 of the traffic (int8 per row
  // from 1 GiB, in-process A/B: 0.97-1.15 -> 1.10-1.24 of the copy, which pays it too). F16 / BF16 rows
  // are narrowed by the kernels (AVX-512) or made in an f32 stage and streamed by the convert kernel (RowSink).
  const bool stream = rows * cols * elem_size(y_dtype) >= kStreamBytes;
  const ConvertFn from_f32 = convert_kernel(LB_DTYPE_F32, y_dtype, false, stream);
  // Blocks spanning rows share their parameters over many rows, so the table below costs little
  // there (and the grouped kernel was 20% slower in cache on 128 x 128 fp8 blocks).
  if (k.dequantize_groups && grouped_width_ok(p) && p.block_rows == 1)
    return dequantize_grouped(k, p, q, scales, zeros, rows, cols, y, y_dtype, stream);
  BlockParams *params = thread_scratch<BlockParams>(kScratchQuantParams, R * C);
  parallel_for(R * C, 4096, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) params[b] = stored_params(p, scales, zeros, b / C, b % C, C);
  });

  // Packed codes are read in place when blocks hold whole bytes (even width); else unpacked first.
  const bool direct = !packed || bc % 2 == 0;
  parallel_for(rows, row_grain(cols), [&](int64_t r0, int64_t r1) {
    RowSink sink(y, y_dtype, cols, k.narrows, from_f32);
    const bool kernel_streams = stream && sink.direct();
    std::vector<uint8_t> codes(direct ? 0 : static_cast<size_t>(cols));
    // Pieces of at most a stage (even: packed blocks are even wide on the direct path).
    const int64_t piece = std::min(bc, sink.most());
    for (int64_t r = r0; r < r1; ++r) {
      const uint8_t *in = static_cast<const uint8_t *>(q) + q_row_offset(p, r, cols);
      if (!direct) {
        k.unpack_nibbles(in, cols, codes.data());
        in = codes.data();
      }
      sink.start(r);
      for (int64_t cb = 0; cb < C; ++cb) {
        const BlockParams *bp = &params[(r / br) * C + cb];
        for (int64_t c = cb * bc; c < (cb + 1) * bc; c += piece) {
          const int64_t n = std::min(piece, (cb + 1) * bc - c);
          if (packed && direct) k.dequantize_packed(in + c / 2, n, p.qtype, bp, sink.take(c, n), sink.dtype(), kernel_streams);
          else k.dequantize_codes(in + c, n, p.qtype, bp, sink.take(c, n), sink.dtype(), kernel_streams);
        }
      }
      sink.flush(cols);
    }
    fence_streamed(stream);
  });
  return LB_OK;
}

}  // namespace lb::cpu
