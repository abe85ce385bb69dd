// W4A16 kernel for the scalar variant (see w4a16_kernels.inc): 16 floats per "vector".
#include "w4a16.h"

namespace lb::cpu {
namespace {

struct V16 {
  float v[16];
};

struct V {
  using T = V16;
  static T zero() { return T{}; }
  static T load(const float *p) {
    T r;
    for (int j = 0; j < 16; ++j) r.v[j] = p[j];
    return r;
  }
  static void store(float *p, const T &a) {
    for (int j = 0; j < 16; ++j) p[j] = a.v[j];
  }
  static T set1(float s) {
    T r;
    for (int j = 0; j < 16; ++j) r.v[j] = s;
    return r;
  }
  static T sub(const T &a, const T &b) {
    T r;
    for (int j = 0; j < 16; ++j) r.v[j] = a.v[j] - b.v[j];
    return r;
  }
  static T fma(const T &a, const T &b, const T &c) {
    T r;
    for (int j = 0; j < 16; ++j) r.v[j] = __builtin_fmaf(a.v[j], b.v[j], c.v[j]);
    return r;
  }
  static void codes(const uint8_t *p, T *lo, T *hi) {
    for (int j = 0; j < 16; ++j) {
      lo->v[j] = static_cast<float>(p[j] & 0xf);
      hi->v[j] = static_cast<float>(p[j] >> 4);
    }
  }
};
using T = V::T;

#include "w4a16_kernels.inc"

}  // namespace

W4A16Kernel w4a16_kernel_scalar() { return kernel; }

}  // namespace lb::cpu
