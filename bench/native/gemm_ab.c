// In-process A/B of lb_w8a8_gemm (AB_GEMM=w4a4: lb_w4a4_gemm, packed int4 operands) from two liblowbit.so builds (see ab.c for the idea): the same
// call from each, alternating, each as a fraction of lb_cpu_int8_peak measured in the same round, so
// both see the same machine state. Operands stay in cache-sized working sets (a compute-bound call).
//
//   cc -O2 -std=gnu11 -Inative/include bench/native/gemm_ab.c -o /tmp/gemm_ab -ldl
//   /tmp/gemm_ab OLD.so NEW.so M N K [ROUNDS] [CALLS]     (F32 output, best call of each round)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_common.h"
#include "lowbit.h"

typedef int64_t (*packed_bytes_fn)(int64_t, int64_t);
typedef lb_status (*prepack_fn)(int32_t, const int8_t *, int64_t, int64_t, void *, int64_t);
typedef lb_status (*gemm_fn)(int32_t, lb_stream, const int8_t *, const float *, const void *, const float *, const float *, void *,
                             lb_dtype, int64_t, int64_t, int64_t);
typedef lb_status (*peak_fn)(int32_t, double *);

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: gemm_ab OLD.so NEW.so M N K [ROUNDS] [CALLS]\n");
    return 2;
  }
  void *lib[2];
  open_pair(argv[1], argv[2], lib);
  const int64_t m = atoll(argv[3]), n = atoll(argv[4]), k = atoll(argv[5]);
  const int rounds = argc > 6 ? atoi(argv[6]) : 5, calls = argc > 7 ? atoi(argv[7]) : 10;
  // The two families share their signatures (int8 or packed int4 bytes behind the same pointers).
  const int w4a4 = getenv("AB_GEMM") && !strcmp(getenv("AB_GEMM"), "w4a4");
  const char *packed_bytes_name = w4a4 ? "lb_w4a4_packed_bytes" : "lb_w8a8_packed_bytes";
  const char *prepack_name = w4a4 ? "lb_w4a4_prepack" : "lb_w8a8_prepack", *gemm_name = w4a4 ? "lb_w4a4_gemm" : "lb_w8a8_gemm";
  int8_t *a = malloc(m * k), *b = malloc(n * k);
  float *as = malloc(m * 4), *bs = malloc(n * 4), *d = malloc(m * n * 4);
  // A as lowbit's quantizer leaves it: int8 codes -127..127 (a -128 sends AVX2 to its offset tile).
  for (int64_t i = 0; i < m * k; ++i) a[i] = (int8_t)(i * 2654435761u >> 13) == -128 ? -127 : (int8_t)(i * 2654435761u >> 13);
  for (int64_t i = 0; i < n * k; ++i) b[i] = (int8_t)(i * 40503u >> 5);
  for (int64_t i = 0; i < m; ++i) as[i] = 0.01f;
  for (int64_t i = 0; i < n; ++i) bs[i] = 0.02f;
  void *packed[2];
  for (int v = 0; v < 2; ++v) {
    const int64_t bytes = ((packed_bytes_fn)sym(lib[v], packed_bytes_name))(n, k);
    packed[v] = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (((prepack_fn)sym(lib[v], prepack_name))(LB_DEVICE_CPU, b, n, k, packed[v], bytes)) return 1;
  }
  double sum[2] = {0, 0};
  for (int r = 0; r < rounds; ++r) {
    double peak = 0;
    ((peak_fn)sym(lib[0], "lb_cpu_int8_peak"))(200, &peak);
    for (int v = 0; v < 2; ++v) {
      gemm_fn gemm = (gemm_fn)sym(lib[v], gemm_name);
      settle();
      double best = 1e30;
      for (int c = 0; c < calls; ++c) {
        const double t0 = now();
        if (gemm(LB_DEVICE_CPU, NULL, a, as, packed[v], bs, NULL, d, LB_DTYPE_F32, m, n, k)) return 1;
        const double t = now() - t0;
        best = t < best ? t : best;
      }
      const double macs = (double)m * n * k / best;
      if (r > 0) sum[v] += macs / peak;
      printf("round %d %s: %.1f GMAC/s = %.2f of the VPDPBUSD peak (%.1f)\n", r, v ? "NEW" : "OLD", macs / 1e9, macs / peak, peak / 1e9);
    }
  }
  if (rounds > 1) printf("mean of rounds 1..%d: OLD %.3f, NEW %.3f of the peak\n", rounds - 1, sum[0] / (rounds - 1), sum[1] / (rounds - 1));
  return 0;
}
