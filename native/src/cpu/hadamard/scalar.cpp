// Hadamard row kernel for the scalar variant (see kernels.inc): one lane, no in-lane stages.
#include <cstring>

#include "../../common/float_io.h"
#include "hadamard.h"

namespace lb::cpu {
namespace {

struct V {
  using T = float;
  static constexpr int L = 1;
  static T load(const float *p) { return *p; }
  static void store(float *p, T v) { *p = v; }
  static T add(T a, T b) { return a + b; }
  static T sub(T a, T b) { return a - b; }
  static T set1(float s) { return s; }
  static T mul(T a, T b) { return a * b; }
  static T fma(T a, T b, T c) { return c + a * b; }  // b = +-1: a * b is exact, one rounding
  static T min(T a, T b) { return b < a ? b : a; }  // as MINPS: the second operand unless a < b
  static T max(T a, T b) { return b > a ? b : a; }
  // Never called (one lane never stages, see kernels.inc's ToY), but kernels.inc names it.
  static void stream_lines(char *dst, const char *src, int64_t bytes) { std::memcpy(dst, src, static_cast<size_t>(bytes)); }
  static T flip(T x, const uint64_t *signs, int64_t i) { return ((signs[i >> 6] >> (i & 63)) & 1) ? -x : x; }
  static constexpr int kLaneStages = 0;  // one lane: no in-register stages
  static T lane_stage(T x, int) { return x; }
};

struct IoF32 {
  static constexpr int kBytes = 4;
  static constexpr bool kFastNarrow = false;  // narrowing always exact (kernels.inc, ToY)
  static float load(const void *p, int64_t i) { return static_cast<const float *>(p)[i]; }
  static void store(void *p, int64_t i, float v) { static_cast<float *>(p)[i] = v; }
  static void stream(void *p, int64_t i, float v) { store(p, i, v); }
};
struct IoF16 {
  static constexpr int kBytes = 2;
  static constexpr bool kFastNarrow = false;
  static float load(const void *p, int64_t i) { return f16_bits_to_f32(static_cast<const uint16_t *>(p)[i]); }
  static void store(void *p, int64_t i, float v) { static_cast<uint16_t *>(p)[i] = f32_to_f16_bits(v); }
  static void stream(void *p, int64_t i, float v) { store(p, i, v); }
};
struct IoBF16 {
  static constexpr int kBytes = 2;
  static constexpr bool kFastNarrow = false;
  static float load(const void *p, int64_t i) { return bf16_bits_to_f32(static_cast<const uint16_t *>(p)[i]); }
  static void store(void *p, int64_t i, float v) { static_cast<uint16_t *>(p)[i] = f32_to_bf16_bits(v); }
  static void stream(void *p, int64_t i, float v) { store(p, i, v); }
};

#include "kernels.inc"

}  // namespace

HadamardRowFn hadamard_row_kernel_scalar(lb_dtype x, lb_dtype y) { return row_kernel(x, y); }

}  // namespace lb::cpu
