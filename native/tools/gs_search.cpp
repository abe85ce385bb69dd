// Searches for Goethals-Seidel sequences: four +-1 sequences a, b, c, d of length n whose periodic
// autocorrelations sum to zero at every nonzero shift. Their circulants in the Goethals-Seidel array
// give a Hadamard matrix of order 4n (core/hadamard_orders.cpp), for the core orders no Paley
// construction reaches. A developer tool, not part of the library: its output is the table in
// hadamard_orders.cpp, and the test suite checks H H^T = 4n I for every core.
//
// Method: simulated annealing over sequences that are constant on the orbits of x -> mul * x (mod n)
// for a unit `mul` (mul = 1: no symmetry). The periodic autocorrelation of such sequences is constant
// on the same orbits, so both the unknowns and the conditions shrink by the orbit size; a multiplier
// of order 7 (n = 43) or 4 (n = 39) turns an hours-long search into seconds.
//
//   g++ -O2 -o /tmp/gs_search native/tools/gs_search.cpp
//   /tmp/gs_search <n> <mul> <seed>      prints the four sequences as +/- strings
// Table entries: n = 23 and 29 with mul 1, n = 39 with mul 31, n = 43 with mul 11; seed 1 each.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <n> <mul> <seed> [iterations per restart]\n", argv[0]);
    return 2;
  }
  const int n = atoi(argv[1]), mul = atoi(argv[2]);
  const uint64_t seed = strtoull(argv[3], nullptr, 10);
  const long iters = argc > 4 ? atol(argv[4]) : 200000;
  std::vector<int> orbit(n, -1);
  std::vector<std::vector<int>> orbits;
  for (int x = 0; x < n; ++x) {
    if (orbit[x] >= 0) continue;
    std::vector<int> o;
    for (int y = x; orbit[y] < 0; y = static_cast<int>(static_cast<long>(y) * mul % n)) {
      orbit[y] = static_cast<int>(orbits.size());
      o.push_back(y);
    }
    orbits.push_back(o);
  }
  const int K = static_cast<int>(orbits.size());
  std::vector<int> shift, weight;  // one shift per orbit of nonzero shifts, weighted by its size
  for (const auto &o : orbits)
    if (o[0] != 0) {
      shift.push_back(o[0]);
      weight.push_back(static_cast<int>(o.size()));
    }
  std::mt19937_64 rng(seed);
  std::vector<int> v(4 * K), x(4 * n);
  auto expand = [&] {
    for (int q = 0; q < 4; ++q)
      for (int i = 0; i < n; ++i) x[q * n + i] = v[q * K + orbit[i]];
  };
  // Sum over shift orbits of size * (sum of the four autocorrelations)^2: zero for a solution.
  auto energy = [&] {
    long e = 0;
    for (size_t r = 0; r < shift.size(); ++r) {
      long t = 0;
      for (int q = 0; q < 4; ++q)
        for (int i = 0; i < n; ++i) t += x[q * n + i] * x[q * n + (i + shift[r]) % n];
      e += weight[r] * t * t;
    }
    return e;
  };
  for (long restart = 0;; ++restart) {
    for (int &b : v) b = (rng() & 1) ? 1 : -1;
    expand();
    long E = energy();
    double T = 20.0;
    for (long it = 0; it < iters; ++it) {
      const size_t j = rng() % v.size();
      v[j] = -v[j];
      expand();
      const long E2 = energy();
      if (E2 <= E || std::uniform_real_distribution<double>(0, 1)(rng) < std::exp((E - E2) / T)) E = E2;
      else v[j] = -v[j];
      if (E == 0) {
        expand();
        printf("n=%d mul=%d seed=%llu restart=%ld\n", n, mul, static_cast<unsigned long long>(seed), restart);
        for (int q = 0; q < 4; ++q) {
          for (int i = 0; i < n; ++i) putchar(x[q * n + i] > 0 ? '+' : '-');
          putchar('\n');
        }
        return 0;
      }
      T = std::max(0.5, T * 0.9995);
    }
  }
}
