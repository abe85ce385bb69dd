// Picks the convert kernel of the active ISA and spreads it over the thread pool.
#include "../../core/cpu_features.h"
#include "../../core/thread_pool.h"
#include "convert.h"

namespace lb::cpu {

namespace {
ConvertFn kernel_for(lb_dtype src, lb_dtype dst) {
  switch (current_isa()) {
    case LB_ISA_AVX512: return convert_kernel_avx512(src, dst);
    case LB_ISA_AVX2: return convert_kernel_avx2(src, dst);
    default: return convert_kernel_scalar(src, dst);
  }
}

int dtype_size(lb_dtype t) { return t == LB_DTYPE_F32 ? 4 : 2; }
}  // namespace

void convert(const void *src, lb_dtype src_dtype, void *dst, lb_dtype dst_dtype, int64_t count) {
  const ConvertFn fn = kernel_for(src_dtype, dst_dtype);
  const int ss = dtype_size(src_dtype), ds = dtype_size(dst_dtype);
  const char *s = static_cast<const char *>(src);
  char *d = static_cast<char *>(dst);
  // 64 Ki elements per chunk: big enough that scheduling is noise, small enough to balance.
  parallel_for(count, 1 << 16, [&](int64_t begin, int64_t end) { fn(s + begin * ss, d + begin * ds, end - begin); });
}

}  // namespace lb::cpu
