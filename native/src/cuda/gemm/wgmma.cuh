// The Hopper warpgroup MMA instructions wg_gemm.cuh issues (PTX ISA "wgmma.mma_async"), for sm_90a
// only: compiled for any other target they trap (the host launches them on compute capability 9.0
// alone, where the sm_90a cubin runs).
//
// wgmma_m64n128k32: D[64 x 128] (+)= A[64 x 32] . B[32 x 128] for one warpgroup (4 warps, 128
// threads), A from registers, B from shared memory through a matrix descriptor (wg_layout.h). A
// registers (8-bit types): lane (g, t) of warp w holds a0 = A[16 w + g][4t..4t+3] (4 consecutive k,
// lowest in the low byte), a1 = row + 8, a2 = k + 16, a3 = both. D: wg_layout.h's acc_position.
// scale_d == 0 ignores D's old value (D = A . B), which is also how the accumulators are cleared:
// writing them with ordinary instructions between wgmmas makes ptxas serialise them.
#pragma once
#include <cstdint>

namespace lb::cuda {

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
#  define LB_WGMMA_ENABLED 1
#else
#  define LB_WGMMA_ENABLED 0
#endif

#define LB_WG_D8(C, d, b) C(d[b]), C(d[b + 1]), C(d[b + 2]), C(d[b + 3]), C(d[b + 4]), C(d[b + 5]), C(d[b + 6]), C(d[b + 7])
#define LB_WG_D64(C, d) \
  LB_WG_D8(C, d, 0), LB_WG_D8(C, d, 8), LB_WG_D8(C, d, 16), LB_WG_D8(C, d, 24), LB_WG_D8(C, d, 32), LB_WG_D8(C, d, 40), LB_WG_D8(C, d, 48), LB_WG_D8(C, d, 56)
#define LB_WG_F(x) "+f"(x)
#define LB_WG_R(x) "+r"(x)
#define LB_WG_DREGS                                                                                                          \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, " \
  "%26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, "   \
  "%50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}"
// a = %64..%67, the descriptor %68, scale_d %69 (a predicate made from it).
#define LB_WG_TAIL ", {%64, %65, %66, %67}, %68, p"

// Orders this warpgroup's earlier register writes (A fragments, accumulators) before the wgmmas
// that follow.
__device__ __forceinline__ void wgmma_fence() {
#if LB_WGMMA_ENABLED
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void wgmma_commit() {
#if LB_WGMMA_ENABLED
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
#endif
}

// Waits until at most N committed wgmma groups of this warpgroup are in flight.
template <int N>
__device__ __forceinline__ void wgmma_wait() {
#if LB_WGMMA_ENABLED
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
#endif
}

// Shared memory written through the generic proxy (cp.async, ordinary stores) is read by the tensor
// cores through the async proxy: each writing thread fences before the barrier that publishes it.
__device__ __forceinline__ void fence_proxy_async_shared() {
#if LB_WGMMA_ENABLED
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
#endif
}

// Keeps the compiler from moving accesses of an accumulator register across the asm statements
// around it (the wgmma writes it asynchronously, which the compiler cannot see).
__device__ __forceinline__ void fence_register(float &x) { asm volatile("" : "+f"(x)::"memory"); }
__device__ __forceinline__ void fence_register(int32_t &x) { asm volatile("" : "+r"(x)::"memory"); }

// Int8 x int8 -> int32 (exact). A = weights, B = activations (both signed).
__device__ __forceinline__ void wgmma_m64n128k32_s8(int32_t (&d)[64], const uint32_t (&a)[4], uint64_t desc, uint32_t scale_d) {
#if LB_WGMMA_ENABLED
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\nwgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 " LB_WG_DREGS LB_WG_TAIL ";\n}\n"
               : LB_WG_D64(LB_WG_R, d)
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scale_d));
#else
  __trap();
#endif
}

// The same with both operands in shared memory (K-major SWIZZLE_128B descriptors; the K-major weight
// experiment, wg_layout.h's kmajor_a_start): descriptor %64 the weights, %65 the activations.
__device__ __forceinline__ void wgmma_m64n128k32_s8_ss(int32_t (&d)[64], uint64_t desc_a, uint64_t desc_b, uint32_t scale_d) {
#if LB_WGMMA_ENABLED
  asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\nwgmma.mma_async.sync.aligned.m64n128k32.s32.s8.s8 " LB_WG_DREGS ", %64, %65, p;\n}\n"
               : LB_WG_D64(LB_WG_R, d)
               : "l"(desc_a), "l"(desc_b), "r"(scale_d));
#else
  __trap();
#endif
}

// MACRO(TA, TB) with the PTX type names kAE5M2 / kBE5M2 choose (the asm text must be a literal).
#define LB_WG_F8_TYPES(MACRO)                                 \
  if constexpr (!kAE5M2 && !kBE5M2) MACRO("e4m3", "e4m3");    \
  else if constexpr (!kAE5M2) MACRO("e4m3", "e5m2");          \
  else if constexpr (!kBE5M2) MACRO("e5m2", "e4m3");          \
  else MACRO("e5m2", "e5m2")

// FP8 x FP8 -> f32; kAE5M2 / kBE5M2 pick E5M2 over E4M3 for wgmma's A (the weights) and B (the
// activations).
template <bool kAE5M2, bool kBE5M2>
__device__ __forceinline__ void wgmma_m64n128k32_f8(float (&d)[64], const uint32_t (&a)[4], uint64_t desc, uint32_t scale_d) {
#if LB_WGMMA_ENABLED
#  define LB_WGMMA_F8(TA, TB)                                                                                                     \
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\nwgmma.mma_async.sync.aligned.m64n128k32.f32." TA "." TB " " LB_WG_DREGS \
                 LB_WG_TAIL ", 1, 1;\n}\n"                                                                                         \
                 : LB_WG_D64(LB_WG_F, d)                                                                                           \
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scale_d))
  LB_WG_F8_TYPES(LB_WGMMA_F8);
#  undef LB_WGMMA_F8
#else
  __trap();
#endif
}

#define LB_WG_D32(C, d) LB_WG_D8(C, d, 0), LB_WG_D8(C, d, 8), LB_WG_D8(C, d, 16), LB_WG_D8(C, d, 24)
#define LB_WG_DREGS32                                                                                                        \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, " \
  "%26, %27, %28, %29, %30, %31}, {%32, %33, %34, %35}, %36, p"
#define LB_WG_DREGS32_SS                                                                                                     \
  "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, " \
  "%26, %27, %28, %29, %30, %31}, %32, %33, p"

// The same with N = 64 (32 accumulators a thread; their positions are acc_position's for registers
// 0..31, i.e. activation rows 0..63 of the descriptor's tile): FP8's half-tile pipeline issues the two
// 64-row halves of a stage as separate groups.
template <bool kAE5M2, bool kBE5M2>
__device__ __forceinline__ void wgmma_m64n64k32_f8(float (&d)[32], const uint32_t (&a)[4], uint64_t desc, uint32_t scale_d) {
#if LB_WGMMA_ENABLED
#  define LB_WGMMA_F8(TA, TB)                                                                                                  \
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\nwgmma.mma_async.sync.aligned.m64n64k32.f32." TA "." TB " " LB_WG_DREGS32 \
                 ", 1, 1;\n}\n"                                                                                                 \
                 : LB_WG_D32(LB_WG_F, d)                                                                                        \
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc), "r"(scale_d))
  LB_WG_F8_TYPES(LB_WGMMA_F8);
#  undef LB_WGMMA_F8
#else
  __trap();
#endif
}

// The same with both operands in shared memory (K-major, SWIZZLE_128B descriptors): A = the weights
// (64 columns x 32 k), B = the activations (64 rows x 32 k). The K-major weight experiment
// (wg_layout.h's kmajor_a_start) issues it instead of the register form: no fragment loads.
template <bool kAE5M2, bool kBE5M2>
__device__ __forceinline__ void wgmma_m64n64k32_f8_ss(float (&d)[32], uint64_t desc_a, uint64_t desc_b, uint32_t scale_d) {
#if LB_WGMMA_ENABLED
#  define LB_WGMMA_F8(TA, TB)                                                                                                  \
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %34, 0;\nwgmma.mma_async.sync.aligned.m64n64k32.f32." TA "." TB " " LB_WG_DREGS32_SS \
                 ", 1, 1;\n}\n"                                                                                                 \
                 : LB_WG_D32(LB_WG_F, d)                                                                                        \
                 : "l"(desc_a), "l"(desc_b), "r"(scale_d))
  LB_WG_F8_TYPES(LB_WGMMA_F8);
#  undef LB_WGMMA_F8
#else
  __trap();
#endif
}

#undef LB_WG_F8_TYPES
#undef LB_WG_D32
#undef LB_WG_DREGS32
#undef LB_WG_DREGS32_SS
#undef LB_WG_D8
#undef LB_WG_D64
#undef LB_WG_F
#undef LB_WG_R
#undef LB_WG_DREGS
#undef LB_WG_TAIL

}  // namespace lb::cuda
