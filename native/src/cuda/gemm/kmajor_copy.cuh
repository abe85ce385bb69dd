// The K-major weight experiment (LOWBIT_CUDA_KMAJOR=1; wg_layout.h, docs/gemm.md): a copy of lowbit.h's
// packed FP8 pairs or int8 quads as B [n][k] row-major, made for one GEMM call, so that the
// warp-specialised kernel's wgmmas read the weights from shared memory as they read the activations.
// Per call, because the packed forms are what lb_fp8_prepack / lb_w8a8_prepack define on every device:
// if the GPU measures the shared-memory form worth it, the CUDA prepack should write it once instead.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace lb::cuda {

// Which packed form a copy reads: lowbit.h's FP8 pairs (2 k of a column in 16 bits) or int8 quads (4 k
// in 32 bits).
enum class PackedForm { kPairs, kQuads };

// out[j * k + kk] = B[j][kk] for j < n, from the packed matrix (16-byte aligned, k % 16 == 0), on `s`.
cudaError_t packed_to_kmajor(PackedForm form, const uint8_t *packed, int64_t n, int64_t k, uint8_t *out, cudaStream_t s);

// LOWBIT_CUDA_KMAJOR (read per call): 0 off; 1 a copy made and freed in each call; 2, for benchmarks
// only, the copy made for a packed matrix kept and reused by later calls with the same device, form,
// pointer, n and k — so that a benchmark times the GEMM kernel alone. 2 assumes the packed weights at that
// address never change and never frees the copies: nothing but a benchmark may set it.
int kmajor_setting();

// Mode 2's copy of `packed` (made on `s` the first time), or null with *err set.
const uint8_t *kept_kmajor(PackedForm form, const uint8_t *packed, int64_t n, int64_t k, cudaStream_t s, cudaError_t *err);

// Runs launch(q), q = p with its weights replaced by a K-major copy: in stream-ordered scratch freed
// after the launch on `s`, or (kmajor_setting() == 2) the kept one. Args: a W8A8 / FP8 GEMM's (p.op,
// tc_gemm.cuh's TcOperands).
template <class Args, class Launch>
cudaError_t launch_kmajor(PackedForm form, const Args &p, cudaStream_t s, Launch &&launch) {
  if (kmajor_setting() == 2) {
    cudaError_t err = cudaSuccess;
    const uint8_t *kept = kept_kmajor(form, p.op.b, p.op.n, p.op.k, s, &err);
    if (!kept) return err;
    Args q = p;
    q.op.b = kept;
    return launch(q);
  }
  void *kmajor = nullptr;
  if (cudaError_t err = cudaMallocAsync(&kmajor, static_cast<size_t>(p.op.n) * static_cast<size_t>(p.op.k), s); err != cudaSuccess) return err;
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
