// Layer norm rows for the avx512 variant: the loops of kernels.inc, vectorised by the compiler
// with this file's ISA flags (cmake/LowbitCpu.cmake).
#include <algorithm>
#include <cmath>

#include "../../common/norm.h"
#include "norm.h"

namespace lb::cpu {
namespace {
#include "kernels.inc"
}  // namespace

LayerNormRows layer_norm_rows_avx512() { return layer_norm_rows; }

}  // namespace lb::cpu
