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

LB_HD float gelu_value(float x) {
  float u = mul_rn(x, 0.70710678118654752f);
  u = u > 4.0f ? 4.0f : (u < -4.0f ? -4.0f : u);  // NaN passes through both compares
  const float z = mul_rn(u, u);
  float p = -1.2495315088179026e-08f;
  p = add_rn(4.5468308176380146e-06f, mul_rn(z, p));
  p = add_rn(0.00037439290202511376f, mul_rn(z, p));
  p = add_rn(0.003834523174100738f, mul_rn(z, p));
  p = add_rn(0.054200156669133394f, mul_rn(z, p));
  p = add_rn(0.1852216958376779f, mul_rn(z, p));
  p = add_rn(1.1283791707878839f, mul_rn(z, p));
  float q = 6.17961105693985e-05f;
  q = add_rn(0.0012974224429913512f, mul_rn(z, q));
  q = add_rn(0.015414260493685586f, mul_rn(z, q));
  q = add_rn(0.11386045180556743f, mul_rn(z, q));
  q = add_rn(0.49748186865724614f, mul_rn(z, q));
  q = add_rn(1.0f, mul_rn(z, q));
  return mul_rn(mul_rn(0.5f, x), add_rn(1.0f, div_rn(mul_rn(u, p), q)));
}

}  // namespace lb
