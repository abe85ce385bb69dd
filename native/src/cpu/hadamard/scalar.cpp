// Hadamard row kernels for the scalar variant (see kernels.inc): one lane, no in-lane stages.
#include "../../common/hadamard.h"
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
  static T flip(T x, uint32_t bits) { return (bits & 1) ? -x : x; }
  static T lanes(T x) { return x; }
};

#include "kernels.inc"

}  // namespace

HadamardKernels hadamard_kernels_scalar() { return kernels(); }

}  // namespace lb::cpu
