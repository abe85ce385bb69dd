/*
 * lowbit.h — the one door between Java (through jextract-generated FFM bindings) and the
 * native kernels. Plain C, no C++ types, no exceptions.
 *
 * Conventions (every family follows them):
 *   - Every function that can fail returns lb_status (LB_OK == 0). On failure the calling
 *     thread's lb_last_error() describes what went wrong; it is left untouched on success.
 *   - Outputs go through pointers; sizes and counts are int64_t; dtypes are lb_dtype values.
 *   - `device` is LB_DEVICE_CPU (-1) or a CUDA device ordinal (0, 1, ...). All pointers a
 *     kernel receives must live on that device.
 *   - `stream` is a CUDA stream from lb_cuda_stream_create, or NULL for the device's default
 *     stream (the CUDA call then completes before returning). It must be NULL on the CPU.
 *   - CPU kernels run on lowbit's own thread pool (lb_set_num_threads) and return when done.
 *
 * Bump LB_ABI_VERSION whenever a declaration here changes incompatibly: the Java side refuses
 * a library whose lb_abi_version() differs from the value it was generated against.
 */
#ifndef LOWBIT_H
#define LOWBIT_H

#include <stdint.h>

#if defined(_WIN32)
#  define LB_API __declspec(dllexport)
#else
#  define LB_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define LB_VERSION_MAJOR 0
#define LB_VERSION_MINOR 1
#define LB_VERSION_PATCH 0
#define LB_ABI_VERSION 9

/* ---------------------------------------------------------------------------------------
 * Status codes and errors
 * ------------------------------------------------------------------------------------- */
typedef int32_t lb_status;
#define LB_OK 0
#define LB_ERR_INVALID_ARGUMENT 1 /* a bad pointer, size, dtype or enum value */
#define LB_ERR_UNSUPPORTED 2      /* valid request this build/CPU/GPU cannot do */
#define LB_ERR_OUT_OF_MEMORY 3    /* host or device allocation failed */
#define LB_ERR_NO_CUDA 4          /* built without CUDA, no driver, or no such device */
#define LB_ERR_CUDA 5             /* a CUDA runtime call failed (message has its name) */
#define LB_ERR_INTERNAL 6         /* a bug in lowbit: please report it */

/* The last error message of the calling thread ("" if none). Valid until the next lowbit
 * call on this thread. */
LB_API const char *lb_last_error(void);

/* ---------------------------------------------------------------------------------------
 * Version and build
 * ------------------------------------------------------------------------------------- */
LB_API int32_t lb_abi_version(void);          /* LB_ABI_VERSION the library was built with */
LB_API const char *lb_version_string(void);   /* "MAJOR.MINOR.PATCH" */
LB_API const char *lb_build_info(void);       /* compiler, ISA variants, CUDA archs */

/* ---------------------------------------------------------------------------------------
 * Data types. Bit layouts:
 *   F32/F16/BF16  IEEE-754 binary32 / binary16 / bfloat16 (the top 16 bits of a binary32)
 *   I8/U8/I32     two's complement / unsigned / two's complement, little endian
 *   I4/U4         two 4-bit values per byte, element 2i in the LOW nibble, 2i+1 in the high
 *                 nibble; I4 is two's complement (-8..7), U4 is unsigned (0..15)
 *   FP8_E4M3      OCP 8-bit float "E4M3FN": bias 7, no infinities, max +-448,
 *                 NaN = S.1111.111
 *   FP8_E5M2      OCP 8-bit float E5M2: bias 15, IEEE-like with +-Inf and NaN, max +-57344
 * ------------------------------------------------------------------------------------- */
typedef int32_t lb_dtype;
#define LB_DTYPE_F32 0
#define LB_DTYPE_F16 1
#define LB_DTYPE_BF16 2
#define LB_DTYPE_I8 3
#define LB_DTYPE_U8 4
#define LB_DTYPE_I4 5
#define LB_DTYPE_U4 6
#define LB_DTYPE_FP8_E4M3 7
#define LB_DTYPE_FP8_E5M2 8
#define LB_DTYPE_I32 9

#define LB_DEVICE_CPU (-1)

/* ---------------------------------------------------------------------------------------
 * CPU: features, kernel ISA, threads
 * ------------------------------------------------------------------------------------- */
/* lb_cpu_features() bits: what the CPU and the OS (saved register state) both support. */
#define LB_CPU_AVX2 (1ULL << 0)
#define LB_CPU_FMA (1ULL << 1)
#define LB_CPU_F16C (1ULL << 2)
#define LB_CPU_AVX512F (1ULL << 3)
#define LB_CPU_AVX512BW (1ULL << 4)
#define LB_CPU_AVX512DQ (1ULL << 5)
#define LB_CPU_AVX512VL (1ULL << 6)
#define LB_CPU_AVX512VNNI (1ULL << 7)
#define LB_CPU_AVX512BF16 (1ULL << 8)
#define LB_CPU_AVX512FP16 (1ULL << 9)
#define LB_CPU_AVXVNNI (1ULL << 10)
#define LB_CPU_AMX_TILE (1ULL << 11)
#define LB_CPU_AMX_INT8 (1ULL << 12)
#define LB_CPU_AMX_BF16 (1ULL << 13)
#define LB_CPU_AVX512VBMI (1ULL << 14)
LB_API uint64_t lb_cpu_features(void);

/* Kernel variants. AVX2 needs AVX2+FMA+F16C; AVX512 needs F/BW/DQ/VL (Skylake-SP, Cascade Lake, Ice
 * Lake, Sapphire Rapids, Zen 4 and later). Within AVX512, the kernels that use AVX512_VNNI (Cascade
 * Lake on: the W8A8 / W4A4 tiles), AVX512_BF16 (Cooper Lake, Sapphire Rapids, Zen 4: the FP8 and W4A8
 * GEMM tiles, fast bf16 narrowing in the Hadamard transform) or AVX512_VBMI (Ice Lake, Zen 4: the
 * int8-activation W4A16 decode) check for it and otherwise run their AVX2 form or exact integer
 * code. Every kernel has a scalar fallback.
 * LOWBIT_CPU_FEATURES_OFF=name,... (avx512bf16 or AVX512_BF16, avx512vbmi, avx512vnni, ...: the
 * LB_CPU_* names without the prefix, any case, underscores optional; unknown names are ignored)
 * hides features from the detection, to run another CPU's paths in tests. */
typedef int32_t lb_isa;
#define LB_ISA_SCALAR 0
#define LB_ISA_AVX2 1
#define LB_ISA_AVX512 2
LB_API lb_isa lb_cpu_best_isa(void);   /* the best variant this CPU can run */
LB_API lb_isa lb_cpu_isa(void);        /* the variant kernels use now (initially the best) */
/* Choose the variant kernels use (tests and benchmarks compare them). Fails with
 * LB_ERR_UNSUPPORTED if the CPU cannot run it. Process-wide. The environment variable
 * LOWBIT_ISA=scalar|avx2|avx512 sets the initial choice (capped to what the CPU has). */
LB_API lb_status lb_cpu_set_isa(lb_isa isa);

/* Worker threads of CPU kernels (including the caller). n == 0 means one per hardware
 * thread. The environment variable LOWBIT_NUM_THREADS sets the initial value. */
LB_API lb_status lb_set_num_threads(int32_t n);
LB_API int32_t lb_num_threads(void);

/* Copy `bytes` host bytes from src to dst (no overlap) on all worker threads: the memory
 * roof that benchmarks of memory-bound kernels compare against. Copies of 32 MiB and more use
 * non-temporal stores, as the kernels' outputs that large do (dst is then not left in cache). */
LB_API lb_status lb_cpu_copy(void *dst, const void *src, int64_t bytes);

/* ---------------------------------------------------------------------------------------
 * CUDA: devices, memory, streams. In a build without CUDA, or on a machine without a
 * driver or GPU, lb_cuda_device_count reports 0 and lb_cuda_status() says why; the other
 * lb_cuda_* calls fail with LB_ERR_NO_CUDA.
 * ------------------------------------------------------------------------------------- */
typedef struct lb_stream_s *lb_stream;

typedef struct lb_cuda_device_props {
  char name[256];
  int32_t major;                 /* compute capability */
  int32_t minor;
  int32_t multiprocessors;
  int32_t memory_bus_width_bits;
  int64_t total_memory_bytes;
  int64_t l2_cache_bytes;
  int64_t memory_clock_khz;
} lb_cuda_device_props;

LB_API int32_t lb_cuda_built(void);              /* 1 if the library contains CUDA kernels */
LB_API const char *lb_cuda_archs(void);          /* e.g. "80;89;90a", "" without CUDA */
LB_API lb_status lb_cuda_device_count(int32_t *count); /* 0 (and LB_OK) when unavailable */
/* Why CUDA is (un)usable: "CUDA runtime 13.0, driver 13.0, 1 device",
 * "no CUDA device: CUDA driver not found", "no CUDA device: built without CUDA", ... */
LB_API const char *lb_cuda_status(void);
LB_API lb_status lb_cuda_device_props_get(int32_t device, lb_cuda_device_props *out);

LB_API lb_status lb_cuda_malloc(int32_t device, int64_t bytes, void **out);
LB_API lb_status lb_cuda_free(int32_t device, void *ptr);
/* Page-locked host memory: needed for truly asynchronous host<->device copies. */
LB_API lb_status lb_cuda_host_alloc(int64_t bytes, void **out);
LB_API lb_status lb_cuda_host_free(void *ptr);

typedef int32_t lb_copy_kind;
#define LB_COPY_HOST_TO_DEVICE 1
#define LB_COPY_DEVICE_TO_HOST 2
#define LB_COPY_DEVICE_TO_DEVICE 3
/* Copies on `device`; with a stream the copy is asynchronous on it, with NULL it is done
 * when the call returns. */
LB_API lb_status lb_cuda_memcpy(int32_t device, void *dst, const void *src, int64_t bytes,
                                lb_copy_kind kind, lb_stream stream);
LB_API lb_status lb_cuda_memset(int32_t device, void *dst, int32_t byte_value, int64_t bytes,
                                lb_stream stream);

LB_API lb_status lb_cuda_stream_create(int32_t device, lb_stream *out);
/* Wraps a stream the caller owns (a cudaStream_t of `device`, e.g. PyTorch's or another library's)
 * so lowbit's work is ordered with theirs. lb_cuda_stream_destroy then frees only the wrapper;
 * the stream must outlive it. */
LB_API lb_status lb_cuda_stream_wrap(int32_t device, void *cuda_stream, lb_stream *out);
LB_API lb_status lb_cuda_stream_destroy(lb_stream stream);
/* Waits for the stream's work; then reports the checks of the quantizing calls queued on it
 * (lb_quantize, lb_hadamard_quantize): the first failure's error, in queue order. */
LB_API lb_status lb_cuda_stream_synchronize(lb_stream stream);
LB_API lb_status lb_cuda_device_synchronize(int32_t device);

/* ---------------------------------------------------------------------------------------
 * convert: elementwise conversion between F32, F16, BF16, FP8_E4M3 and FP8_E5M2 (any pair,
 * same pair = copy). No scaling (see lb_quantize for scaled fp8).
 *   src, dst: `count` contiguous elements on `device`. dst may alias src exactly when both
 *   dtypes have the same size; any other overlap is an error.
 *   Rounding: round-to-nearest-even. Subnormals are kept (no flush).
 *   F16/BF16 targets: overflow gives +-Inf; NaN stays NaN with its sign, quiet bit set, top
 *   payload bits kept.
 *   FP8 targets (same results as CUDA's __nv_cvt_float_to_fp8): NaN -> 0x7F; beyond the
 *   largest finite value (+-448 E4M3, +-57344 E5M2; ties at the midpoint round to even) ->
 *   with LB_CONVERT_SATURATE the signed largest finite value (also for +-Inf), without it
 *   NaN (E4M3, which has no Inf) or +-Inf (E5M2).
 *   FP8 sources decode exactly. CPU and CUDA give identical bits (native/src/common/).
 * ------------------------------------------------------------------------------------- */
#define LB_CONVERT_SATURATE 1
LB_API lb_status lb_convert(int32_t device, lb_stream stream, const void *src, lb_dtype src_dtype,
                            void *dst, lb_dtype dst_dtype, int64_t count, int32_t flags);

/* ---------------------------------------------------------------------------------------
 * quant: quantize / dequantize a row-major [rows, cols] matrix with one scale per block.
 *
 * Blocks: block_rows x block_cols; rows % block_rows == 0 and cols % block_cols == 0.
 *   per tensor  = rows x cols        per row (token) = 1 x cols     per column = rows x 1
 *   per group g = 1 x g (along a row) 1x128 / 128x128 blocks (DeepSeek-V3 / vLLM fp8 layout)
 * Tensors (contiguous, row-major, all on `device`):
 *   x / y   [rows, cols]            F32, F16 or BF16
 *   q       [rows, cols]            qtype; I4/U4 pack two per byte along cols (low nibble =
 *                                   even column), so cols must be even
 *   scales  [rows/block_rows, cols/block_cols]   scale_dtype (F32, F16 or BF16)
 *   zeros   same grid as scales; U4 only: zero_dtype U4 (packed along the grid's columns,
 *           each grid row padded to whole bytes) or F16; NULL for the other qtypes.
 * Formats (x ~= (q - zero) * scale; scale is rounded to scale_dtype *before* q is computed,
 * so dequantize(quantize(x)) uses exactly the scale that produced q):
 *   I8   symmetric, q in [-127, 127], scale = absmax / 127
 *   I4   symmetric, q in [-8, 7], scale = max(max/7, -min/8) (uses -8);
 *        with LB_QUANT_RESTRICT_RANGE q in [-7, 7], scale = absmax / 7
 *   U4   asymmetric (GPTQ/AWQ style), q in [0, 15], range [min(min,0), max(max,0)],
 *        scale = (hi - lo) / 15, zero = round(-lo / scale) (U4) or -lo / scale (F16)
 *   FP8_E4M3 / FP8_E5M2: scale = absmax / 448 (57344), q = fp8(x / scale), saturating
 * q = clamp(round_half_even(x * (1/scale)) [+ zero]); a block of zeros gets scale 0, q = zero.
 * Flags: LB_QUANT_MSE_CLIP searches the clip ratio c in {1, 0.975, ..., 0.5} (21 steps) that
 *   minimises sum((x - dequant(q))^2) per block, using c*absmax (c*lo, c*hi for U4);
 *   LB_QUANT_POW2_SCALE rounds each scale up to a power of two (exact fp8 <-> int4 rescaling);
 *   LB_QUANT_RESTRICT_RANGE as above (I4 only).
 * Errors: NaN or Inf in x, or a scale that overflows scale_dtype -> LB_ERR_INVALID_ARGUMENT
 * naming the first such block; outputs are then unspecified.
 * CPU and CUDA give identical bits (shared helpers in native/src/common/quant.h). On CUDA with
 * stream NULL, lb_quantize waits before returning (it reads back those checks); on a lowbit
 * stream it returns once the work is queued, and lb_cuda_stream_synchronize reports the checks
 * (the first failing call's error, in queue order; lb_cuda_stream_destroy drops unread ones).
 * ------------------------------------------------------------------------------------- */
#define LB_QUANT_RESTRICT_RANGE 1
#define LB_QUANT_MSE_CLIP 2
#define LB_QUANT_POW2_SCALE 4

typedef struct lb_quant_params {
  lb_dtype qtype;        /* I8, I4, U4, FP8_E4M3 or FP8_E5M2 */
  lb_dtype scale_dtype;  /* F32, F16 or BF16 */
  lb_dtype zero_dtype;   /* U4 or F16 for qtype U4; ignored otherwise */
  int32_t flags;         /* LB_QUANT_* */
  int64_t block_rows;
  int64_t block_cols;
} lb_quant_params;

LB_API lb_status lb_quantize(int32_t device, lb_stream stream, const lb_quant_params *params,
                             const void *x, lb_dtype x_dtype, int64_t rows, int64_t cols,
                             void *q, void *scales, void *zeros);
LB_API lb_status lb_dequantize(int32_t device, lb_stream stream, const lb_quant_params *params,
                               const void *q, const void *scales, const void *zeros, int64_t rows,
                               int64_t cols, void *y, lb_dtype y_dtype);

/* ---------------------------------------------------------------------------------------
 * hadamard: Walsh-Hadamard rotation of each row of a row-major [rows, n] matrix.
 *
 *   forward:  y = s * H_n * D * x        inverse (LB_HADAMARD_INVERSE):  x = s' * D * H_n^T * y
 * H_n: n = 2^k: the Sylvester matrix (natural order, H_2n = [[H, H], [H, -H]]).
 *      n = m * 2^k (m = 4 * odd, e.g. 12, 20, 28, 36, 52, 60, 108, 140, 156, 172): H_m (x) H_{2^k},
 *      i.e. element i = a * 2^k + b; H_m a Paley I/II matrix or a Goethals-Seidel array from a
 *      table (docs/hadamard.md; lb_hadamard_matrix returns any H_n).
 *      The odd part of n decides m (40 * 2^k = 20 * 2^(k+1)); lb_hadamard_orders lists the m.
 * D: with LB_HADAMARD_RANDOM_SIGNS, diag(+-1) from `seed`: element 64w + j is negated when bit
 *    j of splitmix64(seed + (w + 1) * 0x9E3779B97F4A7C15) is set (QuaRot / SpinQuant style).
 *    Identity otherwise.
 * s:  1/sqrt(n) (rounded to f32) with LB_HADAMARD_NORMALIZE, else 1. s' (inverse): 1/sqrt(n)
 *    with LB_HADAMARD_NORMALIZE, else 1/n: the inverse with the same params undoes the forward.
 * Arithmetic: f32. Stages of the 2^k part in ascending stride (butterfly a+b, a-b), then the
 *    m-part (y[a] = sum over groups g of ((h t)[4g] + (h t)[4g+1]) + (h t)[4g+2]) + (h t)[4g+3],
 *    each group and the group sums added left to right), then the scale, then rounding to
 *    y_dtype: every backend and ISA gives the same bits.
 * x, y: [rows, n] F32, F16 or BF16, contiguous. In place when y == x and the dtypes are the
 *    same size; other overlap is an error. n <= 2^26 (both kinds), n <= 32768 on CUDA.
 * Offline weight rotation: with Q = s H_n D (LB_HADAMARD_NORMALIZE, orthogonal), W x = (W Q^T)(Q x),
 *    and W Q^T is the forward transform of every row of W.
 * ------------------------------------------------------------------------------------- */
#define LB_HADAMARD_NORMALIZE 1
#define LB_HADAMARD_RANDOM_SIGNS 2
#define LB_HADAMARD_INVERSE 4

typedef struct lb_hadamard_params {
  int64_t n;      /* row length */
  uint64_t seed;  /* for LB_HADAMARD_RANDOM_SIGNS */
  int32_t flags;  /* LB_HADAMARD_* */
} lb_hadamard_params;

/* n = m * 2^k. LB_ERR_UNSUPPORTED (message lists the supported factorisations) when lowbit
 * has no Hadamard matrix of order n. */
LB_API lb_status lb_hadamard_factor(int64_t n, int64_t *m, int32_t *k);
/* The supported core orders m > 1, e.g. "12, 20, 28, ...". */
LB_API const char *lb_hadamard_orders(void);
/* H_n as n*n int8 (+1/-1), row-major, no scale and no signs; n <= 8192. */
LB_API lb_status lb_hadamard_matrix(int64_t n, int8_t *out);
/* y[r] = transform(x[r]) for r < rows (see above). */
LB_API lb_status lb_hadamard_transform(int32_t device, lb_stream stream, const lb_hadamard_params *params,
                                       const void *x, lb_dtype x_dtype, void *y, lb_dtype y_dtype, int64_t rows);
/* Rotate then quantize in one pass (online activation quantization): the same bits as
 * lb_hadamard_transform to F32 followed by lb_quantize of that F32 matrix with `quant`,
 * whose blocks must lie within a row (block_rows == 1; block_cols divides n: per token or
 * per group). q, scales, zeros as lb_quantize for a [rows, n] matrix; its checks are reported as
 * lb_quantize's (on a CUDA stream: by lb_cuda_stream_synchronize). */
LB_API lb_status lb_hadamard_quantize(int32_t device, lb_stream stream, const lb_hadamard_params *params,
                                      const lb_quant_params *quant, const void *x, lb_dtype x_dtype, int64_t rows,
                                      void *q, void *scales, void *zeros);

/* ---------------------------------------------------------------------------------------
 * gemm, W8A8: D[m, n] = epilogue(A[m, k] . B[n, k]^T) with int8 A (activations, one scale per
 * row = per token) and int8 B (weights [out, in], one scale per row of B = per output channel),
 * int32 accumulation (SmoothQuant / QuaRot style).
 *
 * B is prepacked once (lb_w8a8_prepack) into the kernel's layout: columns in blocks of 16,
 * k in quads: byte ((jb * K4 + kq) * 16 + jj) * 4 + kk holds B[16 jb + jj][4 kq + kk]
 * (K4 = ceil(k/4); zero padding past n and k), followed by the int32 column sums of B
 * (ceil(n/16) * 16 of them; the CPU kernel feeds A + 128 as unsigned bytes to VPDPBUSD and
 * subtracts 128 * colsum). lb_w8a8_packed_bytes gives the size. The packed form is opaque:
 * pass it only to lb_w8a8_gemm with the same n and k.
 * Epilogue by d_dtype: I32: the exact accumulators sum_k A[i][l] * B[j][l] (scales and bias
 * ignored; may be NULL); F32 / F16 / BF16: ((float)acc * a_scales[i]) * b_scales[j] (+ bias[j],
 * F32) in f32, then rounded to d_dtype. Scales F32. k <= 65536 (int32 cannot overflow).
 * CPU: AVX-512 VNNI kernel, scalar fallback. CUDA (sm_80+): int8 tensor cores (mma.sync; on compute
 * capability 9.0 wgmma when the 128 x 128 output tiles fill every SM, k % 16 == 0 and A and b_packed are
 * 16-byte aligned) reading the same packed bytes; results equal the CPU's bit for bit. On CUDA, lb_w8a8_prepack stages B through
 * host memory (a one-time step) and waits for completion; all pointers are device memory. Calls with m >= 2048 on
 * n * k >= 4096 * 4096 weights take n * k bytes of scratch from the device's stream-ordered memory pool for the call
 * (a K-major copy of B that the Hopper kernel reads faster; without memory for it, the call runs without it).
 * ------------------------------------------------------------------------------------- */
LB_API int64_t lb_w8a8_packed_bytes(int64_t n, int64_t k);
LB_API lb_status lb_w8a8_prepack(int32_t device, const int8_t *b, int64_t n, int64_t k, void *packed,
                                 int64_t packed_bytes);
LB_API lb_status lb_w8a8_gemm(int32_t device, lb_stream stream, const int8_t *a, const float *a_scales,
                              const void *b_packed, const float *b_scales, const float *bias, void *d,
                              lb_dtype d_dtype, int64_t m, int64_t n, int64_t k);
/* Multiply-accumulates of int8 per second that VPDPBUSD reaches on all lowbit threads with no
 * memory traffic: the compute roof of the W8A8 kernel (0 unless the AVX512 variant is in use on a
 * CPU with AVX512_VNNI).
 * Runs for about `millis` ms. */
LB_API lb_status lb_cpu_int8_peak(int32_t millis, double *macs_per_second);

/* ---------------------------------------------------------------------------------------
 * gemm, W4A4 (QuaRot style): D[m, n] = epilogue(A[m, k] . B[n, k]^T) with I4 activations A (one F32
 * scale per row = per token; lb_hadamard_quantize's I4 output) and I4 weights B ([out, in], one F32
 * scale per row = per output channel), both in lb_quantize's I4 layout (two codes per byte along k,
 * low nibble = even k; so k is even), exact int32 accumulation.
 * B is prepacked once (lb_w4a4_prepack) and stays 4-bit: columns in blocks of 16, k in quads; the
 * nibbles of B[16 jb + jj][4 kq + kk] are element ((jb * K4 + kq) * 16 + jj) * 4 + kk (low nibble of
 * a byte = even element; K4 = ceil(k/4), zero past n and k), followed by the int32 column sums of B
 * (ceil(n/16) * 16). lb_w4a4_packed_bytes gives the size.
 * Epilogue exactly as lb_w8a8_gemm's (I32: the accumulators; F32 / F16 / BF16:
 * ((float)acc * a_scales[i]) * b_scales[j] (+ bias[j])). k <= 65536.
 * The CPU kernel widens the nibbles to int8 once per 96 rows and runs the W8A8 VPDPBUSD tiles (no
 * int4 multiply exists on x86). CUDA (sm_80+): the W8A8 tensor-core kernel with both operands
 * widened to int8 while each k stage is loaded (Hopper has no int4 mma; on sm_80/89 one would halve
 * the shared-memory traffic, not written); results equal the CPU's bit for bit. lb_w4a4_prepack on
 * CUDA stages B through host memory and waits.
 * ------------------------------------------------------------------------------------- */
LB_API int64_t lb_w4a4_packed_bytes(int64_t n, int64_t k);
LB_API lb_status lb_w4a4_prepack(int32_t device, const uint8_t *b, int64_t n, int64_t k, void *packed, int64_t packed_bytes);
LB_API lb_status lb_w4a4_gemm(int32_t device, lb_stream stream, const uint8_t *a, const float *a_scales, const void *b_packed,
                              const float *b_scales, const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n,
                              int64_t k);

/* ---------------------------------------------------------------------------------------
 * gemm, FP8: D[m, n] = epilogue(A[m, k] . B[n, k]^T) with A (activations) and B (weights
 * [out, in]) each in FP8_E4M3 or FP8_E5M2 (chosen independently), f32 accumulation.
 * Scales (F32) by `scaling`:
 *   LB_FP8_SCALE_TENSOR   a_scales [1], b_scales [1]:   d = acc * (a_scales[0] * b_scales[0])
 *   LB_FP8_SCALE_ROW_COL  a_scales [m], b_scales [n]:   d = (acc * a_scales[i]) * b_scales[j]
 *   LB_FP8_SCALE_BLOCK    a_scales [m, K128] (1 x 128 blocks), b_scales [N128, K128] (128 x 128
 *       blocks; DeepSeek-V3 / vLLM), K128 = ceil(k / 128), N128 = ceil(n / 128) (lb_quantize's grids
 *       when 128 divides k and n): d = 0, then for each k block kb ascending
 *       d = d + acc_kb * (a_scales[i][kb] * b_scales[j / 128][kb]), acc_kb the dot product over kb.
 * then d + bias[j] (F32, optional), rounded to d_dtype (F32, F16 or BF16; RNE, overflow -> Inf).
 * acc: every fp8 value is exact in bf16 and every product of two exact in f32, so the CPU kernel
 * widens both operands to bf16 and sums pairs of products in f32 (AVX-512 BF16 VDPBF16PS; AVX2 and
 * scalar use f32 FMAs in the same pair order); ISAs agree to f32 rounding, not bit for bit.
 * NaN (and E5M2 Inf) inputs propagate as in IEEE arithmetic (Inf * 0 = NaN) to the outputs whose
 * dot products touch them.
 * B is prepacked once (lb_fp8_prepack): columns in blocks of 16, k in pairs: byte
 * ((jb * K2 + kp) * 16 + jj) * 2 + kk holds B[16 jb + jj][2 kp + kk] (K2 = ceil(k/2); code 0 =
 * +0 past n and k). lb_fp8_packed_bytes gives the size. The packed form keeps B's codes, not
 * their format: pass the same b_dtype to every lb_fp8_gemm.
 * CUDA (compute capability 8.9+, else LB_ERR_UNSUPPORTED): fp8 tensor cores (mma.sync; on 9.0 wgmma
 * when the 128 x 128 output tiles fill every SM, k % 16 == 0 and A and b_packed are 16-byte aligned) on
 * the same packed bytes; their sums are folded into f32 totals every 128 k (with the block scales for
 * LB_FP8_SCALE_BLOCK), in another order than the CPU's, so the devices agree to accumulation
 * tolerance, not bit for bit. lb_fp8_prepack on CUDA stages B through host memory and waits. Large calls take
 * a scratch copy of B as lb_w8a8_gemm's do (m >= 2048, n * k >= 4096 * 4096; n * k bytes for the call).
 * ------------------------------------------------------------------------------------- */
#define LB_FP8_SCALE_TENSOR 0
#define LB_FP8_SCALE_ROW_COL 1
#define LB_FP8_SCALE_BLOCK 2
LB_API int64_t lb_fp8_packed_bytes(int64_t n, int64_t k);
LB_API lb_status lb_fp8_prepack(int32_t device, const uint8_t *b, int64_t n, int64_t k, void *packed, int64_t packed_bytes);
LB_API lb_status lb_fp8_gemm(int32_t device, lb_stream stream, const uint8_t *a, lb_dtype a_dtype, const float *a_scales,
                             const void *b_packed, lb_dtype b_dtype, const float *b_scales, int32_t scaling,
                             const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n, int64_t k);
/* Floating-point operations per second (2 per multiply-add) that VDPBF16PS reaches on all lowbit
 * threads with no memory traffic: the compute roof of the FP8 kernel (0 unless the AVX512 variant
 * is in use on a CPU with AVX512_BF16).
 * Runs for about `millis` ms. */
LB_API lb_status lb_cpu_bf16_peak(int32_t millis, double *flops_per_second);

/* ---------------------------------------------------------------------------------------
 * gemm, W4A16: Y[m, n] = X[m, k] . dequant(W)[n, k]^T (+ bias) with 4-bit weights W (I4, or U4
 * with zero points; groups of g along k or one group per row; scales F32/F16/BF16) in the quant
 * family's format, prepacked once, and f32/f16/bf16 activations; f32 arithmetic.
 *   w      [n, k] codes, two per byte along k (lb_quantize's layout), k even
 *   scales [n, k/g] scale_dtype; zeros [n, k/g] U4 (packed, rows padded to whole bytes) or F16,
 *          NULL for I4 (an I4 code c is the U4 code c ^ 8 with zero point 8)
 * Arithmetic (the exact order, every ISA alike): for each output, per group (ascending):
 *   acc = fma(w_l, x_l, acc) over the group's l ascending from acc = 0, w_l = (float)u_l - zero;
 *   y = fma(scale, acc, y) from y = 0; then y + bias[j]; rounded to y_dtype.
 * Packed layout: columns in blocks of 16; byte (jb * k/2 + p) * 16 + jj holds the U4 codes of
 * W[16 jb + jj][2p] (low nibble) and [2p + 1] (high), then f32 scales and f32 zeros, each
 * [n16][k/g][16] (zero padding past n). lb_w4a16_packed_bytes gives the size.
 * LB_W4A16_INT8_ACTIVATIONS (decode speed, llama.cpp Q4 x Q8 style; needs group % 32 == 0): each
 *   row of X is first quantized like lb_quantize I8 with 1 x 32 blocks and F32 scales (x8, sx);
 *   then per block b of 32 (ascending; g its weight group): d = sum u_l * x8_l and S = sum x8_l
 *   exactly in int32, v = fma(-zero, (float)S, (float)d), y = fma(scale * sx_b, v, y) from y = 0;
 *   then y + bias[j]. The integer products run on VPDPBUSD (AVX-512 with VBMI, whose VPERMB
 *   turns the packed codes into VPDPBUSD operands in one instruction), on VPMADDUBSW on other
 *   AVX2 CPUs; the scalar variant computes the same.
 *   NaN or Inf in X -> LB_ERR_INVALID_ARGUMENT naming the first such block (as lb_quantize).
 * CPU: AVX-512 / AVX2 / scalar. CUDA: F16/BF16 X with m >= 2, group % 16 == 0 and 16-byte aligned
 * rows run on f16/bf16 tensor cores (the codes enter exactly; per group, or per piece of a long
 * group, y += scale * (acc - zero * sum x)); m = 1 and everything else on a CUDA-core kernel (f32
 * sums of (128 + u) x per 8 k, the offset and zero taken out per chunk). Both agree with the CPU to
 * f32 accumulation order, not bit for bit; w_packed must be 16-byte aligned;
 * LB_W4A16_INT8_ACTIVATIONS -> LB_ERR_UNSUPPORTED. lb_w4a16_prepack on CUDA stages the weights
 * through host memory (a one-time step) and waits for completion.
 * ------------------------------------------------------------------------------------- */
#define LB_W4A16_INT8_ACTIVATIONS 1
LB_API int64_t lb_w4a16_packed_bytes(int64_t n, int64_t k, int64_t group);
LB_API lb_status lb_w4a16_prepack(int32_t device, const lb_quant_params *params, const void *w, const void *scales,
                                  const void *zeros, int64_t n, int64_t k, void *packed, int64_t packed_bytes);
LB_API lb_status lb_w4a16_gemm(int32_t device, lb_stream stream, const void *x, lb_dtype x_dtype, const void *w_packed,
                               const float *bias, void *y, lb_dtype y_dtype, int64_t m, int64_t n, int64_t k,
                               int64_t group, int32_t flags);

/* ---------------------------------------------------------------------------------------
 * gemm, W4A8 (ZeroQuant-FP style): D[m, n] = epilogue(A[m, k] . dequant(W)[n, k]^T) with FP8
 * activations A (FP8_E4M3 or FP8_E5M2, one F32 scale per row = per token) and 4-bit weights W
 * prepacked by lb_w4a16_prepack (the same packed form serves W4A16 and W4A8; same n, k, group).
 * With u the U4 code of W (I4 codes are U4 with zero point 8), per output (i, j):
 *   y = 0; for each weight group g ascending:
 *     y = y + (dot_g - zero[j][g] * asum_g) * scale[j][g],
 *     dot_g = sum over l in g of u_l * A[i][l] (f32, any order), asum_g = sum of A[i][l] (f32, l ascending);
 *   d = y * a_scales[i] (+ bias[j]), rounded to d_dtype (F32, F16 or BF16).
 * Every code and every fp8 value is exact in bf16, so no conversion rounds (power-of-two scales, as
 * ZeroQuant-FP proposes for fp8 weights on GPUs, are not needed on the CPU). The CPU kernel is the
 * FP8 GEMM's (VDPBF16PS; AVX2 / scalar f32 FMAs), with one k block per weight group.
 * NaN / Inf in A propagate as in lb_fp8_gemm.
 * CUDA (compute capability 8.9+, group % 32 == 0; else LB_ERR_UNSUPPORTED): fp8 tensor cores, the
 * codes entering exactly in E4M3 (as u, or u - 8) and each group folded into f32 with its scale and
 * zero point; m <= 64 with 16-byte aligned rows of A on a kernel sized for decode. Agrees with the
 * CPU to accumulation tolerance. w_packed 16-byte aligned.
 * ------------------------------------------------------------------------------------- */
LB_API lb_status lb_w4a8_gemm(int32_t device, lb_stream stream, const uint8_t *a, lb_dtype a_dtype, const float *a_scales,
                              const void *w_packed, const float *bias, void *d, lb_dtype d_dtype, int64_t m, int64_t n,
                              int64_t k, int64_t group);

/* ---------------------------------------------------------------------------------------
 * attention: encoder self-attention (no mask inside a sequence, not causal), f32, over several
 * sequences whose token rows are stacked:
 *   qkv  [tokens, 3 * heads * head_dim] row-major; each row is [q | k | v], head h at columns
 *        h * head_dim of each part;
 *   out  [tokens, heads * head_dim];
 *   seq_starts  n_seq + 1 ascending row offsets: 0, ..., tokens (sequence s is rows
 *        seq_starts[s] .. seq_starts[s + 1] - 1, 1..65536 of them).
 * Per sequence, head and query row i: s_j = (q_i . k_j) * scale for the sequence's rows j;
 * p_j = exp(s_j - max s) / sum p; out_i = sum_j p_j v_j. Dot products and sums may be computed in
 * any order (vectorised), so ISAs agree to rounding, not bit for bit.
 * seq_starts is host memory on every device (the call reads it to check and to plan the launch).
 * CUDA: one warp per (query row, head) with an online softmax (no score matrix; any length);
 * agrees with the CPU to f32 rounding.
 * ------------------------------------------------------------------------------------- */
LB_API lb_status lb_attention(int32_t device, lb_stream stream, const float *qkv, const int64_t *seq_starts, int64_t n_seq,
                              int64_t heads, int64_t head_dim, float scale, float *out);

/* ---------------------------------------------------------------------------------------
 * layer_norm: per row of x [rows, cols] f32 row-major,
 *   s = x[r] + residual[r]   (residual NULL: s = x[r])
 *   out[r] = (s - mean(s)) / sqrt(var(s) + eps) * gamma + beta   (beta NULL: no shift)
 * with var the biased (population) variance, as BERT and PyTorch's LayerNorm use. gamma and
 * beta are [cols]. out may be x or residual (in place); no other overlap. Sums in float over 16
 * fixed lanes, so every ISA gives the same bits. eps must be finite and >= 0, cols >= 1.
 * CUDA: the same operations in the same order (16 threads per row as the 16 lanes), the same bits.
 * ------------------------------------------------------------------------------------- */
LB_API lb_status lb_layer_norm(int32_t device, lb_stream stream, const float *x, const float *residual, const float *gamma,
                               const float *beta, float eps, int64_t rows, int64_t cols, float *out);

/* ---------------------------------------------------------------------------------------
 * gelu: out[i] = x[i] * Phi(x[i]) (the exact, erf-based GELU of BERT and PyTorch's default),
 * f32, n elements; out may be x (in place), no other overlap. erf by a rational fit in float:
 * absolute error below 4e-7 * max(1, |x|) (about one float ulp of x; relatively large where
 * GELU is tiny, x < -3), the same bits on every ISA; GELU(x <= -5.66) = -0, GELU(-inf) = NaN
 * (-inf * 0, as PyTorch), GELU(NaN) = NaN. CUDA evaluates the same function (common/gelu.h): the
 * same bits.
 * ------------------------------------------------------------------------------------- */
LB_API lb_status lb_gelu(int32_t device, lb_stream stream, const float *x, int64_t n, float *out);

/* ---------------------------------------------------------------------------------------
 * Embeddings: the two ends of an encoder — token ids in, one vector per sequence out — so that on
 * a GPU only the ids go over and only the sentence vectors come back.
 *
 * embedding_lookup: for a batch of token sequences stacked into rows (sequence s is rows
 * seq_starts[s] .. seq_starts[s + 1] - 1, as lb_attention's),
 *   out[t] = (word[ids[t]] + type_row) + position[t - seq_starts[s]]      (f32, in that order)
 * — BERT's word + token type + position embedding sum; type_row NULL: out[t] = word[ids[t]] +
 * position[...]. word [vocab, hidden], position [max_positions, hidden], type_row [hidden] and
 * out [tokens, hidden] (tokens = seq_starts[n_seq]) are f32 row-major on `device`; out overlaps
 * none of them. ids (int32, tokens of them) and seq_starts (int64, n_seq + 1 ascending offsets from
 * 0, no empty sequence) are host memory on every device: the call checks every id is in
 * [0, vocab) and no sequence is longer than max_positions before anything runs, and names the
 * first that is not. CUDA copies them to the device (stream-ordered); the same bits as the CPU.
 *
 * embedding_mean_pool: out[s] = the mean of x's rows seq_starts[s] .. seq_starts[s + 1] - 1
 * (x [tokens, hidden], out [n_seq, hidden], f32 on `device`, no overlap), then, if normalize,
 * out[s] * (1 / max(||out[s]||_2, 1e-12)). Column sums in row order, the mean = sum / rows, the
 * squared norm over 16 fixed lanes (column j in lane j % 16, then the lanes in order), all f32:
 * every ISA and CUDA give the same bits. seq_starts as above (host memory; sequences of 1..2^24 rows).
 * ------------------------------------------------------------------------------------- */
LB_API lb_status lb_embedding_lookup(int32_t device, lb_stream stream, const float *word, int64_t vocab, const float *position,
                                     int64_t max_positions, const float *type_row, const int32_t *ids, const int64_t *seq_starts,
                                     int64_t n_seq, int64_t hidden, float *out);
LB_API lb_status lb_embedding_mean_pool(int32_t device, lb_stream stream, const float *x, const int64_t *seq_starts, int64_t n_seq,
                                        int64_t hidden, int32_t normalize, float *out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LOWBIT_H */
