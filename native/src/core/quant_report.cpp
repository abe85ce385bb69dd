#include "quant_report.h"

#include "error.h"

namespace lb {

lb_status quant_report(const char *fn, const lb_quant_params &p, int64_t C, int64_t bad_input, int64_t bad_scale) {
  const int64_t br = p.block_rows, bc = p.block_cols;
  if (bad_input != kNoBadBlock) {
    const int64_t b = bad_input;
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: x has NaN or Inf in block (%lld, %lld) (rows %lld..%lld, columns %lld..%lld)",
                fn, (long long)(b / C), (long long)(b % C), (long long)(b / C * br), (long long)(b / C * br + br - 1),
                (long long)(b % C * bc), (long long)(b % C * bc + bc - 1));
  }
  if (bad_scale != kNoBadBlock) {
    return fail(LB_ERR_INVALID_ARGUMENT, "%s: the scale of block (%lld, %lld) overflows %s; use F32 scales", fn,
                (long long)(bad_scale / C), (long long)(bad_scale % C), dtype_name(p.scale_dtype));
  }
  return LB_OK;
}

}  // namespace lb
