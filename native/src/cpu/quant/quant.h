// CPU backend of the quant family. Row kernels (one ISA each) do the element work: on f32 rows, and
// the grouped and pipelined quantize kernels on F16/BF16 rows too (widened where they are read);
// dispatch.cpp schedules blocks and rows over the pool and widens the other F16/BF16 rows to f32 with
// the convert family's kernels.
#pragma once
#include <stdint.h>

#include <atomic>
#include <climits>
#include <vector>

#include "../../common/quant.h"
#include "../../core/quant_report.h"
#include "../simd/streaming.h"

namespace lb::cpu {

// 16-bit input values as element types of their own, so that a kernel templated on its row's element
// type picks the widening by overload (lanes_avx512.h's load16).
struct Bf16Bits {
  uint16_t bits;
};
struct F16Bits {
  uint16_t bits;
};

// How the grouped kernels find blocks' ranges. Streaming from memory, a float min / max loop (kFloat)
// reads faster on the Zen 4 host (bench/RESULTS.md, 2026-11-27 (19)); for blocks already in cache,
// integer maxes of the values' bits issue fewer operations: of |v| for symmetric_range formats, whose
// parameters need only the largest magnitude (kMagnitude: the range comes back as [-amax, amax]), and
// signed plus unsigned maxes for the others (kBits, common/quant.h's BitsRange). The integer forms find
// NaN and Inf too, since their bits order above every finite value of their sign.
enum class RangeForm { kFloat, kMagnitude, kBits };
inline RangeForm range_form(const lb_quant_params &p, bool cached) {
  return !cached ? RangeForm::kFloat : symmetric_range(p) ? RangeForm::kMagnitude : RangeForm::kBits;
}

// A block's partial range, lane by lane, as code_widen accumulates it row after row: symmetric_range
// formats keep the largest |value|'s bits in `hi` (an unsigned integer max: NaN and Inf order above every
// finite magnitude); the others min and max (from 0) and the probe, v * 0 summed (NaN iff a value was not
// finite). All zero bits is the empty range in both forms.
// ISAs with fewer lanes leave the rest zero.
struct BlockLanes {
  float lo[16], hi[16], probe[16];
};

// The ranges (from 0) of C blocks whose lanes code_widen filled: lo[cb] / hi[cb] ([-amax, amax] for
// symmetric_range formats); returns the first block holding NaN or Inf, or -1.
int lanes_ranges(const BlockLanes *lanes, int64_t C, const lb_quant_params &p, float *lo, float *hi);

struct QuantRowKernels {
  // Widens [lo, hi] by the n values (lo/hi start at 0); false if any value is NaN or Inf.
  bool (*minmax)(const float *x, int64_t n, float *lo, float *hi);
  // block_params(p, lo[i], hi[i], 1) for i < count, bit for bit.
  void (*block_params_many)(const lb_quant_params *p, const float *lo, const float *hi, int64_t count, BlockParams *out);
  // `stream` (here and below): whole 64-byte-aligned lines of the output go out with non-temporal stores
  // (simd/streaming.h; the caller fences); ignored where the ISA has no such path.
  // Codes of n values under one block's parameters: int8 two's complement, a nibble, or fp8.
  void (*quantize_codes)(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *b, uint8_t *codes, bool stream);
  // The dequantize kernels' outputs (y at the first value): F32, or also the F16 / BF16 of `narrows`.
  void (*dequantize_codes)(const uint8_t *codes, int64_t n, lb_dtype qtype, const BlockParams *b, void *y, lb_dtype y_dtype, bool stream);
  // I4/U4 codes of n (even) values straight into packed bytes.
  void (*quantize_packed)(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *b, uint8_t *packed, bool stream);
  // Values of n (even) packed I4/U4 codes under one block's parameters.
  void (*dequantize_packed)(const uint8_t *packed, int64_t n, lb_dtype qtype, const BlockParams *b, void *y, lb_dtype y_dtype,
                            bool stream);
  void (*pack_nibbles)(const uint8_t *codes, int64_t n, uint8_t *packed);    // n even
  void (*unpack_nibbles)(const uint8_t *packed, int64_t n, uint8_t *codes);  // n even
  // Up to 16 consecutive blocks of one row (count <= 16, x at the first; F32, F16 or BF16 values) in one pass: ranges,
  // parameters, scales, zero points and codes, with scales / zeros / q at the first block's entry
  // (U4 packed zeros: its byte; the first block is even). Only for what grouped_ok() accepts; null
  // where the ISA has none. Returns the first block with NaN or Inf (or -1); *bad_scale: the first
  // block whose scale overflows the scale dtype (or -1). `ahead`: memory prefetched while this call
  // makes its codes, as many bytes as its f32 values (the next 16 blocks' values; for 16-bit rows the next
  // 32 blocks'), or null. `stream`: as above (packed codes: the
  // 64-byte lines of each block's whole 128-value runs).
  int (*quantize_groups)(const void *x, lb_dtype x_dtype, int count, const lb_quant_params *p, void *scales, void *zeros, uint8_t *q,
                         int *bad_scale, const float *ahead, bool stream);
  // The values of up to 16 consecutive blocks of one row (the same blocks, pointers and layouts
  // as quantize_groups; any block_rows), as dequantize_value; null where the ISA has none.
  void (*dequantize_groups)(const uint8_t *q, int count, const lb_quant_params *p, const void *scales, const void *zeros,
                            void *y, lb_dtype y_dtype, bool stream);
  // minmax of up to 16 consecutive blocks of bc values (grouped_width_ok: 16..256 columns) in one
  // pass: lo[j], hi[j] for block j < count (from 0, as minmax), in the given form (RangeForm); returns
  // the first block with NaN or Inf, or -1. Null where the ISA has none.
  int (*ranges_groups)(const float *x, int count, int64_t bc, RangeForm form, float *lo, float *hi);
  // The MSE clip search's step: err[c] += the squared errors (common/quant.h, squared_error) of the n
  // values at x under cands[c] for c < count (<= kMseSteps), added in element order, so that a block's
  // error is the same sum whichever way its rows are fed in.
  void (*clip_errors)(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *cands, int count, float *err);
  // Two rows of C blocks (p->block_cols each, a multiple of 128; the same block columns) in one pass
  // (pipelined.inc): the codes of row a under params[cb] into qa (bytes, or packed nibbles), and
  // row b widening lanes[cb]; both rows' values are x_dtype (F32, F16 or BF16). a null: b is only
  // ranged; b null: a is only coded. lo / hi (or null): row a's block ranges, so that blocks passing
  // codes_clamp_free are coded without the clamp. ahead (> 0): as row b is widened, the lines `ahead`
  // bytes past it are prefetched (rows that continue in memory: the next row's), 0: none. Null where the
  // ISA has none (code_widen_ok says when it applies).
  void (*code_widen)(const void *a, const BlockParams *params, const float *lo, const float *hi, uint8_t *qa, const void *b, int64_t C,
                     const lb_quant_params *p, lb_dtype x_dtype, BlockLanes *lanes, bool stream, int64_t ahead);
  // The 16-bit y dtypes (bit 1 << dtype: F16, BF16) the dequantize kernels write themselves, narrowed in
  // registers; for the others they write F32 and dequantize narrows an f32 stage (RowSink).
  uint32_t narrows;
};

// Whether the codes of `elements` values (two I4/U4 codes a byte) go out with non-temporal stores:
// from kStreamBytes (simd/streaming.h), for lb_quantize and the fused rotate + quantize alike.
// Quantize reads four bytes per code byte, so the read-for-ownership of the codes is a fifth of the
// reads (in-process A/Bs from 1 GiB against the streamed copy beside them: fp8 128 x 128 0.66-0.69 ->
// 0.76-0.77 (Zen 5 host, session 11); per row and per group on the Zen 4 host: bench/RESULTS.md,
// 2026-11-27 (15)).
inline bool streams_codes(const lb_quant_params &p, int64_t elements) {
  const int64_t bytes = p.qtype == LB_DTYPE_I4 || p.qtype == LB_DTYPE_U4 ? elements / 2 : elements;
  return bytes >= kStreamBytes;
}

// Block shapes the grouped kernels handle: 16..256 columns (whole 32-column pairs of vectors for
// I4/U4); quantize_groups also needs blocks within a row and no MSE clip search or power-of-two
// scales.
inline bool grouped_width_ok(const lb_quant_params &p) {
  const bool packed = p.qtype == LB_DTYPE_I4 || p.qtype == LB_DTYPE_U4;
  return p.block_cols <= 256 && p.block_cols % (packed ? 32 : 16) == 0;
}
inline bool grouped_ok(const lb_quant_params &p) {
  return grouped_width_ok(p) && p.block_rows == 1 && !(p.flags & (LB_QUANT_MSE_CLIP | LB_QUANT_POW2_SCALE));
}

// symmetric_range (which formats a range [-amax, amax] serves): common/quant.h.

int quantize_groups_avx512(const void *x, lb_dtype x_dtype, int count, const lb_quant_params *p, void *scales, void *zeros, uint8_t *q,
                           int *bad_scale, const float *ahead, bool stream);
int ranges_groups_avx512(const float *x, int count, int64_t bc, RangeForm form, float *lo, float *hi);
void dequantize_groups_avx512(const uint8_t *q, int count, const lb_quant_params *p, const void *scales, const void *zeros,
                              void *y, lb_dtype y_dtype, bool stream);

void code_widen_avx512(const void *a, const BlockParams *params, const float *lo, const float *hi, uint8_t *qa, const void *b, int64_t C,
                       const lb_quant_params *p, lb_dtype x_dtype, BlockLanes *lanes, bool stream, int64_t ahead);
void code_widen_avx2(const void *a, const BlockParams *params, const float *lo, const float *hi, uint8_t *qa, const void *b, int64_t C,
                     const lb_quant_params *p, lb_dtype x_dtype, BlockLanes *lanes, bool stream, int64_t ahead);
// Whether code_widen takes this format's blocks (whole 128-value steps).
inline bool code_widen_ok(const lb_quant_params &p) { return p.block_cols % 128 == 0; }

void clip_errors_avx512(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *cands, int count, float *err);
void clip_errors_avx2(const float *x, int64_t n, const lb_quant_params *p, const BlockParams *cands, int count, float *err);
int ranges_groups_avx2(const float *x, int count, int64_t bc, RangeForm form, float *lo, float *hi);
void block_params_avx2(const lb_quant_params *p, const float *lo, const float *hi, int64_t count, BlockParams *out);

QuantRowKernels quant_row_kernels_scalar();
QuantRowKernels quant_row_kernels_avx2();
QuantRowKernels quant_row_kernels_avx512();

// The row kernels of the active ISA.
QuantRowKernels quant_row_kernels();

// A row of the input as the row kernels take it: F32 values in place; F16 / BF16 ones widened a span of
// blocks at a time into the caller's stage (in L1), where widening the whole row first and then ranging
// and coding the f32 copy from L2 ran bf16 rows at 0.29-0.36 of the copy from memory (2026-11-27 (23)).
struct RowIn {
  const void *x;  // the row's first value
  lb_dtype dtype;
  void (*to_f32)(const void *src, void *dst, int64_t count);  // convert_kernel(dtype, F32); unused for F32

  // The bytes of one F32, F16 or BF16 value.
  static int64_t bytes_of(lb_dtype t) { return t == LB_DTYPE_F32 ? 4 : 2; }
  const char *at(int64_t c) const { return static_cast<const char *>(x) + c * bytes_of(dtype); }
  // Values [c0, c0 + n) as f32: in place, or widened into stage.
  const float *values(int64_t c0, int64_t n, std::vector<float> &stage) const {
    if (dtype == LB_DTYPE_F32) return static_cast<const float *>(x) + c0;
    if (stage.size() < static_cast<size_t>(n)) stage.resize(static_cast<size_t>(n));
    to_f32(at(c0), stage.data(), n);
    return stage.data();
  }
};

// Quantizes whole rows whose blocks lie within the row (block_rows == 1): range, parameters
// (with the MSE clip search when asked), scale, zero point and codes, block after block, while
// the row is in cache. Shared by lb_quantize and the fused rotate+quantize (hadamard family).
// One instance per call; row() may run on several threads, each with its own Scratch.
class RowQuantizer {
 public:
  struct Scratch {
    std::vector<float> lo, hi;
    std::vector<BlockParams> params;
    std::vector<uint8_t> codes;
    std::vector<float> stage;  // 16-bit rows' values widened (RowIn::values)
  };
  // stream: the codes go out with non-temporal stores where the kernels have them (simd/streaming.h);
  // each thread that called row() then fences (fence_streamed) before handing its work back.
  RowQuantizer(const lb_quant_params &p, int64_t cols, void *q, void *scales, void *zeros, bool stream = false);
  // Row r of the matrix, as cols f32 values. `next`, if not null, is the memory the caller reads
  // for the following row (next_bytes of it): the grouped path prefetches its first blocks (when
  // they are the f32 values themselves) while it codes this row's last ones.
  void row(const float *x, int64_t r, Scratch &s, const void *next = nullptr, int64_t next_bytes = 0);
  // Row r of the matrix as cols values of in.dtype. `next`, if not null: the following row's first value
  // (in.dtype too), prefetched while this row's last blocks are coded.
  void row(const RowIn &in, int64_t r, Scratch &s, const void *next);
  // Formats with one block per row on the path that ranges the block itself (not the grouped
  // kernel): the caller may hand row_with_range the range it already has.
  bool takes_ranges() const { return C_ == 1 && !(k_.quantize_groups && grouped_ok(p_)); }
  // row() given lo = min(0, x), hi = max(0, x) and whether all of x is finite (takes_ranges()): the
  // same results without the range pass.
  void row_with_range(const float *x, int64_t r, float lo, float hi, bool finite, Scratch &s);
  // Whether rows() takes this call's rows: blocks too wide for the grouped and span paths (per row) where
  // the ISA has code_widen.
  bool pipelines() const;
  // row() for rows [r0, r1) of the matrix x (cols_ values of x_dtype a row; to_f32 as RowIn's), each coded
  // while the next is ranged (code_widen). Only where pipelines().
  void rows(const void *x, lb_dtype x_dtype, void (*to_f32)(const void *, void *, int64_t), int64_t r0, int64_t r1, Scratch &s);
  // LB_OK, or the first NaN/Inf input block or overflowing scale, reported as `fn`.
  lb_status status(const char *fn) const;
  // Those blocks' row-major indices (kNoBadBlock if none).
  int64_t first_bad_input() const { return bad_input_.load(); }
  int64_t first_bad_scale() const { return bad_scale_.load(); }

 private:
  // row()'s span path: blocks of at most kSpanMaxCols, kSpanBlocks at a time (row_spans).
  static constexpr int64_t kSpanBlocks = 16, kSpanMaxCols = 256;
  // How far ahead rows() prefetches the 16-bit row it ranges (code_widen's `ahead`).
  static constexpr int64_t kRowAheadBytes = 8192;

  void row_grouped(const RowIn &in, int64_t r, const void *next);
  void row_spans(const RowIn &in, int64_t r, Scratch &s, const void *next);
  // Blocks [c0, c0 + n) of row r, whose values start at xs (block c0's first).
  void ranges(const float *xs, int64_t r, int64_t c0, int64_t n, Scratch &s);
  void params(const float *xs, int64_t r, int64_t c0, int64_t n, Scratch &s);
  void row_from_ranges(const float *x, int64_t r, Scratch &s);

  const lb_quant_params p_;
  const QuantRowKernels k_;
  const int64_t cols_, C_;
  uint8_t *q_;
  void *scales_, *zeros_;
  const bool stream_;
  std::atomic<int64_t> bad_input_{kNoBadBlock}, bad_scale_{kNoBadBlock};
};

lb_status quantize(const lb_quant_params &p, const void *x, lb_dtype x_dtype, int64_t rows, int64_t cols, void *q,
                   void *scales, void *zeros);
lb_status dequantize(const lb_quant_params &p, const void *q, const void *scales, const void *zeros, int64_t rows,
                     int64_t cols, void *y, lb_dtype y_dtype);

}  // namespace lb::cpu
