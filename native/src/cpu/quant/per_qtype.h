// f(std::integral_constant<lb_dtype, Q>{}) for the code type Q = qtype (I8, I4, U4, FP8_E4M3, else
// FP8_E5M2): one instance of a kernel per code type, so that no switch on it stays inside a loop.
// Include inside an anonymous namespace (each ISA's file gets its own copy; see common/host_device.h),
// after <type_traits>.
#pragma once

template <class F>
inline void with_qtype(lb_dtype qtype, F &&f) {
  switch (qtype) {
    case LB_DTYPE_I8: return f(std::integral_constant<lb_dtype, LB_DTYPE_I8>{});
    case LB_DTYPE_I4: return f(std::integral_constant<lb_dtype, LB_DTYPE_I4>{});
    case LB_DTYPE_U4: return f(std::integral_constant<lb_dtype, LB_DTYPE_U4>{});
    case LB_DTYPE_FP8_E4M3: return f(std::integral_constant<lb_dtype, LB_DTYPE_FP8_E4M3>{});
    default: return f(std::integral_constant<lb_dtype, LB_DTYPE_FP8_E5M2>{});
  }
}
