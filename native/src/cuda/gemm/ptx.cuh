// The few PTX instructions the CUDA GEMMs use that CUDA C++ has no intrinsic for: asynchronous
// global -> shared copies and ldmatrix (sm_80+), the int8 and f16/bf16 tensor-core mma (sm_80+) and
// the fp8 one (sm_89+). Each wrapper says in its comment which operand layout PTX defines, since the kernels
// index fragments by it.
#pragma once
#include <cstdint>

namespace lb::cuda {

// The 32-bit shared-state-space address PTX's shared-memory operands take, of a generic pointer into
// shared memory.
__device__ __forceinline__ uint32_t smem_u32(const void *p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

// 16 bytes global -> shared, bypassing L1 (.cg). valid == false copies nothing and zero-fills
// the 16 shared bytes (src-size 0), so tiles past the matrix edge read as zeros; `gmem` must
// still be a mapped address then (callers pass the matrix base).
__device__ __forceinline__ void cp_async16(void *smem, const void *gmem, bool valid) {
  const uint32_t dst = smem_u32(smem);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(gmem), "r"(valid ? 16 : 0) : "memory");
}

// 4 bytes global -> shared through L1 (.ca: the only form for fewer than 16 bytes); both addresses
// 4-byte aligned. valid == false zero-fills the 4 shared bytes, as cp_async16.
__device__ __forceinline__ void cp_async4(void *smem, const void *gmem, bool valid) {
  const uint32_t dst = smem_u32(smem);
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4, %2;\n" ::"r"(dst), "l"(gmem), "r"(valid ? 4 : 0) : "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

// Waits until at most N committed groups of this thread are still in flight.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// d += A (16 x 32, s8, row-major) . B (32 x 8, s8, column-major), exact int32. With g = lane / 4
// and t = lane % 4 (PTX ISA, "mma.m16n8k32" fragments for 8-bit types), each register holds 4
// consecutive k values:
//   a[0]: A[g][4t..4t+3]      a[1]: A[g+8][4t..]      a[2]: A[g][16+4t..]      a[3]: A[g+8][16+4t..]
//   b[0]: B[4t..4t+3][g]      b[1]: B[16+4t..][g]
//   d[0], d[1]: D[g][2t], D[g][2t+1]                   d[2], d[3]: D[g+8][2t], D[g+8][2t+1]
__device__ __forceinline__ void mma_s8_16832(int32_t (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
      : "+r"(d[0]), "+r"(d[1]), "+r"(d[2]), "+r"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// Four 8 x 8 matrices of 16-bit elements from shared memory, transposed: lane L gives the address
// of row L % 8 of matrix L / 8 (16 contiguous bytes); r[q] receives, in lane (g, t), elements
// [2t][g] (low half) and [2t + 1][g] (high half) of matrix q.
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void *row) {
  const uint32_t addr = smem_u32(row);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// d += A . B in f32 for 8-bit floats (E4M3 or E5M2 on each side), fragments laid out as for
// mma_s8_16832 (PTX gives all 8-bit types of m16n8k32 the same layout). sm_89+ only: elsewhere
// it traps, and the host refuses to launch (lb::cuda::fp8_gemm checks the device first).
template <bool kAE5M2, bool kBE5M2>
__device__ __forceinline__ void mma_fp8_16832(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
#  define LB_MMA_FP8(TA, TB)                                                                                       \
    asm volatile("mma.sync.aligned.m16n8k32.row.col.f32." TA "." TB ".f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, " \
                 "{%0,%1,%2,%3};\n"                                                                               \
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                                                  \
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]))
  if constexpr (!kAE5M2 && !kBE5M2) LB_MMA_FP8("e4m3", "e4m3");
  else if constexpr (!kAE5M2) LB_MMA_FP8("e4m3", "e5m2");
  else if constexpr (!kBE5M2) LB_MMA_FP8("e5m2", "e4m3");
  else LB_MMA_FP8("e5m2", "e5m2");
#  undef LB_MMA_FP8
#else
  __trap();
#endif
}

// As ldmatrix_x4_trans without .trans: lane (g, t) receives elements [g][2t] (low half) and
// [g][2t + 1] (high half) of each matrix q in r[q].
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void *row) {
  const uint32_t addr = smem_u32(row);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// Two matrices: lanes 0..15 give the row addresses (the others' are ignored).
__device__ __forceinline__ void ldmatrix_x2(uint32_t (&r)[2], const void *row) {
  const uint32_t addr = smem_u32(row);
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.shared.b16 {%0,%1}, [%2];\n" : "=r"(r[0]), "=r"(r[1]) : "r"(addr));
}

// d += A (16 x 16, row-major) . B (16 x 8, column-major) in f32 for f16 (kBF16: bf16) operands,
// sm_80+. With g = lane / 4, t = lane % 4, each register holds 2 consecutive k (low k in the low
// half): a[0]: A[g][2t..2t+1]   a[1]: A[g+8][2t..]   a[2]: A[g][2t+8..]   a[3]: A[g+8][2t+8..]
//           b[0]: B[2t..2t+1][g]  b[1]: B[2t+8..][g]
//           d[0], d[1]: D[g][2t], D[g][2t+1]          d[2], d[3]: D[g+8][2t], D[g+8][2t+1]
template <bool kBF16>
__device__ __forceinline__ void mma_16816(float (&d)[4], const uint32_t (&a)[4], const uint32_t (&b)[2]) {
  if constexpr (kBF16) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  } else {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
}

// a * 1 + c for two f16 (kBF16: bf16) values per register, rounded to nearest (exact where the
// W4A16 kernel uses it: (magic + u) - magic). fma because sub.bf16x2 needs sm_90.
template <bool kBF16>
__device__ __forceinline__ uint32_t fma_one_x2(uint32_t a, uint32_t c) {
  uint32_t d;
  if constexpr (kBF16) asm("fma.rn.bf16x2 %0, %1, %2, %3;\n" : "=r"(d) : "r"(a), "r"(0x3F803F80u), "r"(c));
  else asm("fma.rn.f16x2 %0, %1, %2, %3;\n" : "=r"(d) : "r"(a), "r"(0x3C003C00u), "r"(c));
  return d;
}

}  // namespace lb::cuda
