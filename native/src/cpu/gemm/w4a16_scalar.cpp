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

namespace lb::cpu {
namespace {

// The int8-activation block product of lowbit.h, one row and one column at a time.
void q8_row(const W4A16Block &b, const W4A16Q8Row &x, float *out) {
  const int64_t blocks = b.k / 32, per_group = b.group / 32;
  for (int jj = 0; jj < 16; ++jj) {
    float y = 0.0f;
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t g = blk / per_group;
      int32_t d = 0;
      for (int64_t l = blk * 32; l < blk * 32 + 32; ++l) {  // code of k = l: nibble l % 2 of byte (l / 2, jj)
        const uint8_t byte = b.codes[(l / 2) * 16 + jj];
        d += ((l & 1) ? byte >> 4 : byte & 0xf) * x.x8[w4a16_q8_position(l)];
      }
      const float v = __builtin_fmaf(-b.zeros[g * 16 + jj], static_cast<float>(x.sums[blk]), static_cast<float>(d));
      y = __builtin_fmaf(b.scales[g * 16 + jj] * x.sx[blk], v, y);
    }
    out[jj] = y;
  }
}

void q8_kernel(const W4A16Block &b, const W4A16Q8Row *x, int mr, float *out) {
  for (int i = 0; i < mr; ++i) q8_row(b, x[i], out + i * 16);
}

}  // namespace

W4A16Q8Kernel w4a16_q8_kernel_scalar() { return q8_kernel; }

}  // namespace lb::cpu
