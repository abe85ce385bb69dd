// lb_hadamard_transform / lb_hadamard_quantize on the CPU: rows spread over the pool, each
// transformed by the row kernel of the active ISA (kernels.inc) in per-thread buffers. The fused
// rotate+quantize lets the row kernel write f32 into a buffer and hands that to the quant family's
// row quantizer while it is still in cache.
#include <algorithm>
#include <cmath>
#include <vector>

#include "../../common/hadamard.h"
#include "../../core/cpu_features.h"
#include "../../core/hadamard_orders.h"
#include "../../core/thread_pool.h"
#include "../quant/quant.h"
#include "../simd/streaming.h"
#include "hadamard.h"

namespace lb::cpu {
namespace {

HadamardRowFn row_kernel(lb_dtype x, lb_dtype y) {
  switch (current_isa()) {
    case LB_ISA_AVX512: return hadamard_row_kernel_avx512(x, y);
    case LB_ISA_AVX2: return hadamard_row_kernel_avx2(x, y);
    default: return hadamard_row_kernel_scalar(x, y);
  }
}

int64_t elem_size(lb_dtype t) { return t == LB_DTYPE_F32 ? 4 : 2; }

// The row job shared by every row of one call (per row only x, y and the buffers change), with
// the tables it points to and the kernel of the active ISA.
struct Job {
  HadamardRow row;
  std::vector<uint64_t> signs;
  std::vector<HadamardMixTerm> terms;
  HadamardRowFn kernel;
};

HadamardRow row_template(const lb_hadamard_params &p, lb_dtype x_dtype, lb_dtype y_dtype) {
  HadamardRow r{};
  int k = 0;
  hadamard_split(p.n, &r.m, &k);
  r.n = p.n;
  r.c = p.n / r.m;
  r.x_dtype = x_dtype;
  r.y_dtype = y_dtype;
  const bool inverse = (p.flags & LB_HADAMARD_INVERSE) != 0, signs = (p.flags & LB_HADAMARD_RANDOM_SIGNS) != 0;
  r.core = r.m > 1 ? hadamard_core_f32(r.m, inverse) : nullptr;
  r.core_transposed = inverse;
  r.flip_in = signs && !inverse;
  r.flip_out = signs && inverse;
  const bool normalize = (p.flags & LB_HADAMARD_NORMALIZE) != 0;
  r.scale = normalize ? static_cast<float>(1.0 / std::sqrt(static_cast<double>(p.n)))
                      : (inverse ? static_cast<float>(1.0 / static_cast<double>(p.n)) : 1.0f);
  return r;
}

// Outputs of kStreamBytes (simd/streaming.h) and more are streamed (see HadamardRow).
bool can_stream(const void *y, int64_t n, lb_dtype y_dtype, int64_t rows) {
  const int64_t row_bytes = n * elem_size(y_dtype);
  return rows * row_bytes >= kStreamBytes && reinterpret_cast<uintptr_t>(y) % 64 == 0 && row_bytes % 64 == 0;
}

// Rows per pool chunk: enough work (about 32 K elements) to amortise the hand-off.
int64_t grain(int64_t n) { return n >= (int64_t{1} << 15) ? 1 : (int64_t{1} << 15) / n; }

// The random signs of one row (the same for every row): n bits, one splitmix64 per 64 elements.
std::vector<uint64_t> sign_words(const lb_hadamard_params &p) {
  if (!(p.flags & LB_HADAMARD_RANDOM_SIGNS)) return {};
  std::vector<uint64_t> w(static_cast<size_t>((p.n + 63) / 64));
  for (size_t i = 0; i < w.size(); ++i) w[i] = hadamard_sign_word(p.seed, static_cast<int64_t>(i));
  return w;
}

// Whether this call's kernel runs the m-part from a compile-time table (kernels.inc, mix): orders 12
// and 20 everywhere, 28 with AVX-512's 32 registers only.
bool fixed_core_kernel(int64_t m) { return m == 12 || m == 20 || (m == 28 && current_isa() == LB_ISA_AVX512); }

// mix_terms of HadamardRow for the core of one call (none for the cores the kernel knows at
// compile time).
std::vector<HadamardMixTerm> mix_terms(const HadamardRow &r) {
  if (r.m == 1 || fixed_core_kernel(r.m)) return {};
  const int64_t m = r.m, G = m / 4;
  std::vector<HadamardMixTerm> terms(static_cast<size_t>(m * G));
  for (int64_t a = 0; a < m; ++a)
    for (int64_t g = 0; g < G; ++g) {
      const float *h = r.core + a * m + 4 * g;
      const int rel1 = h[1] != h[0], rel2 = h[2] != h[0], rel3 = h[3] != h[0];
      terms[a * G + g] = {static_cast<int32_t>(8 * g + (rel1 << 2 | rel2 << 1 | rel3)), h[0] < 0 ? -1.0f : 1.0f};
    }
  return terms;
}

// (Moving a Job keeps its vectors' buffers, so the row's pointers into them stay valid.)
Job make_job(const lb_hadamard_params &p, lb_dtype x_dtype, lb_dtype y_dtype) {
  Job job{row_template(p, x_dtype, y_dtype), sign_words(p), {}, row_kernel(x_dtype, y_dtype)};
  job.terms = mix_terms(job.row);
  job.row.signs = job.signs.data();
  job.row.mix_terms = job.terms.data();
  return job;
}

// Per-thread buffers of one pool chunk: the pass buffer, the m-part's result (m > 1 only) and the
// table m-part's group sums (8 per group of four, kMixBlock vectors of up to 16 lanes; none for the
// cores with a compile-time table, whose sums stay in registers).
// The staging copy (ToY's Write::kStaged) starts this many floats (2 KiB) into its allocation. A final
// pass reads the pass buffer and writes the stage at the same G places, S floats apart; with both
// allocations page-aligned and S a multiple of 1024 (4 KiB), all 2 G lines fell into one set of the
// 8-way L1 and evicted each other: AVX2 f32 n = 16384 (G = 8, S = 2048) ran at 0.21-0.30 of the copy
// from 1 GiB against 0.57-0.60 for 8192; skewed by half a page, 0.39-0.52 (bench/results/
// 2026-11-27-hadamard-stage-skew-ab.txt). The other staged shapes measured the same either way.
constexpr int64_t kStageSkew = 512;
struct RowBuffers {
  std::vector<float> a, b, combos, stage;
  bool redo = false;
  RowBuffers(int64_t n, int64_t m, bool stream_out = false)
      : a(static_cast<size_t>(n)), b(m > 1 ? static_cast<size_t>(n) : 0),
        combos(fixed_core_kernel(m) ? 0 : static_cast<size_t>(m / 4 * 8 * 16 * kMixBlock)), stage(stream_out ? static_cast<size_t>(n + kStageSkew) : 0) {}
  void attach(HadamardRow &r) {
    r.buf = a.data();
    r.buf2 = b.data();
    r.combos = combos.data();
    r.stage = stage.empty() ? nullptr : stage.data() + kStageSkew;
    r.redo = &redo;
  }
};

}  // namespace

lb_status hadamard_transform(const lb_hadamard_params &p, const void *x, lb_dtype x_dtype, void *y, lb_dtype y_dtype,
                             int64_t rows) {
  Job job = make_job(p, x_dtype, y_dtype);
  HadamardRow &tmpl = job.row;
  const HadamardRowFn kernel = job.kernel;
  // Not in place: the first pass reads x while y of the same row is written.
  tmpl.stream_out = x != y && can_stream(y, p.n, y_dtype, rows);
  parallel_for(rows, grain(p.n), [&](int64_t r0, int64_t r1) {
    RowBuffers buf(p.n, tmpl.m, tmpl.stream_out);
    HadamardRow r = tmpl;
    buf.attach(r);
    for (int64_t i = r0; i < r1; ++i) {
      r.x = static_cast<const char *>(x) + i * p.n * elem_size(x_dtype);
      r.y = static_cast<char *>(y) + i * p.n * elem_size(y_dtype);
      kernel(r);
    }
    fence_streamed(r.stream_out);
  });
  return LB_OK;
}

// Short rows are rotated kBatch at a time into one buffer and quantized together: kBatch rows of n
// with blocks of the row's width are, in memory, one row of kBatch * n with the same blocks (codes,
// scales and F16 zeros alike; packed U4 zeros too when a row has an even number of blocks), so the
// grouped kernel takes 16 blocks per call instead of one (n = 128: rotate+int4 per row cost 2x the
// plain rotation, mostly per-row quantizer overhead).
constexpr int64_t kBatch = 16;

bool batch_rows(const lb_hadamard_params &p, const lb_quant_params &quant) {
  const bool packed_zeros = quant.qtype == LB_DTYPE_U4 && quant.zero_dtype == LB_DTYPE_U4;
  return p.n <= 256 && !(packed_zeros && (p.n / quant.block_cols) % 2 == 1);
}

lb_status hadamard_quantize(const lb_hadamard_params &p, const lb_quant_params &quant, const void *x, lb_dtype x_dtype,
                            int64_t rows, void *q, void *scales, void *zeros) {
  const Job job = make_job(p, x_dtype, LB_DTYPE_F32);
  const HadamardRow &tmpl = job.row;
  const HadamardRowFn kernel = job.kernel;
  const int64_t batch = batch_rows(p, quant) ? kBatch : 1, batches = rows / batch;
  const bool stream = streams_codes(quant, rows * p.n);
  RowQuantizer rq(quant, batch * p.n, q, scales, zeros, stream), rq_tail(quant, p.n, q, scales, zeros, stream);
  const auto rotate_and_quantize = [&](RowQuantizer &quantizer, int64_t per, int64_t u0, int64_t u1, int64_t row0) {
    RowBuffers buf(p.n, tmpl.m);
    RowQuantizer::Scratch s;
    HadamardRow r = tmpl;
    buf.attach(r);
    // One row at a time, it lands in buf (m == 1: the last pass rewrites it in place) or buf2
    // (m-part); a batch goes to its own buffer.
    std::vector<float> batch_buf(per > 1 ? static_cast<size_t>(per * p.n) : 0);
    float *rotated = per > 1 ? batch_buf.data() : tmpl.m > 1 ? buf.b.data() : buf.a.data();
    // One block per row: the rotation's final pass records the row's range on the way (HadamardRow::range).
    HadamardRange range;
    r.range = per == 1 && quantizer.takes_ranges() ? &range : nullptr;
    for (int64_t u = u0; u < u1; ++u) {  // unit u: rows row0 + u * per ...
      for (int64_t j = 0; j < per; ++j) {
        r.x = static_cast<const char *>(x) + (row0 + u * per + j) * p.n * elem_size(x_dtype);
        r.y = rotated + j * p.n;
        kernel(r);
      }
      if (r.range) quantizer.row_with_range(rotated, row0 / per + u, range.lo, range.hi, range.finite, s);
      else quantizer.row(rotated, row0 / per + u, s);
    }
    fence_streamed(stream);
  };
  parallel_for(batches, std::max<int64_t>(1, grain(p.n) / batch),
               [&](int64_t b0, int64_t b1) { rotate_and_quantize(rq, batch, b0, b1, 0); });
  if (batches * batch < rows) rotate_and_quantize(rq_tail, 1, 0, rows - batches * batch, batches * batch);
  // Both quantizers count blocks in row-major order over the same matrix: report the first.
  return quant_report("lb_hadamard_quantize", quant, p.n / quant.block_cols, std::min(rq.first_bad_input(), rq_tail.first_bad_input()),
                      std::min(rq.first_bad_scale(), rq_tail.first_bad_scale()));
}

}  // namespace lb::cpu
