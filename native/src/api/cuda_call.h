// The CUDA half of a C ABI call, after the device-independent checks: make the device current and
// run the CUDA backend on the raw stream — or, in a build without CUDA, say so plainly. Callers
// need no #if: the backends' headers compile in every build (cuda/runtime/stream_type.h) and,
// without CUDA, the backend call is never made (so never linked).
#pragma once
#include "build_config.h"  // LOWBIT_WITH_CUDA: include it first, an undefined macro reads as 0 in #if

#include "../core/error.h"
#include "../cuda/runtime/stream_type.h"
#include "lowbit.h"
#if LOWBIT_WITH_CUDA
#  include "../cuda/runtime/runtime.h"
#endif

namespace lb {

inline lb_status no_cuda_build(const char *fn, int32_t device) {
  return fail(LB_ERR_NO_CUDA, "%s: CUDA device %d requested, but %s", fn, device, lb_cuda_status());
}

// Makes `device` current, then runs cuda(raw stream) under lb::guard.
template <class Cuda>
lb_status on_cuda(const char *fn, int32_t device, lb_stream stream, Cuda cuda) {
#if LOWBIT_WITH_CUDA
  cudaStream_t s;
  if (lb_status st = cuda::use_device(fn, device, stream, &s)) return st;
  return guard(fn, [&] { return cuda(s); });
#else
  (void)stream;
  (void)cuda;
  return no_cuda_build(fn, device);
#endif
}

}  // namespace lb
