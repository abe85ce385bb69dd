// Checks the compile-time cores of the CPU m-part (FixedCore, src/cpu/hadamard/hadamard.h) against
// the construction every other path uses (hadamard_core, src/core/hadamard_orders.cpp): a table that
// drifted from it would rotate by a different matrix than the one lowbit.h documents, and the CUDA
// kernels and the Java reference build theirs from the construction.
#include <cstdio>

#include "../src/core/hadamard_orders.h"
#include "../src/cpu/hadamard/hadamard.h"

namespace {

int failures = 0;

template <int M>
void check() {
  const int8_t *h = lb::hadamard_core(M);
  if (!h) {
    std::printf("FAIL no core of order %d\n", M);
    ++failures;
    return;
  }
  for (int a = 0; a < M; ++a)
    for (int j = 0; j < M; ++j) {
      const bool neg = h[a * M + j] < 0;
      if (lb::cpu::fixed_core_negative<M, false>(a, j) != neg || lb::cpu::fixed_core_negative<M, true>(j, a) != neg) {
        if (failures++ < 20) std::printf("FAIL order %d: entry (%d, %d)\n", M, a, j);
      }
    }
}

}  // namespace

int main() {
  check<12>();
  check<20>();
  check<28>();
  if (failures) {
    std::printf("%d failures\n", failures);
    return 1;
  }
  std::printf("fixed Hadamard cores: 12, 20, 28 match the construction\n");
  return 0;
}
