// The few PTX instructions the CUDA GEMMs use that CUDA C++ has no intrinsic for: asynchronous
// global -> shared copies (sm_80+) and the int8 tensor-core mma (sm_80+). Each wrapper says
// in its comment which operand layout PTX defines, since the kernels index fragments by it.
#pragma once
#include <cstdint>

namespace lb::cuda {

// 16 bytes global -> shared, bypassing L1 (.cg). valid == false copies nothing and zero-fills
// the 16 shared bytes (src-size 0), so tiles past the matrix edge read as zeros; `gmem` must
// still be a mapped address then (callers pass the matrix base).
__device__ __forceinline__ void cp_async16(void *smem, const void *gmem, bool valid) {
  const unsigned dst = static_cast<unsigned>(__cvta_generic_to_shared(smem));
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(gmem), "r"(valid ? 16 : 0) : "memory");
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

}  // namespace lb::cuda
