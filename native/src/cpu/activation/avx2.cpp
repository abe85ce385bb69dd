// GELU for the avx2 variant: the loop of kernels.inc, vectorised by the compiler with this
// file's ISA flags (cmake/LowbitCpu.cmake).
#include "../../common/gelu.h"
#include "activation.h"

namespace lb::cpu {
namespace {
#include "kernels.inc"
}  // namespace

GeluRange gelu_range_avx2() { return gelu_range; }

}  // namespace lb::cpu
