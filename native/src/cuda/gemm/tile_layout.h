// Shared-memory layout of one pipeline stage of the CUDA tensor-core GEMMs (W8A8 / W4A4 int8, FP8),
// as plain index functions, and the I4 -> int8 widening W4A4 applies while loading, so that a host
// test (native/tests/tile_layout_test.cpp) can check what the kernels rely on: every 16-byte
// cp.async chunk lands whole in its own slot, the fragment reads of a warp hit 32 different banks
// (no bank conflicts), and the widening gives each nibble's two's-complement value in order.
//
// A stage holds kBM rows of A x kBK bytes of k (both GEMMs: 8-bit A, row-major) and kBN columns
// of B x kBK bytes of k in the GEMM's packed order. Fragment reads of A are 32-bit: lane (g =
// lane / 4, t = lane % 4) reads A word t (+4) of rows g and g + 8. Without a swizzle, the rows of a
// fragment are 16 words apart, so rows of equal parity share banks (4-way conflicts).
#pragma once
#include <stdint.h>

#include "../../common/host_device.h"

namespace lb::cuda_tile {

constexpr int kBM = 128;       // rows of A per thread block
constexpr int kBN = 128;       // columns of B per thread block (8 packed blocks of 16)
constexpr int kBK = 64;        // 8-bit values of k per stage
constexpr int kStages = 3;     // cp.async pipeline depth: 3 x 16 KiB of shared memory
constexpr int kThreads = 256;  // 8 warps: 2 along m (64 rows each) x 4 along n (32 columns each)
constexpr int kRowWords = kBK / 4;         // 16 words per row of A
constexpr int kAWords = kBM * kRowWords;   // 2048
constexpr int kBBytes = kBN * kBK;         // 8192

// Word of A's row `row`, k-word `word` (0..15): the row's four 16-byte chunks are permuted by
// ((row >> 1) & 3), which spreads the 8 rows g = 0..7 of a fragment over the 8 bank groups.
LB_HD int a_word(int row, int word) {
  return row * kRowWords + ((((word >> 2) ^ ((row >> 1) & 3)) << 2) | (word & 3));
}

// W8A8's B (packed in quads: one 32-bit word = 4 k of one column, an mma B-fragment register):
// word of column block `jb` (0..7), k-quad `kq` (0..15), column `jj` (0..15). A fragment read takes
// quads t and t + 4 of 8 columns; quads t and t + 2 are 32 words apart, so the 16 columns of quads
// 2, 3 (mod 4) are stored with their halves swapped. 4-column chunks (16 bytes) stay whole.
LB_HD int int8_b_word(int jb, int kq, int jj) {
  return (jb * (kBK / 4) + kq) * 16 + (jj ^ (((kq >> 1) & 1) << 3));
}

// FP8's B (packed in pairs: 16 bits = 2 k of one column): byte offset of column block `jb` (0..7),
// k-pair `kp` (0..31), column `jj` (0..15). Each k-pair row is 32 bytes: columns 0..7 then 8..15,
// 16 bytes each (a cp.async chunk, and an ldmatrix row). Fragments come from ldmatrix.trans over 8
// consecutive k-pairs of one 8-column half; those 8 rows are 32 bytes apart, so without a swizzle
// two of them share each 16-byte bank group. The halves of pairs 4..7 (mod 8) are swapped.
LB_HD int fp8_b_byte(int jb, int kp, int jj) {
  return (jb * (kBK / 2) + kp) * 32 + (((jj >> 3) ^ ((kp >> 2) & 1)) << 4) + (jj & 7) * 2;
}

// Per-byte a - b (mod 256, no borrow between bytes): CUDA's __vsub4.
LB_HD uint32_t sub_bytes(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __vsub4(a, b);
#else
  uint32_t r = 0;
  for (int i = 0; i < 32; i += 8) r |= ((((a >> i) & 0xffu) - ((b >> i) & 0xffu)) & 0xffu) << i;
  return r;
#endif
}

// Bytes of the 8-byte value {y, x} (x = bytes 0..3) picked by the selector's nibbles (0..7 each):
// CUDA's __byte_perm for selectors without the sign-replicate bit.
LB_HD uint32_t pick_bytes(uint32_t x, uint32_t y, uint32_t selector) {
#if defined(__CUDA_ARCH__)
  return __byte_perm(x, y, selector);
#else
  const uint64_t v = (static_cast<uint64_t>(y) << 32) | x;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) r |= static_cast<uint32_t>((v >> (8 * ((selector >> (4 * i)) & 7))) & 0xffu) << (8 * i);
  return r;
#endif
}

// Eight I4 values (a 32-bit word of nibbles, low nibble first, two's complement) as eight int8 in
// the same order, two words: (v ^ 8) - 8 per byte for the low and the high nibbles, then those
// bytes interleaved (low0, high0, low1, high1 | low2, high2, low3, high3).
struct Widened {
  uint32_t lo, hi;
};
LB_HD Widened widen_i4x8(uint32_t w) {
  const uint32_t lo = sub_bytes((w & 0x0F0F0F0Fu) ^ 0x08080808u, 0x08080808u);
  const uint32_t hi = sub_bytes(((w >> 4) & 0x0F0F0F0Fu) ^ 0x08080808u, 0x08080808u);
  return Widened{pick_bytes(lo, hi, 0x5140), pick_bytes(lo, hi, 0x7362)};
}

}  // namespace lb::cuda_tile
