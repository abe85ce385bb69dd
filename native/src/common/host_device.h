// Qualifiers and bit casts that let one helper compile for the CPU (g++) and the GPU (nvcc).
// Kernels on both sides call the same helpers, so the CPU tests cover the math the GPU runs.
#pragma once
#include <stdint.h>

#if defined(__CUDACC__)
#  define LB_HD __host__ __device__ __forceinline__
#else
// `static`: every translation unit gets its own copy. The ISA-specific files are compiled
// with -mavx512f etc.; with plain `inline` the linker could keep their copy of a helper
// and the scalar path would then execute AVX-512 instructions on a CPU without them.
#  define LB_HD static inline
#endif
// The same for static member functions (which cannot be declared `static` twice). Put their class
// in an unnamed namespace, for the internal linkage LB_HD gives free functions.
#if defined(__CUDACC__)
#  define LB_HD_MEMBER __host__ __device__ __forceinline__
#else
#  define LB_HD_MEMBER inline
#endif

#if !defined(__CUDA_ARCH__)
#  include <string.h>
#endif

namespace lb {

LB_HD uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
#endif
}

LB_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
#endif
}

// (a & b) | c. On the GPU one LOP3 through inline PTX: written in C++ with two constants, ptxas made
// it an AND and an OR (the SASS of w4_tc.cu and w4a16.cu, 2026-11-26: code-to-float conversions).
LB_HD uint32_t and_or(uint32_t a, uint32_t b, uint32_t c) {
#if defined(__CUDA_ARCH__)
  uint32_t d;
  asm("lop3.b32 %0, %1, %2, %3, 0xEA;" : "=r"(d) : "r"(a), "r"(b), "r"(c));
  return d;
#else
  return (a & b) | c;
#endif
}

// Correctly rounded float ops that the compiler may not fuse into an FMA: CPU and GPU must
// round identically (nvcc contracts a*b+c by default; the CPU build uses -ffp-contract=off).
LB_HD float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}

LB_HD float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}

LB_HD float div_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

// Round half to even in the default rounding mode (both sides).
LB_HD float rint_even(float x) {
#if defined(__CUDA_ARCH__)
  return rintf(x);
#else
  return __builtin_rintf(x);
#endif
}

}  // namespace lb
