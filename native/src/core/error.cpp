#include "error.h"

#include <cstdarg>
#include <cstdio>
#include <string>

namespace {
thread_local std::string last_error;
}

namespace lb {

lb_status fail(lb_status status, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  try {
    last_error.assign(buf);
  } catch (...) {
    // Out of memory while reporting: keep whatever message was there.
  }
  return status;
}

const char *dtype_name(lb_dtype dtype) {
  switch (dtype) {
    case LB_DTYPE_F32: return "F32";
    case LB_DTYPE_F16: return "F16";
    case LB_DTYPE_BF16: return "BF16";
    case LB_DTYPE_I8: return "I8";
    case LB_DTYPE_U8: return "U8";
    case LB_DTYPE_I4: return "I4";
    case LB_DTYPE_U4: return "U4";
    case LB_DTYPE_FP8_E4M3: return "FP8_E4M3";
    case LB_DTYPE_FP8_E5M2: return "FP8_E5M2";
    case LB_DTYPE_I32: return "I32";
    default: return "unknown dtype";
  }
}

}  // namespace lb

extern "C" LB_API const char *lb_last_error(void) { return last_error.c_str(); }
