// Elementwise F32/F16/BF16/FP8 conversion. Memory-bound: each thread moves 8 consecutive
// elements per step (one vector access each way when the arrays are 16-byte aligned), grid-stride
// over the rest.
// The rounding is common/half.h, the same code the CPU scalar kernels run. No __restrict__:
// dst may alias src exactly (in-place f16 <-> bf16).
#include "../../common/fp8.h"
#include "../runtime/runtime.h"
#include "convert.cuh"

namespace lb::cuda {
namespace {

struct F32 {
  using T = float;
  static __device__ __forceinline__ float load(T v) { return v; }
  static __device__ __forceinline__ T store(float f) { return f; }
};
struct F16 {
  using T = uint16_t;
  static __device__ __forceinline__ float load(T v) { return f16_bits_to_f32(v); }
  static __device__ __forceinline__ T store(float f) { return f32_to_f16_bits(f); }
};
struct BF16 {
  using T = uint16_t;
  static __device__ __forceinline__ float load(T v) { return bf16_bits_to_f32(v); }
  static __device__ __forceinline__ T store(float f) { return f32_to_bf16_bits(f); }
};

template <bool Sat>
struct E4M3 {
  using T = uint8_t;
  static __device__ __forceinline__ float load(T v) { return e4m3_to_f32(v); }
  static __device__ __forceinline__ T store(float f) { return f32_to_e4m3(f, Sat); }
};
template <bool Sat>
struct E5M2 {
  using T = uint8_t;
  static __device__ __forceinline__ float load(T v) { return e5m2_to_f32(v); }
  static __device__ __forceinline__ T store(float f) { return f32_to_e5m2(f, Sat); }
};

constexpr int kPerThread = 8;
constexpr int kBlock = 256;

// A thread's 8 elements as one access of 8, 16 or 32 bytes (two of 16) when both arrays are 16-byte
// aligned: the element-wise form issued 8 loads and 8 stores a thread, each warp instruction touching
// 32 sectors at a stride of 8 elements.
template <class T>
__device__ __forceinline__ void load_run(const T *p, T (&v)[kPerThread]) {
  if constexpr (sizeof(T) == 4) {
    const uint4 a = reinterpret_cast<const uint4 *>(p)[0], b = reinterpret_cast<const uint4 *>(p)[1];
    memcpy(v, &a, 16);
    memcpy(v + 4, &b, 16);
  } else if constexpr (sizeof(T) == 2) {
    const uint4 a = *reinterpret_cast<const uint4 *>(p);
    memcpy(v, &a, 16);
  } else {
    const uint2 a = *reinterpret_cast<const uint2 *>(p);
    memcpy(v, &a, 8);
  }
}
template <class T>
__device__ __forceinline__ void store_run(T *p, const T (&v)[kPerThread]) {
  if constexpr (sizeof(T) == 4) {
    uint4 a, b;
    memcpy(&a, v, 16);
    memcpy(&b, v + 4, 16);
    reinterpret_cast<uint4 *>(p)[0] = a;
    reinterpret_cast<uint4 *>(p)[1] = b;
  } else if constexpr (sizeof(T) == 2) {
    uint4 a;
    memcpy(&a, v, 16);
    *reinterpret_cast<uint4 *>(p) = a;
  } else {
    uint2 a;
    memcpy(&a, v, 8);
    *reinterpret_cast<uint2 *>(p) = a;
  }
}

template <class S, class D>
__global__ void convert_kernel(const typename S::T *src, typename D::T *dst, int64_t n, bool aligned) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x * kPerThread;
  for (int64_t base = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) * kPerThread; base < n;
       base += stride) {
    if (base + kPerThread <= n) {
      typename S::T in[kPerThread];
      typename D::T out[kPerThread];
      if (aligned) {
        load_run(src + base, in);
      } else {
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) in[j] = src[base + j];
      }
#pragma unroll
      for (int j = 0; j < kPerThread; ++j) out[j] = D::store(S::load(in[j]));
      if (aligned) {
        store_run(dst + base, out);
      } else {
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) dst[base + j] = out[j];
      }
    } else {
      for (int64_t i = base; i < n; ++i) dst[i] = D::store(S::load(src[i]));
    }
  }
}

template <class S, class D>
void launch(const void *src, void *dst, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  const int64_t blocks_needed = (n + int64_t{kBlock} * kPerThread - 1) / (int64_t{kBlock} * kPerThread);
  const int64_t max_blocks = int64_t{multiprocessor_count()} * 16;  // enough resident blocks to hide latency
  const int blocks = static_cast<int>(blocks_needed < max_blocks ? blocks_needed : max_blocks);
  const bool aligned = ((reinterpret_cast<uintptr_t>(src) | reinterpret_cast<uintptr_t>(dst)) & 15) == 0;
  convert_kernel<S, D><<<blocks, kBlock, 0, stream>>>(static_cast<const typename S::T *>(src),
                                                      static_cast<typename D::T *>(dst), n, aligned);
}

// Dispatch on the destination, then the source: every pair of the five dtypes.
template <class S, bool Sat>
void launch_to(const void *src, lb_dtype d, void *dst, int64_t n, cudaStream_t stream) {
  switch (d) {
    case LB_DTYPE_F32: return launch<S, F32>(src, dst, n, stream);
    case LB_DTYPE_F16: return launch<S, F16>(src, dst, n, stream);
    case LB_DTYPE_BF16: return launch<S, BF16>(src, dst, n, stream);
    case LB_DTYPE_FP8_E4M3: return launch<S, E4M3<Sat>>(src, dst, n, stream);
    default: return launch<S, E5M2<Sat>>(src, dst, n, stream);
  }
}

template <bool Sat>
void launch_from(const void *src, lb_dtype s, void *dst, lb_dtype d, int64_t n, cudaStream_t stream) {
  switch (s) {
    case LB_DTYPE_F32: return launch_to<F32, Sat>(src, d, dst, n, stream);
    case LB_DTYPE_F16: return launch_to<F16, Sat>(src, d, dst, n, stream);
    case LB_DTYPE_BF16: return launch_to<BF16, Sat>(src, d, dst, n, stream);
    case LB_DTYPE_FP8_E4M3: return launch_to<E4M3<Sat>, Sat>(src, d, dst, n, stream);
    default: return launch_to<E5M2<Sat>, Sat>(src, d, dst, n, stream);
  }
}

}  // namespace

void launch_convert(const void *src, lb_dtype s, void *dst, lb_dtype d, int64_t n, bool saturate, cudaStream_t stream) {
  if (saturate) launch_from<true>(src, s, dst, d, n, stream);
  else launch_from<false>(src, s, dst, d, n, stream);
}

}  // namespace lb::cuda
