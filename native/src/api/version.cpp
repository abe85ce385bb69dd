// Version and build description.
#include "build_config.h"
#include "lowbit.h"

#define LB_STR2(x) #x
#define LB_STR(x) LB_STR2(x)

extern "C" {

LB_API int32_t lb_abi_version(void) { return LB_ABI_VERSION; }

LB_API const char *lb_version_string(void) {
  return LB_STR(LB_VERSION_MAJOR) "." LB_STR(LB_VERSION_MINOR) "." LB_STR(LB_VERSION_PATCH);
}

LB_API const char *lb_build_info(void) {
  return "lowbit " LB_STR(LB_VERSION_MAJOR) "." LB_STR(LB_VERSION_MINOR) "." LB_STR(LB_VERSION_PATCH)
         " (ABI " LB_STR(LB_ABI_VERSION) "), " LOWBIT_COMPILER ", " LOWBIT_BUILD_TYPE
         ", CPU kernels: scalar avx2 avx512, CUDA: " LOWBIT_CUDA_DESCRIPTION;
}

}  // extern "C"
