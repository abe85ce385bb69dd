// lb_cuda_* for a build without CUDA (LOWBIT_CUDA=OFF or no nvcc): the same symbols, so
// the Java bindings are identical, each saying plainly that CUDA is not in this build.
#include "../../core/error.h"

namespace {
constexpr const char *kStatus = "no CUDA device: this lowbit library was built without CUDA";
lb_status no_cuda(const char *fn) { return lb::fail(LB_ERR_NO_CUDA, "%s: %s", fn, kStatus); }
}  // namespace

extern "C" {

LB_API int32_t lb_cuda_built(void) { return 0; }
LB_API const char *lb_cuda_archs(void) { return ""; }
LB_API const char *lb_cuda_status(void) { return kStatus; }

LB_API lb_status lb_cuda_device_count(int32_t *count) {
  if (!count) return lb::fail(LB_ERR_INVALID_ARGUMENT, "lb_cuda_device_count: count is NULL");
  *count = 0;
  return LB_OK;
}

LB_API lb_status lb_cuda_device_props_get(int32_t, lb_cuda_device_props *) { return no_cuda("lb_cuda_device_props_get"); }
LB_API lb_status lb_cuda_malloc(int32_t, int64_t, void **) { return no_cuda("lb_cuda_malloc"); }
LB_API lb_status lb_cuda_free(int32_t, void *) { return no_cuda("lb_cuda_free"); }
LB_API lb_status lb_cuda_host_alloc(int64_t, void **) { return no_cuda("lb_cuda_host_alloc"); }
LB_API lb_status lb_cuda_host_free(void *) { return no_cuda("lb_cuda_host_free"); }
LB_API lb_status lb_cuda_memcpy(int32_t, void *, const void *, int64_t, lb_copy_kind, lb_stream) {
  return no_cuda("lb_cuda_memcpy");
}
LB_API lb_status lb_cuda_memset(int32_t, void *, int32_t, int64_t, lb_stream) { return no_cuda("lb_cuda_memset"); }
LB_API lb_status lb_cuda_stream_create(int32_t, lb_stream *) { return no_cuda("lb_cuda_stream_create"); }
LB_API lb_status lb_cuda_stream_wrap(int32_t, void *, lb_stream *) { return no_cuda("lb_cuda_stream_wrap"); }
LB_API lb_status lb_cuda_stream_destroy(lb_stream) { return no_cuda("lb_cuda_stream_destroy"); }
LB_API lb_status lb_cuda_stream_synchronize(lb_stream) { return no_cuda("lb_cuda_stream_synchronize"); }
LB_API lb_status lb_cuda_device_synchronize(int32_t) { return no_cuda("lb_cuda_device_synchronize"); }

}  // extern "C"
