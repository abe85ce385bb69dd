// Shared plumbing of the CUDA backend: status mapping and (device, stream) checks.
// Only compiled when LOWBIT_WITH_CUDA is on.
#pragma once
#include <cuda_runtime_api.h>

#include <vector>

#include "lowbit.h"

// A quantizing call queued on a stream whose NaN/Inf and scale checks have not been read yet:
// its two failure indices stay in device memory (`bad`) until lb_cuda_stream_synchronize.
struct lb_pending_quant_check {
  const char *fn;
  lb_quant_params params;
  int64_t block_cols_count;  // C, for the message
  unsigned long long *bad;   // device: [0] first NaN/Inf block, [1] first overflowing scale; ~0: none
};

struct lb_stream_s {
  int32_t device;
  cudaStream_t handle;
  bool owned;  // created by lb_cuda_stream_create (destroyed with the wrapper), not wrapped
  std::vector<lb_pending_quant_check> pending;  // in queue order
};

namespace lb::cuda {

// Maps a failed CUDA call to a lowbit status with "fn: what: cudaErrorX (text)".
lb_status check(cudaError_t err, const char *fn, const char *what);

// Checks that `device` exists and that `stream` (may be NULL) belongs to it, makes the
// device current on this thread and writes the raw stream to *out.
lb_status use_device(const char *fn, int32_t device, lb_stream stream, cudaStream_t *out);

// LB_OK if the current device's compute capability is at least major.minor, else LB_ERR_UNSUPPORTED
// naming `what` needs it and what the device is.
lb_status require_capability(const char *fn, int major, int minor, const char *what);

// Streaming multiprocessors of the current device (at least 1): launch sizes scale with it.
int multiprocessor_count();

// Whether the environment variable `name` is set to 0 (read at every call, so one process can time a
// kernel path and its alternative side by side): the switches that turn a default path off for an A/B.
bool env_switched_off(const char *name);

// The current device's L2 cache in bytes (at least 1 MiB): kernels that read their data twice size
// their grid so that what is in flight stays there between the reads.
int64_t l2_cache_bytes();

// Blocks of `kernel` (a __global__ function) with `threads` threads and no dynamic shared memory that
// the current device's SMs hold at once, registers and shared memory permitting (at least 1): the grid
// of a kernel whose blocks stream through their work. Callers cache it per kernel.
int resident_blocks_per_sm(const void *kernel, int threads);

// The current device's compute capability as 10 * major + minor (90 for Hopper), 0 if unreadable:
// for choosing a kernel (require_capability is the check that reports).
int compute_capability();

// `bytes` of host memory (a call's small host-side arguments: sequence offsets, token ids) into new
// stream-ordered device scratch *out, which the caller frees with cudaFreeAsync on `s` after its
// kernels. The copy is staged before this returns, so the host buffer may go at once. `what` names
// the data in error messages.
lb_status copy_host_arguments(const char *fn, const char *what, const void *host, size_t bytes, void **out, cudaStream_t s);

// After a launch: launch errors now, and for the default stream (stream == NULL) the
// kernel's own errors too, since the call is documented to be complete on return.
lb_status finish_launch(const char *fn, lb_stream stream);

}  // namespace lb::cuda
