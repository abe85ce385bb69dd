// Layer norm's per-element step, shared by the CPU kernels (vectorised per ISA) and the CUDA
// kernel so that both round alike: ((x - mean) · inv) · gamma, each operation rounded on its own
// (beta, where given, is added after, also rounded on its own). The sums that give mean and inv
// run in 16 fixed lanes on both devices (lowbit.h, "layer_norm").
#pragma once
#include "host_device.h"

namespace lb {

constexpr int kLayerNormLanes = 16;

LB_HD float layer_norm_value(float x, float mean, float inv, float gamma) { return mul_rn(mul_rn(x - mean, inv), gamma); }

}  // namespace lb
