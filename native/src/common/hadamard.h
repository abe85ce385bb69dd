// The Hadamard rotation of lowbit.h (lb_hadamard_*), the parts every backend shares: the
// factorisation n = m * 2^k and the seeded random signs. Backends apply the stages in the
// same order with the same float operations, so CPU variants and CUDA give the same bits.
#pragma once
#include "host_device.h"

namespace lb {

// Largest core order m (n = m * 2^k): the m-part costs m adds per element.
constexpr int64_t kMaxHadamardCore = 256;

// n = m * 2^k with m == 1 or m = 4 * odd (the odd part of n decides m). Returns false for
// n < 1 or an odd part that needs a core larger than kMaxHadamardCore; whether a core of
// order m exists is decided by hadamard_core() (core/hadamard_orders.h).
LB_HD bool hadamard_split(int64_t n, int64_t *m, int *k) {
  if (n < 1) return false;
  int e = 0;
  while ((n & 1) == 0) {
    n >>= 1;
    ++e;
  }
  if (n == 1) {
    *m = 1;
    *k = e;
    return true;
  }
  if (e < 2 || 4 * n > kMaxHadamardCore) return false;
  *m = 4 * n;
  *k = e - 2;
  return true;
}

// 64 random signs for elements [64 w, 64 w + 64): bit j set = element 64 w + j is negated.
// splitmix64 of a per-word counter: cheap, and reproducible from the seed on every backend.
LB_HD uint64_t hadamard_sign_word(uint64_t seed, int64_t w) {
  uint64_t z = seed + (static_cast<uint64_t>(w) + 1u) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace lb
