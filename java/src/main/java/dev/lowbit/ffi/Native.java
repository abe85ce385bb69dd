package dev.lowbit.ffi;

import dev.lowbit.LowbitException;
import dev.lowbit.LowbitException.Status;
import dev.lowbit.bindings.lb_cuda_device_props;
import dev.lowbit.bindings.lb_hadamard_params;
import dev.lowbit.bindings.lb_quant_params;
import dev.lowbit.bindings.lowbit_h;

import java.lang.foreign.Arena;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The only user of the jextract-generated {@code dev.lowbit.bindings}: one Java method per
 * {@code lowbit.h} function, turning a failed {@code lb_status} into a {@link LowbitException} that
 * carries the native message. Arguments arrive already validated by the public API; this layer
 * trusts them. Internal: the public API is in {@code dev.lowbit} and the kernel packages.
 */
public final class Native {
    /**
     * Why the library could not be loaded, or null. Kept instead of thrown from this class's
     * initializer, so every call reports the loader's own message as a {@link LowbitException}
     * (an initializer failure would surface as ExceptionInInitializerError, then NoClassDefFoundError).
     */
    private static final LowbitException LOAD_FAILURE = tryLoad();

    private static LowbitException tryLoad() {
        try {
            NativeLibrary.ensureLoaded();
            return null;
        } catch (LowbitException e) {
            return e;
        }
    }

    /** Throws the load failure, if any; the JIT folds this to nothing once the library is loaded. */
    private static void ready() {
        if (LOAD_FAILURE != null) throw new LowbitException(LOAD_FAILURE.status(), LOAD_FAILURE.getMessage(), LOAD_FAILURE);
    }

    /**
     * Downcalls that return in nanoseconds skip the Java→native thread-state transition
     * ({@link Linker.Option#critical}). Safe only for calls that never block and never call back.
     * In a holder class: created on first use, after {@link #ready()} has passed.
     */
    private static final class Critical {
        static final MethodHandle ABI_VERSION = critical("lb_abi_version");
        static final MethodHandle CONVERT = critical("lb_convert");
    }

    /** CPU kernels on fewer elements than this run inline on the caller and finish in microseconds. */
    public static final long CRITICAL_MAX_ELEMENTS = 1 << 16;

    private Native() {}

    private static MethodHandle critical(String name) {
        try {
            var address = (MemorySegment) lowbit_h.class.getMethod(name + "$address").invoke(null);
            var descriptor = (java.lang.foreign.FunctionDescriptor) lowbit_h.class.getMethod(name + "$descriptor").invoke(null);
            return Linker.nativeLinker().downcallHandle(address, descriptor, Linker.Option.critical(false));
        } catch (ReflectiveOperationException e) {
            throw new LowbitException(Status.LOAD_FAILED, "bindings lack " + name + ": regenerate them", e);
        }
    }

    /** Throws the native error of this thread if {@code status} is not {@code LB_OK}. */
    static void check(int status) {
        if (status != lowbit_h.LB_OK()) {
            throw new LowbitException(Status.of(status), lastError());
        }
    }

    public static String lastError() {
        ready();
        return cString(lowbit_h.lb_last_error());
    }

    /** Reads a NUL-terminated string the library returned (jextract gives it as a zero-length segment). */
    private static String cString(MemorySegment s) {
        return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(Long.MAX_VALUE).getString(0);
    }

    // ---- version and build ----

    public static int abiVersion() {
        ready();
        return lowbit_h.lb_abi_version();
    }

    /** {@link #abiVersion()} through a critical downcall: the cheapest possible native call. */
    public static int abiVersionCritical() {
        ready();
        try {
            return (int) Critical.ABI_VERSION.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public static int bindingsAbiVersion() {
        ready();
        return lowbit_h.LB_ABI_VERSION();
    }

    public static String version() {
        ready();
        return cString(lowbit_h.lb_version_string());
    }

    public static String buildInfo() {
        ready();
        return cString(lowbit_h.lb_build_info());
    }

    // ---- CPU ----

    public static long cpuFeatures() {
        ready();
        return lowbit_h.lb_cpu_features();
    }

    public static int cpuBestIsa() {
        ready();
        return lowbit_h.lb_cpu_best_isa();
    }

    public static int cpuIsa() {
        ready();
        return lowbit_h.lb_cpu_isa();
    }

    public static void cpuSetIsa(int isa) {
        ready();
        check(lowbit_h.lb_cpu_set_isa(isa));
    }

    public static void setNumThreads(int n) {
        ready();
        check(lowbit_h.lb_set_num_threads(n));
    }

    public static int numThreads() {
        ready();
        return lowbit_h.lb_num_threads();
    }

    public static void cpuCopy(MemorySegment dst, MemorySegment src, long bytes) {
        ready();
        check(lowbit_h.lb_cpu_copy(dst, src, bytes));
    }

    // ---- CUDA ----

    public static boolean cudaBuilt() {
        ready();
        return lowbit_h.lb_cuda_built() != 0;
    }

    public static String cudaArchs() {
        ready();
        return cString(lowbit_h.lb_cuda_archs());
    }

    public static String cudaStatus() {
        ready();
        return cString(lowbit_h.lb_cuda_status());
    }

    public static int cudaDeviceCount() {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_INT);
            check(lowbit_h.lb_cuda_device_count(count));
            return count.get(ValueLayout.JAVA_INT, 0);
        }
    }

    /** Properties of a CUDA device as {@code {name, major, minor, sms, busWidth, totalMem, l2, memClockKhz}}. */
    public static CudaProps cudaDeviceProps(int device) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = lb_cuda_device_props.allocate(arena);
            check(lowbit_h.lb_cuda_device_props_get(device, p));
            return new CudaProps(lb_cuda_device_props.name(p).getString(0), lb_cuda_device_props.major(p),
                    lb_cuda_device_props.minor(p), lb_cuda_device_props.multiprocessors(p),
                    lb_cuda_device_props.memory_bus_width_bits(p), lb_cuda_device_props.total_memory_bytes(p),
                    lb_cuda_device_props.l2_cache_bytes(p), lb_cuda_device_props.memory_clock_khz(p));
        }
    }

    /** Plain copy of {@code lb_cuda_device_props}. */
    public record CudaProps(String name, int major, int minor, int multiprocessors, int memoryBusWidthBits,
                            long totalMemoryBytes, long l2CacheBytes, long memoryClockKhz) {}

    /** Returns the device address of {@code bytes} fresh bytes on CUDA device {@code device}. */
    public static long cudaMalloc(int device, long bytes) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(lowbit_h.lb_cuda_malloc(device, bytes, out));
            return out.get(ValueLayout.ADDRESS, 0).address();
        }
    }

    public static void cudaFree(int device, long address) {
        ready();
        check(lowbit_h.lb_cuda_free(device, MemorySegment.ofAddress(address)));
    }

    public static void cudaMemcpy(int device, MemorySegment dst, MemorySegment src, long bytes, int kind, MemorySegment stream) {
        ready();
        check(lowbit_h.lb_cuda_memcpy(device, dst, src, bytes, kind, stream));
    }

    public static void cudaMemset(int device, MemorySegment dst, int value, long bytes, MemorySegment stream) {
        ready();
        check(lowbit_h.lb_cuda_memset(device, dst, value, bytes, stream));
    }

    public static MemorySegment cudaStreamCreate(int device) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(lowbit_h.lb_cuda_stream_create(device, out));
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    /** An lb_stream over a cudaStream_t the caller owns ({@code cudaStream}: its address). */
    public static MemorySegment cudaStreamWrap(int device, long cudaStream) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            check(lowbit_h.lb_cuda_stream_wrap(device, MemorySegment.ofAddress(cudaStream), out));
            return out.get(ValueLayout.ADDRESS, 0);
        }
    }

    public static void cudaStreamDestroy(MemorySegment stream) {
        ready();
        check(lowbit_h.lb_cuda_stream_destroy(stream));
    }

    public static void cudaStreamSynchronize(MemorySegment stream) {
        ready();
        check(lowbit_h.lb_cuda_stream_synchronize(stream));
    }

    public static void cudaDeviceSynchronize(int device) {
        ready();
        check(lowbit_h.lb_cuda_device_synchronize(device));
    }

    public static int copyHostToDevice() {
        ready();
        return lowbit_h.LB_COPY_HOST_TO_DEVICE();
    }

    public static int copyDeviceToHost() {
        ready();
        return lowbit_h.LB_COPY_DEVICE_TO_HOST();
    }

    public static int copyDeviceToDevice() {
        ready();
        return lowbit_h.LB_COPY_DEVICE_TO_DEVICE();
    }

    // ---- convert ----

    public static final int CONVERT_SATURATE = lowbit_h.LB_CONVERT_SATURATE();

    public static void convert(int device, MemorySegment stream, MemorySegment src, int srcDtype, MemorySegment dst,
                               int dstDtype, long count, int flags) {
        ready();
        if (device < 0 && count < CRITICAL_MAX_ELEMENTS) {
            int status;
            try {
                status = (int) Critical.CONVERT.invokeExact(device, stream, src, srcDtype, dst, dstDtype, count, flags);
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
            check(status);
        } else {
            check(lowbit_h.lb_convert(device, stream, src, srcDtype, dst, dstDtype, count, flags));
        }
    }

    // ---- quant ----

    public static final int QUANT_RESTRICT_RANGE = lowbit_h.LB_QUANT_RESTRICT_RANGE();
    public static final int QUANT_MSE_CLIP = lowbit_h.LB_QUANT_MSE_CLIP();
    public static final int QUANT_POW2_SCALE = lowbit_h.LB_QUANT_POW2_SCALE();

    /** Parameters of {@code lb_quantize}/{@code lb_dequantize}, as plain values. */
    public record QuantParams(int qtype, int scaleDtype, int zeroDtype, int flags, long blockRows, long blockCols) {
        MemorySegment write(Arena arena) {
            MemorySegment p = lb_quant_params.allocate(arena);
            lb_quant_params.qtype(p, qtype);
            lb_quant_params.scale_dtype(p, scaleDtype);
            lb_quant_params.zero_dtype(p, zeroDtype);
            lb_quant_params.flags(p, flags);
            lb_quant_params.block_rows(p, blockRows);
            lb_quant_params.block_cols(p, blockCols);
            return p;
        }
    }

    public static void quantize(int device, MemorySegment stream, QuantParams params, MemorySegment x, int xDtype, long rows,
                                long cols, MemorySegment q, MemorySegment scales, MemorySegment zeros) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            check(lowbit_h.lb_quantize(device, stream, params.write(arena), x, xDtype, rows, cols, q, scales, zeros));
        }
    }

    public static void dequantize(int device, MemorySegment stream, QuantParams params, MemorySegment q, MemorySegment scales,
                                  MemorySegment zeros, long rows, long cols, MemorySegment y, int yDtype) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            check(lowbit_h.lb_dequantize(device, stream, params.write(arena), q, scales, zeros, rows, cols, y, yDtype));
        }
    }

    // ---- hadamard ----

    public static final int HADAMARD_NORMALIZE = lowbit_h.LB_HADAMARD_NORMALIZE();
    public static final int HADAMARD_RANDOM_SIGNS = lowbit_h.LB_HADAMARD_RANDOM_SIGNS();
    public static final int HADAMARD_INVERSE = lowbit_h.LB_HADAMARD_INVERSE();

    /** Parameters of the {@code lb_hadamard_*} functions, as plain values. */
    public record HadamardParams(long n, long seed, int flags) {
        MemorySegment write(Arena arena) {
            MemorySegment p = lb_hadamard_params.allocate(arena);
            lb_hadamard_params.n(p, n);
            lb_hadamard_params.seed(p, seed);
            lb_hadamard_params.flags(p, flags);
            return p;
        }
    }

    /** {m, k} with n = m * 2^k; throws {@link LowbitException} (UNSUPPORTED, listing what is) otherwise. */
    public static long[] hadamardFactor(long n) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = arena.allocate(ValueLayout.JAVA_LONG), k = arena.allocate(ValueLayout.JAVA_INT);
            check(lowbit_h.lb_hadamard_factor(n, m, k));
            return new long[] {m.get(ValueLayout.JAVA_LONG, 0), k.get(ValueLayout.JAVA_INT, 0)};
        }
    }

    public static String hadamardOrders() {
        ready();
        return cString(lowbit_h.lb_hadamard_orders());
    }

    public static byte[] hadamardMatrix(int n) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate((long) n * n);
            check(lowbit_h.lb_hadamard_matrix(n, out));
            return out.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    public static void hadamardTransform(int device, MemorySegment stream, HadamardParams params, MemorySegment x, int xDtype,
                                         MemorySegment y, int yDtype, long rows) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            check(lowbit_h.lb_hadamard_transform(device, stream, params.write(arena), x, xDtype, y, yDtype, rows));
        }
    }

    public static void hadamardQuantize(int device, MemorySegment stream, HadamardParams params, QuantParams quant,
                                        MemorySegment x, int xDtype, long rows, MemorySegment q, MemorySegment scales,
                                        MemorySegment zeros) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            check(lowbit_h.lb_hadamard_quantize(device, stream, params.write(arena), quant.write(arena), x, xDtype, rows, q,
                    scales, zeros));
        }
    }

    // ---- gemm ----

    /** Bytes of the packed form of an int8 [n, k] weight matrix; -1 for sizes the kernel does not take. */
    public static long w8a8PackedBytes(long n, long k) {
        ready();
        return lowbit_h.lb_w8a8_packed_bytes(n, k);
    }

    public static void w8a8Prepack(int device, MemorySegment b, long n, long k, MemorySegment packed, long packedBytes) {
        ready();
        check(lowbit_h.lb_w8a8_prepack(device, b, n, k, packed, packedBytes));
    }

    public static void w8a8Gemm(int device, MemorySegment stream, MemorySegment a, MemorySegment aScales, MemorySegment bPacked,
                                MemorySegment bScales, MemorySegment bias, MemorySegment d, int dDtype, long m, long n, long k) {
        ready();
        check(lowbit_h.lb_w8a8_gemm(device, stream, a, aScales, bPacked, bScales, bias, d, dDtype, m, n, k));
    }

    public static double cpuInt8Peak(int millis) {
        return peak(millis, true);
    }

    /** Bytes of the packed form of an int4 [n, k] W4A4 weight matrix; -1 for sizes the kernel does not take. */
    public static long w4a4PackedBytes(long n, long k) {
        ready();
        return lowbit_h.lb_w4a4_packed_bytes(n, k);
    }

    public static void w4a4Prepack(int device, MemorySegment b, long n, long k, MemorySegment packed, long packedBytes) {
        ready();
        check(lowbit_h.lb_w4a4_prepack(device, b, n, k, packed, packedBytes));
    }

    public static void w4a4Gemm(int device, MemorySegment stream, MemorySegment a, MemorySegment aScales, MemorySegment bPacked,
                                MemorySegment bScales, MemorySegment bias, MemorySegment d, int dDtype, long m, long n, long k) {
        ready();
        check(lowbit_h.lb_w4a4_gemm(device, stream, a, aScales, bPacked, bScales, bias, d, dDtype, m, n, k));
    }

    public static final int FP8_SCALE_TENSOR = lowbit_h.LB_FP8_SCALE_TENSOR();
    public static final int FP8_SCALE_ROW_COL = lowbit_h.LB_FP8_SCALE_ROW_COL();
    public static final int FP8_SCALE_BLOCK = lowbit_h.LB_FP8_SCALE_BLOCK();

    /** Bytes of the packed form of an fp8 [n, k] weight matrix; -1 for sizes the kernel does not take. */
    public static long fp8PackedBytes(long n, long k) {
        ready();
        return lowbit_h.lb_fp8_packed_bytes(n, k);
    }

    public static void fp8Prepack(int device, MemorySegment b, long n, long k, MemorySegment packed, long packedBytes) {
        ready();
        check(lowbit_h.lb_fp8_prepack(device, b, n, k, packed, packedBytes));
    }

    public static void fp8Gemm(int device, MemorySegment stream, MemorySegment a, int aDtype, MemorySegment aScales, MemorySegment bPacked,
                               int bDtype, MemorySegment bScales, int scaling, MemorySegment bias, MemorySegment d, int dDtype, long m,
                               long n, long k) {
        ready();
        check(lowbit_h.lb_fp8_gemm(device, stream, a, aDtype, aScales, bPacked, bDtype, bScales, scaling, bias, d, dDtype, m, n, k));
    }

    public static void w4a8Gemm(int device, MemorySegment stream, MemorySegment a, int aDtype, MemorySegment aScales, MemorySegment wPacked,
                                MemorySegment bias, MemorySegment d, int dDtype, long m, long n, long k, long group) {
        ready();
        check(lowbit_h.lb_w4a8_gemm(device, stream, a, aDtype, aScales, wPacked, bias, d, dDtype, m, n, k, group));
    }

    public static double cpuBf16Peak(int millis) {
        return peak(millis, false);
    }

    /** lb_cpu_int8_peak (MACs/s) or lb_cpu_bf16_peak (flops/s). */
    private static double peak(int millis, boolean int8) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_DOUBLE);
            check(int8 ? lowbit_h.lb_cpu_int8_peak(millis, out) : lowbit_h.lb_cpu_bf16_peak(millis, out));
            return out.get(ValueLayout.JAVA_DOUBLE, 0);
        }
    }

    /** Bytes of the packed form of 4-bit [n, k] weights with groups of {@code group}; -1 for sizes the kernel does not take. */
    public static long w4a16PackedBytes(long n, long k, long group) {
        ready();
        return lowbit_h.lb_w4a16_packed_bytes(n, k, group);
    }

    public static void w4a16Prepack(int device, QuantParams params, MemorySegment w, MemorySegment scales, MemorySegment zeros,
                                    long n, long k, MemorySegment packed, long packedBytes) {
        ready();
        try (Arena arena = Arena.ofConfined()) {
            check(lowbit_h.lb_w4a16_prepack(device, params.write(arena), w, scales, zeros, n, k, packed, packedBytes));
        }
    }

    public static final int W4A16_INT8_ACTIVATIONS = lowbit_h.LB_W4A16_INT8_ACTIVATIONS();

    public static void w4a16Gemm(int device, MemorySegment stream, MemorySegment x, int xDtype, MemorySegment wPacked,
                                 MemorySegment bias, MemorySegment y, int yDtype, long m, long n, long k, long group, int flags) {
        ready();
        check(lowbit_h.lb_w4a16_gemm(device, stream, x, xDtype, wPacked, bias, y, yDtype, m, n, k, group, flags));
    }

    public static void attention(int device, MemorySegment stream, MemorySegment qkv, MemorySegment seqStarts, long nSeq, long heads,
                                 long headDim, float scale, MemorySegment out) {
        ready();
        check(lowbit_h.lb_attention(device, stream, qkv, seqStarts, nSeq, heads, headDim, scale, out));
    }

    public static void layerNorm(int device, MemorySegment stream, MemorySegment x, MemorySegment residual, MemorySegment gamma,
                                 MemorySegment beta, float eps, long rows, long cols, MemorySegment out) {
        ready();
        check(lowbit_h.lb_layer_norm(device, stream, x, residual, gamma, beta, eps, rows, cols, out));
    }

    public static void gelu(int device, MemorySegment stream, MemorySegment x, long n, MemorySegment out) {
        ready();
        check(lowbit_h.lb_gelu(device, stream, x, n, out));
    }

    public static void embeddingLookup(int device, MemorySegment stream, MemorySegment word, long vocab, MemorySegment position,
                                       long maxPositions, MemorySegment typeRow, MemorySegment ids, MemorySegment seqStarts, long nSeq,
                                       long hidden, MemorySegment out) {
        ready();
        check(lowbit_h.lb_embedding_lookup(device, stream, word, vocab, position, maxPositions, typeRow, ids, seqStarts, nSeq, hidden, out));
    }

    public static void embeddingMeanPool(int device, MemorySegment stream, MemorySegment x, MemorySegment seqStarts, long nSeq, long hidden,
                                         boolean normalize, MemorySegment out) {
        ready();
        check(lowbit_h.lb_embedding_mean_pool(device, stream, x, seqStarts, nSeq, hidden, normalize ? 1 : 0, out));
    }
}
