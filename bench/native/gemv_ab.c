// In-process A/B of the int4 decode GEMV (lb_w4a16_gemm, m = 1, LB_W4A16_INT8_ACTIVATIONS) from two
// liblowbit.so builds (see ab.c for the idea): the same call from each, alternating, each beside
// lb_cpu_copy of 1 GiB in the same round. The weights rotate through copies adding up to about 1 GiB,
// so every call streams them from memory (one 14336 x 4096 matrix is 28 MiB: a Zen 4 host's L3 holds it).
// The rate counts the packed weights read (codes, scales, zeros) per second, as GemmBench.w4a16Int8 does.
//
//   cc -O2 -std=gnu11 -Inative/include bench/native/gemv_ab.c -o /tmp/gemv_ab -ldl
//   /tmp/gemv_ab OLD.so NEW.so N K [ROUNDS]      (I4 weights, groups of 128, F32 activations and output)
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_common.h"
#include "lowbit.h"

typedef int64_t (*packed_bytes_fn)(int64_t, int64_t, int64_t);
typedef lb_status (*prepack_fn)(int32_t, const lb_quant_params *, const void *, const void *, const void *, int64_t, int64_t, void *,
                                int64_t);
typedef lb_status (*gemm_fn)(int32_t, lb_stream, const void *, lb_dtype, const void *, const float *, void *, lb_dtype, int64_t, int64_t,
                             int64_t, int64_t, int32_t);
typedef lb_status (*copy_fn)(void *, const void *, int64_t);

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: gemv_ab OLD.so NEW.so N K [ROUNDS]\n");
    return 2;
  }
  void *lib[2];
  open_pair(argv[1], argv[2], lib);
  const int64_t n = atoll(argv[3]), k = atoll(argv[4]), group = 128;
  const int rounds = argc > 5 ? atoi(argv[5]) : 5;
  const lb_quant_params p = {LB_DTYPE_I4, LB_DTYPE_F32, LB_DTYPE_U4, 0, 1, group};
  const int64_t packed = ((packed_bytes_fn)sym(lib[0], "lb_w4a16_packed_bytes"))(n, k, group);
  const int copies = (int)(((int64_t)1 << 30) / packed > 1 ? ((int64_t)1 << 30) / packed : 1);
  uint8_t *w = malloc(n * k / 2);
  float *scales = malloc(n * (k / group) * sizeof(float)), *x = malloc(k * sizeof(float)), *y = malloc(n * sizeof(float));
  for (int64_t i = 0; i < n * k / 2; ++i) w[i] = (uint8_t)(i * 2654435761u >> 13);
  for (int64_t i = 0; i < n * (k / group); ++i) scales[i] = 1e-2f * (float)(1 + i % 7);
  for (int64_t i = 0; i < k; ++i) x[i] = (float)((i * 2654435761u) % 2001) * 1e-3f - 1.0f;
  char *packs = aligned_alloc(64, (size_t)(packed * copies + 63) / 64 * 64);
  for (int c = 0; c < copies; ++c)
    if (((prepack_fn)sym(lib[0], "lb_w4a16_prepack"))(LB_DEVICE_CPU, &p, w, scales, NULL, n, k, packs + c * packed, packed)) {
      fprintf(stderr, "prepack failed\n");
      return 1;
    }
  const int64_t copy_bytes = (int64_t)1 << 30;
  char *src = aligned_alloc(64, copy_bytes), *dst = aligned_alloc(64, copy_bytes);
  memset(src, 1, copy_bytes);
  memset(dst, 2, copy_bytes);
  copy_fn copy = (copy_fn)sym(lib[0], "lb_cpu_copy");
  double sum[2] = {0, 0};
  int next = 0;
  for (int r = 0; r < rounds; ++r) {
    double t0 = now();
    copy(dst, src, copy_bytes);
    const double roof = 2.0 * copy_bytes / (now() - t0);
    for (int v = 0; v < 2; ++v) {
      gemm_fn gemm = (gemm_fn)sym(lib[v], "lb_w4a16_gemm");
      settle();
      t0 = now();
      for (int c = 0; c < copies; ++c, next = (next + 1) % copies)
        if (gemm(LB_DEVICE_CPU, NULL, x, LB_DTYPE_F32, packs + next * packed, NULL, y, LB_DTYPE_F32, 1, n, k, group,
                 LB_W4A16_INT8_ACTIVATIONS)) {
          fprintf(stderr, "gemm failed\n");
          return 1;
        }
      const double rate = (double)packed * copies / (now() - t0);
      printf("round %d %s: weights %.1f GB/s = %.2f of the copy (%.1f GB/s)\n", r, v ? "NEW" : "OLD", rate / 1e9, rate / roof, roof / 1e9);
      if (r > 0) sum[v] += rate / roof;
    }
  }
  if (rounds > 1) printf("mean of rounds 1..%d: OLD %.3f, NEW %.3f of the copy\n", rounds - 1, sum[0] / (rounds - 1), sum[1] / (rounds - 1));
  return 0;
}
