// Attention job for the scalar variant: the loops of attention_kernels.inc, vectorised by the
// compiler with this file's ISA flags (cmake/LowbitCpu.cmake).
#include <algorithm>
#include <cmath>

#include "../simd/vexp.h"
#include "attention.h"

namespace lb::cpu {
namespace {
#include "attention_kernels.inc"
}  // namespace

AttentionJob attention_job_scalar() { return attention_job; }

}  // namespace lb::cpu
