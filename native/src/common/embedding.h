// The arithmetic of lb_embedding_lookup and lb_embedding_mean_pool (lowbit.h, "Embeddings"), shared
// by the CPU and the CUDA kernels so that both round alike: each operation rounded on its own, the
// norm's sum in 16 fixed lanes on both devices.
#pragma once
#include "host_device.h"

#if !defined(__CUDA_ARCH__)
#  include <cmath>
#endif

namespace lb {

constexpr int kPoolLanes = 16;

// A token's input embedding: (word + token type) + position.
LB_HD float embedding_value(float word, float type, float position) { return add_rn(add_rn(word, type), position); }

// 1 / max(sqrt(squared), 1e-12): the factor that makes a pooled vector unit length (as
// sentence-transformers' Normalize, which divides by the norm clamped at 1e-12).
LB_HD float inverse_norm(float squared) {
#if defined(__CUDA_ARCH__)
  const float norm = __fsqrt_rn(squared);
#else
  const float norm = std::sqrt(squared);
#endif
  return div_rn(1.0f, norm > 1e-12f ? norm : 1e-12f);
}

}  // namespace lb
