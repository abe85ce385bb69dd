// The quant family's data errors, worded once for every backend: a NaN/Inf input block or a
// scale that overflows its dtype, named by block coordinates and the rows/columns they cover.
#pragma once
#include <cstdint>

#include "lowbit.h"

namespace lb {

// No failure recorded: the value the block indices below take when nothing went wrong.
constexpr int64_t kNoBadBlock = INT64_MAX;

// LB_OK when both indices are kNoBadBlock; else the failure (input checked first) as `fn`.
// C is the number of block columns; indices are rb * C + cb.
lb_status quant_report(const char *fn, const lb_quant_params &p, int64_t C, int64_t bad_input, int64_t bad_scale);

}  // namespace lb
