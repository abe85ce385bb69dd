// The K-major FP8 weight experiment (LOWBIT_CUDA_FP8_KMAJOR=1; wg_layout.h, docs/gemm.md): a copy of
// lowbit.h's packed FP8 pairs as B [n][k] row-major, made for one GEMM call, so that the
// warp-specialised kernel's wgmmas read the weights from shared memory as they read the activations.
// Per call, because the packed form is what lb_fp8_prepack defines on every device: if the GPU
// measures the shared-memory form worth it, the CUDA prepack should write it once instead.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace lb::cuda {

// out[j * k + kk] = B[j][kk] for j < n, from the packed pairs (16-byte aligned, k % 16 == 0), on `s`.
cudaError_t fp8_pairs_to_kmajor(const uint8_t *packed, int64_t n, int64_t k, uint8_t *out, cudaStream_t s);

// Runs launch(q), q = p with its weights replaced by a K-major copy in stream-ordered scratch (freed
// after the launch on `s`). Args: an FP8 GEMM's (p.op, tc_gemm.cuh's TcOperands).
template <class Args, class Launch>
cudaError_t launch_fp8_kmajor(const Args &p, cudaStream_t s, Launch &&launch) {
  void *kmajor = nullptr;
  if (cudaError_t err = cudaMallocAsync(&kmajor, static_cast<size_t>(p.op.n) * static_cast<size_t>(p.op.k), s); err != cudaSuccess) return err;
  cudaError_t err = fp8_pairs_to_kmajor(p.op.b, p.op.n, p.op.k, static_cast<uint8_t *>(kmajor), s);
  if (err == cudaSuccess) {
    Args q = p;
    q.op.b = static_cast<const uint8_t *>(kmajor);
    err = launch(q);
  }
  const cudaError_t freed = cudaFreeAsync(kmajor, s);
  return err != cudaSuccess ? err : freed;
}

}  // namespace lb::cuda
