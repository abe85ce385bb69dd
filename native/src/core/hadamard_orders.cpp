// Paley constructions of Hadamard matrices over finite fields GF(p^r).
//   Paley I  (q = 3 mod 4, order q + 1):  H = I + S, S = [[0, 1^T], [-1, Q]]
//   Paley II (q = 1 mod 4, order 2(q + 1)): C = [[0, 1^T], [1, Q]], and each entry of C becomes
//            a 2x2 block: 0 -> [[1, -1], [-1, -1]], +-1 -> +-[[1, 1], [1, -1]]
// with the Jacobsthal matrix Q[i][j] = chi(e_j - e_i), chi the quadratic character of GF(q).
// Orders no Paley construction reaches (92, 116, 156, 172) come from Goethals-Seidel sequences found
// by native/tools/gs_search.cpp, kept below as a table.
#include "hadamard_orders.h"

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "../common/hadamard.h"

namespace lb {
namespace {

bool prime_power(int64_t q, int64_t *p_out, int *r_out) {
  if (q < 2) return false;
  for (int64_t p = 2; p * p <= q; ++p) {
    if (q % p) continue;
    int r = 0;
    while (q % p == 0) {
      q /= p;
      ++r;
    }
    if (q != 1) return false;
    *p_out = p;
    *r_out = r;
    return true;
  }
  *p_out = q;
  *r_out = 1;
  return true;
}

// GF(p^r) with full addition and multiplication tables (q <= 255 here, so at most 64 K entries).
class Field {
 public:
  Field(int64_t p, int r) : p_(p), r_(r), q_(1) {
    for (int i = 0; i < r; ++i) q_ *= p;
    add_.resize(static_cast<size_t>(q_ * q_));
    for (int64_t a = 0; a < q_; ++a)
      for (int64_t b = 0; b < q_; ++b) add_[a * q_ + b] = static_cast<int32_t>(digitwise_add(a, b));
    // The first monic irreducible modulus: the one whose multiplication makes every non-zero
    // element invertible. (r == 1: the modulus x, i.e. arithmetic mod p.)
    std::vector<int64_t> low(static_cast<size_t>(r));
    for (int64_t code = 0; code < q_; ++code) {
      int64_t c = code;
      for (int i = 0; i < r; ++i, c /= p) low[i] = c % p;
      build_mul(low);
      if (is_field()) return;
    }
    mul_.clear();  // unreachable: GF(p^r) exists for every prime power
  }

  int64_t size() const { return q_; }
  int64_t sub(int64_t a, int64_t b) const {
    // a - b = a + (-b); -b negates every digit mod p.
    int64_t neg = 0, scale = 1;
    for (int i = 0; i < r_; ++i, b /= p_, scale *= p_) neg += ((p_ - b % p_) % p_) * scale;
    return add_[a * q_ + neg];
  }
  int64_t mul(int64_t a, int64_t b) const { return mul_[a * q_ + b]; }

 private:
  int64_t digitwise_add(int64_t a, int64_t b) const {
    int64_t s = 0, scale = 1;
    for (int i = 0; i < r_; ++i, a /= p_, b /= p_, scale *= p_) s += ((a % p_ + b % p_) % p_) * scale;
    return s;
  }

  // Multiplication mod x^r + low[r-1] x^(r-1) + ... + low[0].
  void build_mul(const std::vector<int64_t> &low) {
    mul_.assign(static_cast<size_t>(q_ * q_), 0);
    std::vector<int64_t> da(r_), db(r_), prod(2 * r_);
    for (int64_t a = 0; a < q_; ++a) {
      for (int64_t b = 0; b < q_; ++b) {
        int64_t x = a, y = b;
        for (int i = 0; i < r_; ++i, x /= p_, y /= p_) {
          da[i] = x % p_;
          db[i] = y % p_;
        }
        std::fill(prod.begin(), prod.end(), 0);
        for (int i = 0; i < r_; ++i)
          for (int j = 0; j < r_; ++j) prod[i + j] = (prod[i + j] + da[i] * db[j]) % p_;
        for (int d = 2 * r_ - 1; d >= r_; --d) {  // x^d = -x^(d-r) * (low)
          const int64_t c = prod[d];
          prod[d] = 0;
          for (int i = 0; i < r_; ++i) prod[d - r_ + i] = ((prod[d - r_ + i] - c * low[i]) % p_ + p_) % p_;
        }
        int64_t v = 0, scale = 1;
        for (int i = 0; i < r_; ++i, scale *= p_) v += prod[i] * scale;
        mul_[a * q_ + b] = static_cast<int32_t>(v);
      }
    }
  }

  bool is_field() const {
    for (int64_t a = 1; a < q_; ++a) {
      bool inverse = false;
      for (int64_t b = 1; b < q_ && !inverse; ++b) inverse = mul_[a * q_ + b] == 1;
      if (!inverse) return false;
    }
    return true;
  }

  int64_t p_;
  int r_;
  int64_t q_;
  std::vector<int32_t> add_, mul_;
};

// Jacobsthal matrix Q[i][j] = chi(e_j - e_i) of GF(q).
std::vector<int> jacobsthal(const Field &f) {
  const int64_t q = f.size();
  std::vector<int> chi(static_cast<size_t>(q), -1);
  chi[0] = 0;
  for (int64_t a = 1; a < q; ++a) chi[f.mul(a, a)] = 1;
  std::vector<int> Q(static_cast<size_t>(q * q));
  for (int64_t i = 0; i < q; ++i)
    for (int64_t j = 0; j < q; ++j) Q[i * q + j] = chi[f.sub(j, i)];
  return Q;
}

std::vector<int8_t> paley1(int64_t q, const Field &f) {
  const int64_t m = q + 1;
  const std::vector<int> Q = jacobsthal(f);
  std::vector<int8_t> H(static_cast<size_t>(m * m));
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      int s;
      if (i == j) s = 1;
      else if (i == 0) s = 1;
      else if (j == 0) s = -1;
      else s = Q[(i - 1) * q + (j - 1)];
      H[i * m + j] = static_cast<int8_t>(s);
    }
  }
  return H;
}

std::vector<int8_t> paley2(int64_t q, const Field &f) {
  const int64_t c = q + 1, m = 2 * c;
  const std::vector<int> Q = jacobsthal(f);
  std::vector<int8_t> H(static_cast<size_t>(m * m));
  for (int64_t i = 0; i < c; ++i) {
    for (int64_t j = 0; j < c; ++j) {
      const int e = (i == 0 && j == 0) ? 0 : (i == 0 || j == 0) ? 1 : Q[(i - 1) * q + (j - 1)];
      for (int a = 0; a < 2; ++a) {
        for (int b = 0; b < 2; ++b) {
          const int s = e == 0 ? ((a == 0 && b == 0) ? 1 : -1) : e * ((a == 1 && b == 1) ? -1 : 1);
          H[(2 * i + a) * m + (2 * j + b)] = static_cast<int8_t>(s);
        }
      }
    }
  }
  return H;
}

// Goethals-Seidel sequences a, b, c, d of length n (their periodic autocorrelations sum to zero
// at every nonzero shift), '+' = 1, '-' = -1; from native/tools/gs_search.cpp (see there).
struct GsSequences {
  int n;
  const char *seq[4];
};
constexpr GsSequences kGoethalsSeidel[] = {
    {23, {"-----++-------+--+-+-++", "-+-----++++++--+++-++-+", "-++-----+-+-++--+-+++-+", "-+-+---++--++++--++--+-"}},
    {29, {"-+-++-+++------+-++-+---+--+-", "++-+--+++--+-+++-+-++-------+", "-----+---++--++++-+-++-++---+",
          "++-----++--+---+-+-+----+---+"}},
    {39, {"--+-+-++-+++++--++++++++---++++-++-+-+-", "---+-++-+++--+++++--+---+---+-+-++-++++",
          "--++++++++-+-+++---+--+++-+--++--+--+-+", "-+++------+++--++-+--+-+++-+++-+--+-++-"}},
    {43, {"++++++--+--++---+--++++----+----++-+-+-+-++", "-++-+--+++-+-++++++--++--++++++-+-+++--+-++",
          "-+++++--+--++---+--++++----+----++-+-+-+-++", "+++-+---++-+-+++++---++--+-+----+--++--+-++"}},
};

const GsSequences *gs_sequences(int64_t m) {
  for (const GsSequences &g : kGoethalsSeidel)
    if (4 * g.n == m) return &g;
  return nullptr;
}

// The Goethals-Seidel array over the circulants A, B, C, D (X[i][j] = x[(j - i) mod n]) and the
// back-diagonal R (R[i][j] = 1 iff i + j = n - 1):
//   [[ A,    BR,    CR,    DR  ],
//    [-BR,   A,     D^T R, -C^T R],
//    [-CR,  -D^T R, A,     B^T R],
//    [-DR,   C^T R, -B^T R, A   ]]
std::vector<int8_t> goethals_seidel(const GsSequences &g) {
  const int64_t n = g.n, m = 4 * n;
  auto at = [&](int q, int64_t k) { return g.seq[q][((k % n) + n) % n] == '+' ? 1 : -1; };
  // (X R)[i][j] = X[i][n-1-j] = x[(n-1-j-i) mod n];  (X^T R)[i][j] = X[n-1-j][i] = x[(i+j+1-n) mod n]
  auto plain = [&](int q, int64_t i, int64_t j) { return at(q, j - i); };
  auto xr = [&](int q, int64_t i, int64_t j) { return at(q, n - 1 - j - i); };
  auto xtr = [&](int q, int64_t i, int64_t j) { return at(q, i + j + 1 - n); };
  std::vector<int8_t> H(static_cast<size_t>(m * m));
  for (int64_t bi = 0; bi < 4; ++bi)
    for (int64_t bj = 0; bj < 4; ++bj)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          int v = 0;
          switch (bi * 4 + bj) {
            case 0: case 5: case 10: case 15: v = plain(0, i, j); break;
            case 1: v = xr(1, i, j); break;
            case 2: v = xr(2, i, j); break;
            case 3: v = xr(3, i, j); break;
            case 4: v = -xr(1, i, j); break;
            case 6: v = xtr(3, i, j); break;
            case 7: v = -xtr(2, i, j); break;
            case 8: v = -xr(2, i, j); break;
            case 9: v = -xtr(3, i, j); break;
            case 11: v = xtr(1, i, j); break;
            case 12: v = -xr(3, i, j); break;
            case 13: v = xtr(2, i, j); break;
            case 14: v = -xtr(1, i, j); break;
          }
          H[(bi * n + i) * m + bj * n + j] = static_cast<int8_t>(v);
        }
  return H;
}

enum class Kind { None, Sylvester, Paley1, Paley2, GoethalsSeidel };

Kind kind_of(int64_t m, int64_t *q, int64_t *p, int *r) {
  if (m == 1) return Kind::Sylvester;
  int64_t mm;
  int k;
  if (m < 4 || m > kMaxHadamardCore || !hadamard_split(m, &mm, &k) || k != 0) return Kind::None;
  if (prime_power(m - 1, p, r)) {
    *q = m - 1;
    return Kind::Paley1;
  }
  if (prime_power(m / 2 - 1, p, r)) {
    *q = m / 2 - 1;
    return Kind::Paley2;
  }
  if (gs_sequences(m)) return Kind::GoethalsSeidel;
  return Kind::None;
}

std::mutex cores_mutex;
std::map<int64_t, std::unique_ptr<std::vector<int8_t>>> cores;
std::map<int64_t, std::unique_ptr<std::vector<float>>> cores_f32[2];  // [transposed]

}  // namespace

const int8_t *hadamard_core(int64_t m) {
  int64_t q = 0, p = 0;
  int r = 0;
  const Kind kind = kind_of(m, &q, &p, &r);
  if (kind == Kind::None) return nullptr;
  std::lock_guard<std::mutex> lock(cores_mutex);
  auto &slot = cores[m];
  if (!slot) {
    if (kind == Kind::Sylvester) {
      slot = std::make_unique<std::vector<int8_t>>(1, int8_t{1});
    } else if (kind == Kind::GoethalsSeidel) {
      slot = std::make_unique<std::vector<int8_t>>(goethals_seidel(*gs_sequences(m)));
    } else {
      const Field f(p, r);
      slot = std::make_unique<std::vector<int8_t>>(kind == Kind::Paley1 ? paley1(q, f) : paley2(q, f));
    }
  }
  return slot->data();
}

const float *hadamard_core_f32(int64_t m, bool transposed) {
  const int8_t *h = hadamard_core(m);
  if (!h) return nullptr;
  std::lock_guard<std::mutex> lock(cores_mutex);
  auto &slot = cores_f32[transposed ? 1 : 0][m];
  if (!slot) {
    auto f = std::make_unique<std::vector<float>>(static_cast<size_t>(m * m));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j) (*f)[i * m + j] = transposed ? h[j * m + i] : h[i * m + j];
    slot = std::move(f);
  }
  return slot->data();
}

std::string hadamard_core_construction(int64_t m) {
  int64_t q = 0, p = 0;
  int r = 0;
  switch (kind_of(m, &q, &p, &r)) {
    case Kind::Sylvester: return "Sylvester";
    case Kind::Paley1: return "Paley I, q = " + std::to_string(q);
    case Kind::Paley2: return "Paley II, q = " + std::to_string(q);
    case Kind::GoethalsSeidel: return "Goethals-Seidel array, sequences of length " + std::to_string(m / 4);
    default: return "";
  }
}

const char *hadamard_core_list() {
  static const std::string list = [] {
    std::string s;
    for (int64_t m = 4; m <= kMaxHadamardCore; m += 4) {
      // kind_of skips 8, 16, 24 = 12 * 2, ...: those are m' * 2^k.
      if (hadamard_core_construction(m).empty()) continue;
      s += (s.empty() ? "" : ", ") + std::to_string(m);
    }
    return s;
  }();
  return list.c_str();
}

}  // namespace lb
