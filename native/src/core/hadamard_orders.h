// Hadamard matrices of the core orders m (n = m * 2^k, common/hadamard.h): built on the host
// by construction, shared by the CPU and CUDA backends.
#pragma once
#include <stdint.h>

#include <string>

namespace lb {

// The m x m +-1 matrix (row-major) of core order m, or nullptr if lowbit has none. m == 1 is
// [1]. Built once per order (thread-safe) and kept for the life of the process.
//   m - 1 a prime power q:      Paley I over GF(q)
//   m / 2 - 1 a prime power q:  Paley II over GF(q)   (q = 1 mod 4 follows from m = 4 * odd)
// Elements of GF(p^r) are labelled 0..q-1 by their polynomial coefficients in base p
// (constant term lowest); the modulus is the first monic irreducible polynomial in that order.
const int8_t *hadamard_core(int64_t m);

// How the core of order m is built, e.g. "Paley I, q = 11" (empty if there is none).
std::string hadamard_core_construction(int64_t m);

// The supported core orders m > 1, ascending, as "12, 20, 28, ...".
const char *hadamard_core_list();

}  // namespace lb

namespace lb {
// hadamard_core(m) as floats (+-1.0f), transposed for the inverse transform; nullptr as above.
const float *hadamard_core_f32(int64_t m, bool transposed);
}  // namespace lb
