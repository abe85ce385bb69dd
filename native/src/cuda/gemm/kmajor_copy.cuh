// K-major weights (wg_layout.h, docs/gemm.md): a copy of lowbit.h's packed FP8 pairs or int8 quads as
// B [n][k] row-major, made for one GEMM call, so that the warp-specialised kernel's wgmmas read the weights
// from shared memory as they read the activations. Per call, because the packed forms are what
// lb_fp8_prepack / lb_w8a8_prepack define on every device. On an H200 (lease (25)) the kernel on the copy
// was 1.10-1.24x faster than the register form and the copy's time left +2-16% at m >= 2048 on weights of
// 4096 x 4096 and more (0.77-0.93x at m = 512): kmajor_mode takes it there by default. A K-major CUDA
// prepack, written once, would give every call the kernel's whole gain.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace lb::cuda {

// Which packed form a copy reads: lowbit.h's FP8 pairs (2 k of a column in 16 bits) or int8 quads (4 k
// in 32 bits).
enum class PackedForm { kPairs, kQuads };

// out[j * k + kk] = B[j][kk] for j < n, from the packed matrix (16-byte aligned, k % 16 == 0), on `s`.
cudaError_t packed_to_kmajor(PackedForm form, const uint8_t *packed, int64_t n, int64_t k, uint8_t *out, cudaStream_t s);

// For a call of m rows on n x k weights that the wgmma kernels take: 0 the register form; 1 a copy made and
// freed in the call; 2 (LOWBIT_CUDA_KMAJOR=2, benchmarks only) the copy made for a packed matrix kept and
// reused by later calls with the same device, form, pointer, n and k — so that a benchmark times the GEMM
// kernel alone; it assumes the packed weights at that address never change and never frees the copies.
// LOWBIT_CUDA_KMAJOR (read per call) = 0, 1 or 2 forces a mode; unset: 1 where it measured faster
// (m >= kKMajorMinRows and n * k >= kKMajorMinWeights), else 0.
constexpr int64_t kKMajorMinRows = 2048, kKMajorMinWeights = int64_t{4096} * 4096;
int kmajor_mode(int64_t m, int64_t n, int64_t k);

// Mode 2's copy of `packed` (made on `s` the first time), or null with *err set.
const uint8_t *kept_kmajor(PackedForm form, const uint8_t *packed, int64_t n, int64_t k, cudaStream_t s, cudaError_t *err);

// Runs launch(q), q = p with its weights replaced by a K-major copy: in stream-ordered scratch freed
// after the launch on `s`, or (mode 2) the kept one. Args: a W8A8 / FP8 GEMM's (p.op, tc_gemm.cuh's
// TcOperands). No memory for the scratch: cudaErrorNotSupported (the error cleared), and the caller takes
// the register form, which needs none.
template <class Args, class Launch>
cudaError_t launch_kmajor(PackedForm form, int mode, const Args &p, cudaStream_t s, Launch &&launch) {
  if (mode == 2) {
    cudaError_t err = cudaSuccess;
    const uint8_t *kept = kept_kmajor(form, p.op.b, p.op.n, p.op.k, s, &err);
    if (!kept) return err;
    Args q = p;
    q.op.b = kept;
    return launch(q);
  }
  void *kmajor = nullptr;
  if (cudaError_t err = cudaMallocAsync(&kmajor, static_cast<size_t>(p.op.n) * static_cast<size_t>(p.op.k), s); err != cudaSuccess) {
    if (err != cudaErrorMemoryAllocation) return err;
    cudaGetLastError();
    return cudaErrorNotSupported;
  }
  cudaError_t err = packed_to_kmajor(form, p.op.b, p.op.n, p.op.k, static_cast<uint8_t *>(kmajor), s);
  if (err == cudaSuccess) {
    Args q = p;
    q.op.b = static_cast<const uint8_t *>(kmajor);
    err = launch(q);
  }
  const cudaError_t freed = cudaFreeAsync(kmajor, s);
  return err != cudaSuccess ? err : freed;
}

}  // namespace lb::cuda
