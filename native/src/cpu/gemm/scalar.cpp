// W8A8 tile for the scalar variant: the packed layout read one byte at a time.
#include "w8a8.h"

namespace lb::cpu {
namespace {

void tile(const uint8_t *a8, int64_t lda, const int8_t *bpack, int64_t bstride, int64_t kquads, int mr, int nb, int32_t *acc,
          int64_t ldc, bool accumulate) {
  for (int i = 0; i < mr; ++i)
    for (int jb = 0; jb < nb; ++jb)
      for (int jj = 0; jj < 16; ++jj) {
        int32_t s = 0;
        const int8_t *col = bpack + jb * bstride + jj * 4;
        for (int64_t kq = 0; kq < kquads; ++kq)
          for (int kk = 0; kk < 4; ++kk) s += static_cast<int32_t>(a8[i * lda + kq * 4 + kk] ^ 0x80) * col[kq * 64 + kk];
        int32_t &out = acc[i * ldc + jb * 16 + jj];
        out = accumulate ? out + s : s;
      }
}

}  // namespace

W8A8Tile w8a8_tile_scalar() { return tile; }

}  // namespace lb::cpu
