// GELU, x · Φ(x) = x/2 · (1 + erf(x/√2)) (BERT's exact "erf" GELU), one float at a time: the CPU
// kernels (vectorised by the compiler per ISA) and the CUDA kernel call this, so all give the
// same bits. Only float multiplies, adds, one division and selects, each rounded on its own
// (mul_rn / add_rn: no fused multiply-add on the GPU; the CPU builds with -ffp-contract=off).
//
// erf(u) = u · P(u²) / Q(u²) on |u| ≤ 4, degrees 6 and 5, fitted by iteratively reweighted least
// squares for lowbit (max error 9e-9 in exact arithmetic; erf(4) = 1 − 1.5e-8 rounds to 1 in
// float, so u is clamped there). In float the result's absolute error stays below ~1 ulp of x
// (the test bounds it by 4e-7 · max(1, |x|)); where GELU is tiny (x < −3) that is a large
// relative error of a value below 4e-3 — which a downstream int8/fp8 quantizer or an fp32 sum
// cannot see. An erfc-based form exact in relative terms there cost twice the time (an exp and
// a degree-9 polynomial), for the FFN's largest elementwise pass. No libm call, no table.
#pragma once
#include "host_device.h"

namespace lb {

// The arithmetic over a value type: Ops::set1(c), mul, add, div (each rounded once) and
// clamp4(u) = u > 4 ? 4 : (u < -4 ? -4 : u), NaN passing through. gelu_value below is it on
// floats; the AVX2 kernel (cpu/activation/avx2.cpp) runs it on 8 lanes, so every backend shares
// one list of operations and coefficients.
template <class Ops, class T>
LB_HD T gelu_ops(T x) {
  T u = Ops::mul(x, Ops::set1(0.70710678118654752f));
  u = Ops::clamp4(u);
  const T z = Ops::mul(u, u);
  T p = Ops::set1(-1.2495315088179026e-08f);
  p = Ops::add(Ops::set1(4.5468308176380146e-06f), Ops::mul(z, p));
  p = Ops::add(Ops::set1(0.00037439290202511376f), Ops::mul(z, p));
  p = Ops::add(Ops::set1(0.003834523174100738f), Ops::mul(z, p));
  p = Ops::add(Ops::set1(0.054200156669133394f), Ops::mul(z, p));
  p = Ops::add(Ops::set1(0.1852216958376779f), Ops::mul(z, p));
  p = Ops::add(Ops::set1(1.1283791707878839f), Ops::mul(z, p));
  T q = Ops::set1(6.17961105693985e-05f);
  q = Ops::add(Ops::set1(0.0012974224429913512f), Ops::mul(z, q));
  q = Ops::add(Ops::set1(0.015414260493685586f), Ops::mul(z, q));
  q = Ops::add(Ops::set1(0.11386045180556743f), Ops::mul(z, q));
  q = Ops::add(Ops::set1(0.49748186865724614f), Ops::mul(z, q));
  q = Ops::add(Ops::set1(1.0f), Ops::mul(z, q));
  return Ops::mul(Ops::mul(Ops::set1(0.5f), x), Ops::add(Ops::set1(1.0f), Ops::div(Ops::mul(u, p), q)));
}

struct GeluFloatOps {
  LB_HD_MEMBER static float set1(float c) { return c; }
  LB_HD_MEMBER static float mul(float a, float b) { return mul_rn(a, b); }
  LB_HD_MEMBER static float add(float a, float b) { return add_rn(a, b); }
  LB_HD_MEMBER static float div(float a, float b) { return div_rn(a, b); }
  LB_HD_MEMBER static float clamp4(float u) { return u > 4.0f ? 4.0f : (u < -4.0f ? -4.0f : u); }  // NaN passes through
};

LB_HD float gelu_value(float x) { return gelu_ops<GeluFloatOps>(x); }

}  // namespace lb
