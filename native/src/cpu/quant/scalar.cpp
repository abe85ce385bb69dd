// Quant row kernels compiled for the scalar variant (see kernels.inc).
#include "quant.h"

namespace lb::cpu {
namespace {
#include "kernels.inc"
}  // namespace

QuantRowKernels quant_row_kernels_scalar() { return row_kernels(); }

}  // namespace lb::cpu
