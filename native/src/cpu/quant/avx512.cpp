// Quant row kernels compiled for the avx512 variant (see kernels.inc).
#include "quant.h"

namespace lb::cpu {
namespace {
#include "kernels.inc"
}  // namespace

QuantRowKernels quant_row_kernels_avx512() { return row_kernels(); }

}  // namespace lb::cpu
