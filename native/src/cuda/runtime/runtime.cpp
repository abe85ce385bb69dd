// lb_cuda_*: devices, memory and streams on top of the CUDA runtime, which is linked
// statically: the library loads on machines without CUDA and reports "no CUDA device".
#include "runtime.h"

#include "build_config.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>

#include "../../core/error.h"
#include "../quant/quant.cuh"

namespace lb::cuda {
namespace {

struct Probe {
  int count = 0;
  std::string status;
};

// cudaGetDeviceCount initialises the runtime; do it once and remember why it failed.
const Probe &probe() {
  static const Probe p = [] {
    Probe r;
    int runtime = 0, driver = 0;
    cudaRuntimeGetVersion(&runtime);
    const cudaError_t derr = cudaDriverGetVersion(&driver);
    const cudaError_t err = cudaGetDeviceCount(&r.count);
    char buf[512];
    if (err != cudaSuccess || r.count == 0) {
      r.count = 0;
      const char *why = err == cudaErrorInsufficientDriver && (derr != cudaSuccess || driver == 0)
                            ? "CUDA driver not found"
                            : (err == cudaSuccess ? "the driver reports 0 devices" : cudaGetErrorString(err));
      std::snprintf(buf, sizeof buf, "no CUDA device: %s (CUDA runtime %d.%d, error %s)", why, runtime / 1000,
                    (runtime % 1000) / 10, err == cudaSuccess ? "none" : cudaGetErrorName(err));
      cudaGetLastError();  // clear, so later calls do not see it
    } else {
      std::snprintf(buf, sizeof buf, "CUDA runtime %d.%d, driver %d.%d, %d device%s", runtime / 1000,
                    (runtime % 1000) / 10, driver / 1000, (driver % 1000) / 10, r.count, r.count == 1 ? "" : "s");
    }
    r.status = buf;
    return r;
  }();
  return p;
}

}  // namespace

lb_status check(cudaError_t err, const char *fn, const char *what) {
  if (err == cudaSuccess) return LB_OK;
  const lb_status st = err == cudaErrorMemoryAllocation ? LB_ERR_OUT_OF_MEMORY
                       : (err == cudaErrorNoDevice || err == cudaErrorInsufficientDriver) ? LB_ERR_NO_CUDA
                                                                                          : LB_ERR_CUDA;
  return fail(st, "%s: %s failed: %s (%s)", fn, what, cudaGetErrorName(err), cudaGetErrorString(err));
}

lb_status use_device(const char *fn, int32_t device, lb_stream stream, cudaStream_t *out) {
  const Probe &p = probe();
  if (p.count == 0) return fail(LB_ERR_NO_CUDA, "%s: %s", fn, p.status.c_str());
  if (device < 0 || device >= p.count)
    return fail(LB_ERR_NO_CUDA, "%s: no CUDA device %d (this machine has %d)", fn, device, p.count);
  if (stream && stream->device != device)
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: stream belongs to CUDA device %d, not %d", fn, stream->device, device);
  if (lb_status st = check(cudaSetDevice(device), fn, "cudaSetDevice")) return st;
  *out = stream ? stream->handle : nullptr;
  return LB_OK;
}

namespace {

// An attribute of the current device (0 when it cannot be read).
int current_device_attribute(cudaDeviceAttr attribute) {
  int device = 0, value = 0;
  cudaGetDevice(&device);
  cudaDeviceGetAttribute(&value, attribute, device);
  return value;
}

}  // namespace

int multiprocessor_count() {
  const int sms = current_device_attribute(cudaDevAttrMultiProcessorCount);
  return sms > 0 ? sms : 1;
}

bool env_switched_off(const char *name) {
  const char *v = std::getenv(name);
  return v && v[0] == '0';
}

int64_t l2_cache_bytes() {
  const int bytes = current_device_attribute(cudaDevAttrL2CacheSize);
  return bytes > (1 << 20) ? bytes : int64_t{1} << 20;
}

int resident_blocks_per_sm(const void *kernel, int threads) {
  int n = 0;
  return cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, kernel, threads, 0) == cudaSuccess && n > 0 ? n : 1;
}

int compute_capability() {
  int device = 0, major = 0, minor = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return 0;
  cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
  cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
  return 10 * major + minor;
}

lb_status require_capability(const char *fn, int major, int minor, const char *what) {
  int device = 0, have_major = 0, have_minor = 0;
  if (lb_status st = check(cudaGetDevice(&device), fn, "cudaGetDevice")) return st;
  if (lb_status st = check(cudaDeviceGetAttribute(&have_major, cudaDevAttrComputeCapabilityMajor, device), fn, "cudaDeviceGetAttribute"))
    return st;
  if (lb_status st = check(cudaDeviceGetAttribute(&have_minor, cudaDevAttrComputeCapabilityMinor, device), fn, "cudaDeviceGetAttribute"))
    return st;
  if (have_major * 10 + have_minor >= major * 10 + minor) return LB_OK;
  return fail(LB_ERR_UNSUPPORTED, "%s: %s need compute capability %d.%d or newer; device %d is sm_%d%d", fn, what, major, minor, device,
              have_major, have_minor);
}

lb_status copy_host_arguments(const char *fn, const char *what, const void *host, size_t bytes, void **out, cudaStream_t s) {
  if (lb_status st = check(cudaMallocAsync(out, bytes, s), fn, "cudaMallocAsync of the host arguments")) return st;
  if (lb_status st = check(cudaMemcpyAsync(*out, host, bytes, cudaMemcpyHostToDevice, s), fn, what)) {
    cudaFreeAsync(*out, s);
    return st;
  }
  return LB_OK;
}

lb_status finish_launch(const char *fn, lb_stream stream) {
  if (lb_status st = check(cudaGetLastError(), fn, "kernel launch")) return st;
  if (!stream) return check(cudaStreamSynchronize(nullptr), fn, "kernel execution");
  return LB_OK;
}

}  // namespace lb::cuda

using lb::fail;
using lb::cuda::check;
using lb::cuda::use_device;

extern "C" {

LB_API int32_t lb_cuda_built(void) { return 1; }
LB_API const char *lb_cuda_archs(void) { return LOWBIT_CUDA_ARCHS; }
LB_API const char *lb_cuda_status(void) { return lb::cuda::probe().status.c_str(); }

LB_API lb_status lb_cuda_device_count(int32_t *count) {
  if (!count) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_device_count: count is NULL");
  *count = lb::cuda::probe().count;
  return LB_OK;
}

LB_API lb_status lb_cuda_device_props_get(int32_t device, lb_cuda_device_props *out) {
  if (!out) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_device_props_get: out is NULL");
  cudaStream_t s;
  if (lb_status st = use_device("lb_cuda_device_props_get", device, nullptr, &s)) return st;
  cudaDeviceProp p;
  if (lb_status st = check(cudaGetDeviceProperties(&p, device), "lb_cuda_device_props_get", "cudaGetDeviceProperties"))
    return st;
  int clock_khz = 0;
  cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, device);
  std::memset(out, 0, sizeof *out);
  std::snprintf(out->name, sizeof out->name, "%s", p.name);
  out->major = p.major;
  out->minor = p.minor;
  out->multiprocessors = p.multiProcessorCount;
  out->memory_bus_width_bits = p.memoryBusWidth;
  out->total_memory_bytes = static_cast<int64_t>(p.totalGlobalMem);
  out->l2_cache_bytes = p.l2CacheSize;
  out->memory_clock_khz = clock_khz;
  return LB_OK;
}

LB_API lb_status lb_cuda_malloc(int32_t device, int64_t bytes, void **out) {
  if (!out) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_malloc: out is NULL");
  if (bytes <= 0) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_malloc: bytes must be > 0, got %lld", (long long)bytes);
  cudaStream_t s;
  if (lb_status st = use_device("lb_cuda_malloc", device, nullptr, &s)) return st;
  *out = nullptr;
  return check(cudaMalloc(out, static_cast<size_t>(bytes)), "lb_cuda_malloc", "cudaMalloc");
}

LB_API lb_status lb_cuda_free(int32_t device, void *ptr) {
  if (!ptr) return LB_OK;
  cudaStream_t s;
  if (lb_status st = use_device("lb_cuda_free", device, nullptr, &s)) return st;
  return check(cudaFree(ptr), "lb_cuda_free", "cudaFree");
}

LB_API lb_status lb_cuda_host_alloc(int64_t bytes, void **out) {
  if (!out) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_host_alloc: out is NULL");
  if (bytes <= 0) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_host_alloc: bytes must be > 0, got %lld", (long long)bytes);
  if (lb::cuda::probe().count == 0) return fail(LB_ERR_NO_CUDA, "lb_cuda_host_alloc: %s", lb_cuda_status());
  *out = nullptr;
  return check(cudaMallocHost(out, static_cast<size_t>(bytes)), "lb_cuda_host_alloc", "cudaMallocHost");
}

LB_API lb_status lb_cuda_host_free(void *ptr) {
  if (!ptr) return LB_OK;
  return check(cudaFreeHost(ptr), "lb_cuda_host_free", "cudaFreeHost");
}

LB_API lb_status lb_cuda_memcpy(int32_t device, void *dst, const void *src, int64_t bytes, lb_copy_kind kind,
                                lb_stream stream) {
  if (bytes < 0) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_memcpy: bytes must be >= 0, got %lld", (long long)bytes);
  if (bytes > 0 && (!dst || !src)) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_memcpy: dst and src must not be NULL");
  cudaMemcpyKind k;
  switch (kind) {
    case LB_COPY_HOST_TO_DEVICE: k = cudaMemcpyHostToDevice; break;
    case LB_COPY_DEVICE_TO_HOST: k = cudaMemcpyDeviceToHost; break;
    case LB_COPY_DEVICE_TO_DEVICE: k = cudaMemcpyDeviceToDevice; break;
    default: return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_memcpy: unknown copy kind %d", kind);
  }
  cudaStream_t s;
  if (lb_status st = use_device("lb_cuda_memcpy", device, stream, &s)) return st;
  if (bytes == 0) return LB_OK;
  if (!stream) return check(cudaMemcpy(dst, src, static_cast<size_t>(bytes), k), "lb_cuda_memcpy", "cudaMemcpy");
  return check(cudaMemcpyAsync(dst, src, static_cast<size_t>(bytes), k, s), "lb_cuda_memcpy", "cudaMemcpyAsync");
}

LB_API lb_status lb_cuda_memset(int32_t device, void *dst, int32_t byte_value, int64_t bytes, lb_stream stream) {
  if (bytes < 0) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_memset: bytes must be >= 0, got %lld", (long long)bytes);
  if (bytes > 0 && !dst) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_memset: dst is NULL");
  cudaStream_t s;
  if (lb_status st = use_device("lb_cuda_memset", device, stream, &s)) return st;
  if (bytes == 0) return LB_OK;
  if (!stream) return check(cudaMemset(dst, byte_value, static_cast<size_t>(bytes)), "lb_cuda_memset", "cudaMemset");
  return check(cudaMemsetAsync(dst, byte_value, static_cast<size_t>(bytes), s), "lb_cuda_memset", "cudaMemsetAsync");
}

LB_API lb_status lb_cuda_stream_create(int32_t device, lb_stream *out) {
  if (!out) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_stream_create: out is NULL");
  cudaStream_t s;
  if (lb_status st = use_device("lb_cuda_stream_create", device, nullptr, &s)) return st;
  return lb::guard("lb_cuda_stream_create", [&] {
    auto *stream = new lb_stream_s{device, nullptr, true, {}};
    if (lb_status st = check(cudaStreamCreateWithFlags(&stream->handle, cudaStreamNonBlocking), "lb_cuda_stream_create",
                             "cudaStreamCreateWithFlags")) {
      delete stream;
      return st;
    }
    *out = stream;
    return LB_OK;
  });
}

LB_API lb_status lb_cuda_stream_wrap(int32_t device, void *cuda_stream, lb_stream *out) {
  if (!out) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_stream_wrap: out is NULL");
  if (!cuda_stream)
    return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_stream_wrap: cuda_stream is NULL (pass NULL as lb_stream for the default stream)");
  cudaStream_t s;
  if (lb_status st = use_device("lb_cuda_stream_wrap", device, nullptr, &s)) return st;
  int stream_device = -1;
  if (lb_status st = check(cudaStreamGetDevice(static_cast<cudaStream_t>(cuda_stream), &stream_device), "lb_cuda_stream_wrap",
                           "cudaStreamGetDevice"))
    return st;
  if (stream_device != device)
    return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_stream_wrap: the stream belongs to CUDA device %d, not %d", stream_device, device);
  return lb::guard("lb_cuda_stream_wrap", [&] {
    *out = new lb_stream_s{device, static_cast<cudaStream_t>(cuda_stream), false, {}};
    return LB_OK;
  });
}

LB_API lb_status lb_cuda_stream_destroy(lb_stream stream) {
  if (!stream) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_stream_destroy: stream is NULL");
  lb_status st = LB_OK;
  cudaSetDevice(stream->device);
  if (!stream->pending.empty()) {  // checks nobody asked for: let the work finish, drop them
    cudaStreamSynchronize(stream->handle);
    lb::cuda::drop_pending_checks(stream);
  }
  if (stream->owned) st = check(cudaStreamDestroy(stream->handle), "lb_cuda_stream_destroy", "cudaStreamDestroy");
  delete stream;
  return st;
}

LB_API lb_status lb_cuda_stream_synchronize(lb_stream stream) {
  if (!stream) return fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_stream_synchronize: stream is NULL");
  cudaSetDevice(stream->device);
  const lb_status st = check(cudaStreamSynchronize(stream->handle), "lb_cuda_stream_synchronize", "cudaStreamSynchronize");
  if (st != LB_OK) {
    lb::cuda::drop_pending_checks(stream);
    return st;
  }
  return lb::cuda::report_pending_checks(stream);  // the queued quantizers' NaN/Inf and scale checks
}

LB_API lb_status lb_cuda_device_synchronize(int32_t device) {
  cudaStream_t s;
  if (lb_status st = use_device("lb_cuda_device_synchronize", device, nullptr, &s)) return st;
  return check(cudaDeviceSynchronize(), "lb_cuda_device_synchronize", "cudaDeviceSynchronize");
}

}  // extern "C"
