// Status codes + a thread-local message: how every C ABI function reports failure.
// C++ exceptions never cross lowbit.h: each entry point runs its body through guard().
#pragma once
#include <new>
#include <stdexcept>

#include "lowbit.h"

namespace lb {

// Records a printf-style message for lb_last_error() and returns `status`, so callers
// can write `return fail(LB_ERR_INVALID_ARGUMENT, "...", ...);`.
lb_status fail(lb_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *dtype_name(lb_dtype dtype);

// Runs `body` (returning lb_status) and turns any escaping C++ exception into a status.
template <typename F>
lb_status guard(const char *function, F &&body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(LB_ERR_OUT_OF_MEMORY, "%s: out of host memory", function);
  } catch (const std::exception &e) {
    return fail(LB_ERR_INTERNAL, "%s: internal error: %s", function, e.what());
  } catch (...) {
    return fail(LB_ERR_INTERNAL, "%s: internal error (unknown exception)", function);
  }
}

}  // namespace lb
