// In-process A/B of two liblowbit.so builds: the same CPU call from each, alternating round by round in
// one process, each beside lb_cpu_copy of the same bytes, so that the two see the same machine state
// (the dev VM's memory bandwidth moves by 2x between hours; JMH runs of the two builds minutes apart
// are not comparable). Memory-bound calls only: 1 GiB of f32 input, the rate counted as bytes read +
// written (codes, scales) per second, as QuantBench / ConvertBench count them.
//
//   cc -O2 -std=gnu11 -Inative/include bench/native/ab.c -o /tmp/ab -ldl
//   /tmp/ab OLD.so NEW.so quantize   QTYPE BLOCK_ROWS BLOCK_COLS [ROUNDS] [COLS]
//   /tmp/ab OLD.so NEW.so dequantize QTYPE BLOCK_ROWS BLOCK_COLS [ROUNDS] [COLS] [OUT_DTYPE]
//   /tmp/ab OLD.so NEW.so convert    DST_DTYPE 1 1 [ROUNDS] [COLS]
//   /tmp/ab OLD.so NEW.so hadamard   N DTYPE 1 [ROUNDS]  (rows of N, randomised and normalised, x -> y, both
//                                                        DTYPE: 0 f32, 1 f16, 2 bf16)
//   /tmp/ab OLD.so NEW.so fused      N DTYPE QTYPE [ROUNDS]  (lb_hadamard_quantize per row, each build's time also
//                                                        as a multiple of its own lb_hadamard_transform's)
//
// AB_IN (environment) sets quantize's input dtype (0 f32, the default; 1 f16, 2 bf16: the same values
// converted, rows of 16-bit elements, counted as 2 bytes read each).
// AB_MIB (environment) sets the f32 input's size (default 1024; AB_KIB in KiB); a few MiB with LOWBIT_NUM_THREADS=1
// measures a kernel's in-cache (arithmetic) rate instead of the memory-bound one; there AB_REPS=K
// times K calls after an untimed one, so that neither build inherits the other's cache state.
//
// QTYPE / DST_DTYPE are lowbit.h's LB_DTYPE_* numbers (3 int8, 5 int4, 6 uint4 (packed U4 zero points),
// 7 fp8 E4M3; 1 f16, 2 bf16). Build OLD.so from the base commit (e.g. cmake -S native -B /tmp/base -DLOWBIT_CUDA=OFF
// -DLOWBIT_OUTPUT_DIR=/tmp/base/lib). Prints each round and the mean fraction of the copy per build;
// run it both ways round (A B, then B A) before believing a difference.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ab_common.h"
#include "lowbit.h"

typedef lb_status (*quantize_fn)(int32_t, lb_stream, const lb_quant_params *, const void *, lb_dtype, int64_t, int64_t, void *, void *,
                                 void *);
typedef lb_status (*dequantize_fn)(int32_t, lb_stream, const lb_quant_params *, const void *, const void *, const void *, int64_t,
                                   int64_t, void *, lb_dtype);
typedef lb_status (*convert_fn)(int32_t, lb_stream, const void *, lb_dtype, void *, lb_dtype, int64_t, int32_t);
typedef lb_status (*copy_fn)(void *, const void *, int64_t);
typedef lb_status (*fused_fn)(int32_t, lb_stream, const lb_hadamard_params *, const lb_quant_params *, const void *, lb_dtype, int64_t,
                              void *, void *, void *);
typedef lb_status (*hadamard_fn)(int32_t, lb_stream, const lb_hadamard_params *, const void *, lb_dtype, void *, lb_dtype, int64_t);

// One run's call and its operands.
typedef struct {
  const char *mode;
  int fused, hadamard, type, reps;
  lb_quant_params p, fq;
  lb_hadamard_params hp;
  lb_dtype hdtype, out_dtype, qin;  // qin: quantize's input dtype (x converted when not F32)
  int64_t rows, cols, n;
  float *x, *scales;
  char *y;
  uint8_t *q, *zeros;  // zeros: U4's packed zero points
} Run;

// The mode's call on `lib`; plain_rotation: lb_hadamard_transform of the same rows instead (fused mode's
// reference).
static lb_status call(const Run *c, void *lib, int plain_rotation) {
  if (plain_rotation || (c->hadamard && !c->fused))
    return ((hadamard_fn)sym(lib, "lb_hadamard_transform"))(LB_DEVICE_CPU, NULL, &c->hp, c->x, c->hdtype, c->y, c->hdtype, c->rows);
  if (c->fused)
    return ((fused_fn)sym(lib, "lb_hadamard_quantize"))(LB_DEVICE_CPU, NULL, &c->hp, &c->fq, c->x, c->hdtype, c->rows, c->q, c->scales, NULL);
  if (!strcmp(c->mode, "quantize"))
    return ((quantize_fn)sym(lib, "lb_quantize"))(LB_DEVICE_CPU, NULL, &c->p, c->x, c->qin, c->rows, c->cols, c->q, c->scales, c->zeros);
  if (!strcmp(c->mode, "dequantize"))
    return ((dequantize_fn)sym(lib, "lb_dequantize"))(LB_DEVICE_CPU, NULL, &c->p, c->q, c->scales, c->zeros, c->rows, c->cols, c->y, c->out_dtype);
  return ((convert_fn)sym(lib, "lb_convert"))(LB_DEVICE_CPU, NULL, c->x, LB_DTYPE_F32, c->y, c->type, c->n, 0);
}

// Seconds per call on `lib`: one call, or (AB_REPS = K > 0) the mean of K calls after an untimed one.
// Exits if a call fails.
static double timed(const Run *c, void *lib, int plain_rotation) {
  lb_status st = c->reps > 0 ? call(c, lib, plain_rotation) : 0;  // untimed: the build's own cache state
  const int calls = c->reps > 0 ? c->reps : 1;
  const double t0 = now();
  for (int k = 0; k < calls && !st; ++k) st = call(c, lib, plain_rotation);
  if (st) {
    fprintf(stderr, "%s failed: status %d\n", c->mode, st);
    exit(1);
  }
  return (now() - t0) / calls;
}

int main(int argc, char **argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: ab OLD.so NEW.so quantize|dequantize|convert|hadamard|fused TYPE BLOCK_ROWS BLOCK_COLS [ROUNDS] [COLS]\n");
    return 2;
  }
  void *lib[2];
  open_pair(argv[1], argv[2], lib);
  const char *mode = argv[3];
  const int type = atoi(argv[4]), rounds = argc > 7 ? atoi(argv[7]) : 5;
  const lb_quant_params p = {type, LB_DTYPE_F32, LB_DTYPE_U4, 0, atoll(argv[5]), atoll(argv[6])};
  const int64_t row_n = atoll(argv[4]);  // fused: one block per row of N
  const lb_quant_params fq = {atoi(argv[6]), LB_DTYPE_F32, LB_DTYPE_U4, 0, 1, row_n};
  const int fused = !strcmp(mode, "fused"), hadamard = fused || !strcmp(mode, "hadamard");  // TYPE is the row length
  // AB_KIB (KiB) instead of AB_MIB: inputs small enough for L2 (AB_MIB=4 is L3 on these hosts).
  const int64_t kib = getenv("AB_KIB") ? atoll(getenv("AB_KIB")) : (getenv("AB_MIB") ? atoll(getenv("AB_MIB")) : 1024) << 10;
  const int reps = getenv("AB_REPS") ? atoi(getenv("AB_REPS")) : 0;
  const int64_t cols = hadamard ? type : argc > 8 ? atoll(argv[8]) : 16384, rows = (kib << 8) / cols, n = rows * cols;
  const lb_dtype hdtype = hadamard ? atoi(argv[5]) : LB_DTYPE_F32;  // the rotation's x and y
  const int hsize = hdtype == LB_DTYPE_F32 ? 4 : 2;
  const lb_hadamard_params hp = {cols, 7, LB_HADAMARD_NORMALIZE | LB_HADAMARD_RANDOM_SIGNS};
  const lb_dtype out_dtype = argc > 9 ? atoi(argv[9]) : LB_DTYPE_F32;  // dequantize's output
  const lb_dtype qin = getenv("AB_IN") ? atoi(getenv("AB_IN")) : LB_DTYPE_F32;
  const int qin_size = qin == LB_DTYPE_F32 ? 4 : 2;
  const int packed = type == LB_DTYPE_I4 || type == LB_DTYPE_U4;
  const int out_size = type == LB_DTYPE_F16 || type == LB_DTYPE_BF16 ? 2 : 1;
  copy_fn copy = (copy_fn)sym(lib[0], "lb_cpu_copy");

  float *x = aligned_alloc(64, n * 4);
  char *y = aligned_alloc(64, n * 4), *scratch = aligned_alloc(64, n * 4);
  uint8_t *q = aligned_alloc(64, n);
  float *scales = aligned_alloc(64, ((hadamard ? rows : n / p.block_rows / p.block_cols) + 16) * 4);
  uint8_t *zeros = aligned_alloc(64, (hadamard ? rows : n / p.block_rows / p.block_cols) + 64);
  for (int64_t i = 0; i < n; ++i) x[i] = (float)((i * 2654435761u) % 2001) * 1e-3f - 1.0f;
  memset(y, 0, n * 4);  // first touch outside the timing
  memset(scratch, 0, n * 4);
  memset(q, 0, n);
  if (hadamard && hsize == 2) {  // x as 16-bit values of ±1 (0x3f80 bf16, 0x3c00 f16, sign from the hash)
    uint16_t *h = (uint16_t *)x;
    for (int64_t i = 0; i < n; ++i) h[i] = (uint16_t)(((i * 2654435761u) >> 7 & 1 ? 0x8000 : 0) | (hdtype == LB_DTYPE_BF16 ? 0x3f80 : 0x3c00));
  }

  int64_t bytes;
  if (fused) bytes = n * hsize + n + rows * 4;  // codes counted as bytes (int8 / fp8); int4 reads high
  else if (hadamard) bytes = 2 * n * hsize;
  else if (!strcmp(mode, "convert")) bytes = n * 4 + n * out_size;
  else if (!strcmp(mode, "quantize")) bytes = n * qin_size + (packed ? n / 2 : n) + n / p.block_rows / p.block_cols * 4;
  else bytes = n * (!strcmp(mode, "dequantize") && out_dtype != LB_DTYPE_F32 ? 2 : 4) + (packed ? n / 2 : n) + n / p.block_rows / p.block_cols * 4;
  if (!strcmp(mode, "quantize") && qin != LB_DTYPE_F32) {  // x's values as 16-bit rows, in place (the front half)
    convert_fn cf = (convert_fn)sym(lib[0], "lb_convert");
    if (cf(LB_DEVICE_CPU, NULL, x, LB_DTYPE_F32, scratch, qin, n, 0)) return 1;
    memcpy(x, scratch, n * 2);
  }
  if (!strcmp(mode, "dequantize")) {
    quantize_fn qf = (quantize_fn)sym(lib[0], "lb_quantize");
    if (qf(LB_DEVICE_CPU, NULL, &p, x, LB_DTYPE_F32, rows, cols, q, scales, zeros)) return 1;
  }
  const Run run = {mode, fused, hadamard, type, reps, p, fq, hp, hdtype, out_dtype, qin, rows, cols, n, x, scales, y, q, zeros};
  double sum[2] = {0, 0}, rel[2] = {0, 0};
  for (int r = 0; r < rounds; ++r) {
    const double t0 = now();
    copy(scratch, x, n * 4);
    const double roof = 2.0 * n * 4 / (now() - t0);
    for (int v = 0; v < 2; ++v) {
      settle();
      const double t = timed(&run, lib[v], 0);
      if (r > 0) sum[v] += bytes / t / roof;  // round 0 warms up
      printf("round %d %s: %.1f GB/s = %.2f of the copy (%.1f GB/s)", r, v ? "NEW" : "OLD", bytes / t / 1e9, bytes / t / roof, roof / 1e9);
      if (fused) {  // the same build's plain rotation of the same rows, right after
        const double tp = timed(&run, lib[v], 1);
        if (r > 0) rel[v] += t / tp;
        printf(", %.2f x its rotation", t / tp);
      }
      printf("\n");
    }
  }
  if (rounds > 1) printf("mean of rounds 1..%d: OLD %.3f, NEW %.3f of the copy\n", rounds - 1, sum[0] / (rounds - 1), sum[1] / (rounds - 1));
  if (rounds > 1 && fused) printf("fused / rotation: OLD %.3f, NEW %.3f\n", rel[0] / (rounds - 1), rel[1] / (rounds - 1));
  return 0;
}
