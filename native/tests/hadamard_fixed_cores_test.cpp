// Checks the compile-time Hadamard cores (src/common/hadamard_cores.h) against the construction every
// other path uses (hadamard_core, src/core/hadamard_orders.cpp) — a table that drifted from it would
// rotate by another matrix than the one lowbit.h documents — and hadamard_mix_column, the m-part
// of one position both backends run for these orders (in float here, as CUDA; the CPU on vectors),
// against docs/hadamard.md's step 3 written
// out: s_g = ((h0 t0 + h1 t1) + h2 t2) + h3 t3 per group of four, the group sums added left to
// right, with h the construction's core (transposed for the inverse).
#include <cstdio>
#include <random>

#include "../src/common/hadamard_cores.h"
#include "../src/core/hadamard_orders.h"

namespace {

int failures = 0;

void fail(const char *what, int m, int a, int b) {
  if (failures++ < 20) std::printf("FAIL %s: order %d, (%d, %d)\n", what, m, a, b);
}

template <int M, bool kT>
void check_column(const int8_t *h, std::mt19937 &rng) {
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int trial = 0; trial < 200; ++trial) {
    float t[M];
    for (int j = 0; j < M; ++j) t[j] = trial % 7 == 0 ? static_cast<float>(j % 3) : dist(rng);  // some exact ties too
    float y[M];
    lb::hadamard_mix_column<M, kT, lb::FloatMixOps>([&](int j) { return t[j]; }, y);
    for (int a = 0; a < M; ++a) {
      float acc = 0.0f;
      for (int g = 0; g < M / 4; ++g) {
        float s = 0.0f;
        for (int j = 0; j < 4; ++j) {
          const int col = 4 * g + j;
          const float term = (kT ? h[col * M + a] : h[a * M + col]) < 0 ? -t[col] : t[col];
          s = j == 0 ? term : s + term;
        }
        acc = g == 0 ? s : acc + s;
      }
      if (!(y[a] == acc)) fail(kT ? "mix column (transposed)" : "mix column", M, a, trial);
    }
  }
}

template <int M>
void check(std::mt19937 &rng) {
  const int8_t *h = lb::hadamard_core(M);
  if (!h) {
    fail("no core", M, 0, 0);
    return;
  }
  for (int a = 0; a < M; ++a)
    for (int j = 0; j < M; ++j) {
      const bool neg = h[a * M + j] < 0;
      if (lb::fixed_core_negative<M, false>(a, j) != neg || lb::fixed_core_negative<M, true>(j, a) != neg) fail("mask", M, a, j);
    }
  check_column<M, false>(h, rng);
  check_column<M, true>(h, rng);
}

}  // namespace

int main() {
  std::mt19937 rng(12345);
  check<12>(rng);
  check<20>(rng);
  check<28>(rng);
  if (failures) {
    std::printf("%d failures\n", failures);
    return 1;
  }
  std::printf("fixed Hadamard cores 12, 20, 28: masks match the construction, one-position m-part matches step 3\n");
  return 0;
}
