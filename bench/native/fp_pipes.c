// Whether adds issue faster spread over the FADD and FMA pipes (Zen 4 / Zen 5 have two of each): 16
// independent zmm accumulators stepped by vaddps alone, by vfmadd231ps(c, 1, acc) alone (the same sum:
// c * 1 is exact), and by the two alternating. A mix faster than either alone means an add-bound kernel
// could gain by writing some of its adds as FMAs (docs/hadamard.md; bench/RESULTS.md, 2026-11-27 (21)).
//
//   gcc -O2 -mavx512f bench/native/fp_pipes.c -o /tmp/fp_pipes && /tmp/fp_pipes
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define A(r) "vaddps %%zmm30, %%zmm" #r ", %%zmm" #r "\n"
#define F(r) "vfmadd231ps %%zmm30, %%zmm31, %%zmm" #r "\n"
#define ADD16 A(0) A(1) A(2) A(3) A(4) A(5) A(6) A(7) A(8) A(9) A(10) A(11) A(12) A(13) A(14) A(15)
#define MIX16 A(0) F(1) A(2) F(3) A(4) F(5) A(6) F(7) A(8) F(9) A(10) F(11) A(12) F(13) A(14) F(15)
#define FMA16 F(0) F(1) F(2) F(3) F(4) F(5) F(6) F(7) F(8) F(9) F(10) F(11) F(12) F(13) F(14) F(15)
// 32 operations a trip (the body twice); zmm30 = the addend, zmm31 = 1.0 (0 here: only the timing matters).
#define LOOP(body)                                                                                              \
  do {                                                                                                          \
    long n = iters;                                                                                             \
    __asm__ volatile("vxorps %%zmm30, %%zmm30, %%zmm30\n vxorps %%zmm31, %%zmm31, %%zmm31\n1:\n" body body      \
                     "dec %0\n jnz 1b\n"                                                                        \
                     : "+r"(n)                                                                                  \
                     :                                                                                          \
                     : "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", \
                       "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "xmm30", "xmm31");                 \
  } while (0)

int main(void) {
  const long iters = 50000000;
  const double ops = iters * 32.0;
  for (int round = 0; round < 2; ++round) {
    double t = now();
    LOOP(ADD16);
    const double ta = now() - t;
    t = now();
    LOOP(MIX16);
    const double tm = now() - t;
    t = now();
    LOOP(FMA16);
    const double tf = now() - t;
    printf("G zmm adds a second: vaddps %.2f, mixed %.2f, vfmadd %.2f\n", ops / ta * 1e-9, ops / tm * 1e-9, ops / tf * 1e-9);
  }
  return 0;
}
