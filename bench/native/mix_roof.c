// Memory roofs for traffic mixes other than a copy, measured in one process beside the streamed copy
// (lb_cpu_copy's loop): what a kernel with that mix of reads and writes can at best reach on this
// machine, as a fraction of the copy the benchmarks divide by. On the dev VM the copy is not a fair
// roof for every mix: reads alone and writes alone each run well below it (see bench/RESULTS.md,
// 2026-11-27 (15)).
//
//   cc -O2 -mavx512f -mavx512bw -pthread bench/native/mix_roof.c -o /tmp/mix_roof
//   /tmp/mix_roof [ROUNDS] [THREADS]
//
// Each mix streams 1 GiB of input or output (every line touched once), bytes counted read + written:
//   read         AVX-512 loads, a max reduction (the int4 GEMV's weight stream);
//   write        non-temporal stores only;
//   read4write1  f32 in, one byte out per four read, one pass (quantize's mix; its codes streamed, and
//                with ordinary stores: their read-for-ownership included);
//   read1write4  one byte in per four written, non-temporal (dequantize to f32; int4 to bf16 / f16);
//   read1write2  one byte in per two written, non-temporal (int8 / fp8 dequantized to bf16 / f16).
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BYTES (INT64_C(1) << 30)

enum Mix { COPY, READ, WRITE, READ4_WRITE1_NT, READ4_WRITE1, READ1_WRITE4, READ1_WRITE2, MIXES };
static const char *kNames[MIXES] = {"copy", "read", "write", "read4write1", "read4write1-rfo", "read1write4", "read1write2"};

static char *src, *dst;
static int threads = 2;
static enum Mix mix;
static volatile float sink;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

// 64 f32 values -> 64 int8 codes (scale 1/16, saturating), as quantize's code pass does.
static __m512i codes64(const float *x) {
  const __m512 s = _mm512_set1_ps(1.0f / 16);
  const __m512i a = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_load_ps(x), s));
  const __m512i b = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_load_ps(x + 16), s));
  const __m512i c = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_load_ps(x + 32), s));
  const __m512i d = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_load_ps(x + 48), s));
  const __m512i w = _mm512_packs_epi16(_mm512_packs_epi32(a, b), _mm512_packs_epi32(c, d));
  return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), w);
}

// Thread t's share of the mix; returns the bytes it moved (read + written).
static int64_t run_share(int t) {
  const int64_t share = BYTES / threads, off = t * share;
  switch (mix) {
    case COPY:
    case READ1_WRITE2:
    case READ1_WRITE4: {  // copy: share in, share out; read1writeW: share / W in, share out
      const int w = mix == COPY ? 1 : mix == READ1_WRITE2 ? 2 : 4;
      const int64_t in = share / w;
      const char *s = src + off / w;
      char *d = dst + off;
      for (int64_t i = 0; i < in; i += 64) {
        const __m512i v = _mm512_load_si512(s + i);
        for (int k = 0; k < w; ++k) _mm512_stream_si512((__m512i *)(d + w * i + 64 * k), _mm512_add_epi32(v, _mm512_set1_epi32(k)));
      }
      _mm_sfence();
      return in + share;
    }
    case READ: {
      __m512 m0 = _mm512_setzero_ps(), m1 = m0;
      for (int64_t i = 0; i < share; i += 128) {
        m0 = _mm512_max_ps(m0, _mm512_load_ps((const float *)(src + off + i)));
        m1 = _mm512_max_ps(m1, _mm512_load_ps((const float *)(src + off + i + 64)));
      }
      sink = _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
      return share;
    }
    case WRITE: {
      const __m512i v = _mm512_set1_epi32(t + 1);
      for (int64_t i = 0; i < share; i += 64) _mm512_stream_si512((__m512i *)(dst + off + i), v);
      _mm_sfence();
      return share;
    }
    default: {  // read4write1: share of f32 in, share / 4 codes out
      const float *x = (const float *)(src + off);
      char *q = dst + off / 4;
      for (int64_t i = 0; i < share / 4; i += 64) {
        const __m512i c = codes64(x + i);
        if (mix == READ4_WRITE1_NT) _mm512_stream_si512((__m512i *)(q + i), c);
        else _mm512_store_si512(q + i, c);
      }
      _mm_sfence();
      return share + share / 4;
    }
  }
}

static void *worker(void *arg) { return (void *)(intptr_t)run_share((int)(intptr_t)arg); }

// Bytes per second of one run of `m` over all threads.
static double rate(enum Mix m) {
  mix = m;
  pthread_t th[64];
  int64_t bytes = 0;
  const double t0 = now();
  for (int t = 0; t < threads; ++t) pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
  for (int t = 0; t < threads; ++t) {
    void *moved;
    pthread_join(th[t], &moved);
    bytes += (int64_t)(intptr_t)moved;
  }
  return bytes / (now() - t0);
}

int main(int argc, char **argv) {
  const int rounds = argc > 1 ? atoi(argv[1]) : 5;
  threads = argc > 2 ? atoi(argv[2]) : 2;
  if (rounds < 2 || threads < 1 || threads > 64) {
    fprintf(stderr, "usage: mix_roof [ROUNDS >= 2] [THREADS 1..64]\n");
    return 2;
  }
  src = aligned_alloc(64, BYTES);
  dst = aligned_alloc(64, BYTES);
  for (int64_t i = 0; i < BYTES / 4; ++i) ((float *)src)[i] = (float)(i % 4001) - 2000.0f;
  memset(dst, 0, BYTES);  // first touch outside the timing
  double sum[MIXES] = {0};
  for (int r = 0; r < rounds; ++r) {
    const double copy = rate(COPY);
    printf("round %d: copy %.1f GB/s |", r, copy / 1e9);
    for (int m = READ; m < MIXES; ++m) {
      const double f = rate((enum Mix)m) / copy;
      if (r > 0) sum[m] += f;  // round 0 warms up
      printf(" %s %.2f", kNames[m], f);
    }
    printf("\n");
  }
  printf("mean of rounds 1..%d, fraction of the copy:", rounds - 1);
  for (int m = READ; m < MIXES; ++m) printf(" %s %.2f", kNames[m], sum[m] / (rounds - 1));
  printf("\n");
  return 0;
}
