// The Hadamard cores of orders 12, 20 and 28 (core/hadamard_orders.cpp: Paley I, q = 11, 19, 27)
// as compile-time sign masks, and the m-part of one position over them. These orders carry the
// sizes real models rotate most (BERT / MiniLM 384, 768, 1536, 3072; Llama 5120, 14336), and with
// the core known at compile time every term of the m-part is one add or sub: the CPU's mix_fixed
// (cpu/hadamard/kernels.inc, on vectors) and the CUDA kernel's column step (cuda/hadamard/hadamard.cu,
// on floats) both run hadamard_mix_column over them. The ctest hadamard_fixed_cores checks the masks against the construction.
#pragma once
#include <stdint.h>

#include <utility>

#include "host_device.h"

namespace lb {

// Bit j of row a set: core[a][j] is -1.
template <int M>
struct FixedCore;
template <>
struct FixedCore<12> {
  static constexpr uint32_t rows[12] = {0x000, 0xb89, 0x713, 0xe25, 0xc4b, 0x897, 0x12f, 0x25d, 0x4b9, 0x971, 0x2e3, 0x5c5};
};
template <>
struct FixedCore<20> {
  static constexpr uint32_t rows[20] = {0x00000, 0x9ea19, 0x3d433, 0x7a865, 0xf50c9, 0xea193, 0xd4327, 0xa864f, 0x50c9f, 0xa193d,
                                        0x4327b, 0x864f5, 0x0c9eb, 0x193d5, 0x327a9, 0x64f51, 0xc9ea1, 0x93d43, 0x27a87, 0x4f50d};
};
template <>
struct FixedCore<28> {
  static constexpr uint32_t rows[28] = {0x0000000, 0xb5c8879, 0x6f13073, 0xdaa4475, 0xaec53c1, 0x7998791, 0xd722ba1,
                                        0x76a920f, 0xcdc248f, 0xbb1490f, 0x910f2d7, 0x260e5bd, 0x488eb6b, 0x8a782bb,
                                        0x30f21e7, 0x457435d, 0x5241ddb, 0x8491f37, 0x2921eed, 0x1e5ae45, 0x1cb7899,
                                        0x1d6d523, 0xf057629, 0xe43ccc3, 0xe86b915, 0x83bb549, 0x23e6e13, 0x43dd8a5};
};

// Whether core[a][j] (kT: of the transposed core, the inverse transform's) is -1. Device code may
// read the tables only in constant expressions (CUDA's rule for constexpr arrays): callers there
// use it with compile-time a and j (static_for below).
template <int M, bool kT>
constexpr bool fixed_core_negative(int a, int j) {
  return ((kT ? FixedCore<M>::rows[j] >> a : FixedCore<M>::rows[a] >> j) & 1u) != 0;
}

// The group-of-four term of output a, group g: the index (bits 2, 1, 0 = t1, t2, t3 signs relative
// to t0's, 1 = opposite) of the group sum it takes, and whether it takes it negated (t0's sign).
template <int M, bool kT>
constexpr int fixed_core_combo(int a, int g) {
  const bool neg = fixed_core_negative<M, kT>(a, 4 * g);
  return (fixed_core_negative<M, kT>(a, 4 * g + 1) != neg) << 2 | (fixed_core_negative<M, kT>(a, 4 * g + 2) != neg) << 1 |
         (fixed_core_negative<M, kT>(a, 4 * g + 3) != neg);
}

template <class F, int... I>
LB_HD void static_for_impl(F &f, std::integer_sequence<int, I...>) {
  (f(std::integral_constant<int, I>{}), ...);
}
// f(std::integral_constant<int, i>) for i = 0 .. N-1: a loop whose index is a constant expression.
template <int N, class F>
LB_HD void static_for(F &&f) {
  static_for_impl(f, std::make_integer_sequence<int, N>{});
}

// Whether the core of order m has a compile-time table (both backends' unrolled m-parts).
constexpr bool has_fixed_core(int64_t m) { return m == 12 || m == 20 || m == 28; }

// The m-part's arithmetic over a value type: add(a, b) = a + b, sub(a, b) = a - b, neg(a) = -1 * a,
// each rounded once (float below; the CPU kernels pass their vector type's).
namespace {
struct FloatMixOps {
  LB_HD_MEMBER static float add(float a, float b) { return add_rn(a, b); }
  LB_HD_MEMBER static float sub(float a, float b) { return add_rn(a, -b); }
  LB_HD_MEMBER static float neg(float a) { return mul_rn(a, -1.0f); }
};
}  // namespace

// The 8 sums P_k = ((t0 +- t1) +- t2) +- t3 of one group of four inputs; index bits 2, 1, 0 = t1,
// t2, t3 subtracted.
template <class Ops, class Val>
LB_HD void hadamard_group_sums(Val t0, Val t1, Val t2, Val t3, Val (&P)[8]) {
  const Val u0 = Ops::add(t0, t1), u1 = Ops::sub(t0, t1);
  const Val w[4] = {Ops::add(u0, t2), Ops::sub(u0, t2), Ops::add(u1, t2), Ops::sub(u1, t2)};
  static_for<4>([&](auto kc) {
    constexpr int k = decltype(kc)::value;
    P[2 * k] = Ops::add(w[k], t3);
    P[2 * k + 1] = Ops::sub(w[k], t3);
  });
}

// The m-part (docs/hadamard.md, step 3) of one position for a compile-time core: y[a] = output a,
// where t(j) is chunk j's value at the position. Per group the 8 sums, then each output adds or
// subtracts the one its row selects, groups in ascending order, the first taken as P or -P — the
// order and roundings of the CPU's table m-part too, so every backend gives the same bits. Val is
// a float (CUDA's column step, FloatMixOps) or a vector of positions (the CPU's mix_fixed).
template <int M, bool kT, class Ops, class Load, class Val>
LB_HD void hadamard_mix_column(const Load &t, Val (&y)[M]) {
  static_for<M / 4>([&](auto gc) {
    constexpr int g = decltype(gc)::value;
    Val P[8];
    hadamard_group_sums<Ops>(t(4 * g), t(4 * g + 1), t(4 * g + 2), t(4 * g + 3), P);
    static_for<M>([&](auto ac) {
      constexpr int a = decltype(ac)::value;
      constexpr bool neg = fixed_core_negative<M, kT>(a, 4 * g);
      constexpr int combo = fixed_core_combo<M, kT>(a, g);
      if constexpr (g == 0) y[a] = neg ? Ops::neg(P[combo]) : P[combo];
      else y[a] = neg ? Ops::sub(y[a], P[combo]) : Ops::add(y[a], P[combo]);
    });
  });
}

}  // namespace lb
