package dev.lowbit.ffi;

import dev.lowbit.DType;
import dev.lowbit.LowbitException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The C ABI checks its arguments too (for C callers that skip the Java API); its status and
 * thread-local message reach Java as a {@link LowbitException}.
 */
class NativeErrorsTest {
    @Test
    void unsupportedDtypePairReportsStatusAndMessage() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            var e = assertThrows(LowbitException.class,
                    () -> Native.convert(-1, MemorySegment.NULL, buf, DType.I8.code(), buf, DType.F32.code(), 4, 0));
            assertEquals(LowbitException.Status.UNSUPPORTED, e.status());
            assertEquals("lb_convert: converts between F32, F16, BF16, FP8_E4M3 and FP8_E5M2 only, got I8 -> F32", e.getMessage());
        }
    }

    @Test
    void negativeCountAndOverlapAreInvalidArguments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            var e = assertThrows(LowbitException.class,
                    () -> Native.convert(-1, MemorySegment.NULL, buf, DType.F32.code(), buf, DType.F16.code(), -1, 0));
            assertEquals(LowbitException.Status.INVALID_ARGUMENT, e.status());
            assertEquals("lb_convert: count must be >= 0, got -1", e.getMessage());
            e = assertThrows(LowbitException.class,
                    () -> Native.convert(-1, MemorySegment.NULL, buf, DType.F32.code(), buf.asSlice(2), DType.F16.code(), 4, 0));
            assertTrue(e.getMessage().startsWith("lb_convert: source and destination overlap"), e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.cpuCopy(buf.asSlice(8), buf, 16));
            assertEquals("lb_cpu_copy: dst and src overlap", e.getMessage());
        }
    }

    @Test
    void badDeviceAndIsaArguments() {
        var e = assertThrows(LowbitException.class, () -> Native.convert(-7, MemorySegment.NULL, MemorySegment.NULL,
                DType.F32.code(), MemorySegment.NULL, DType.F16.code(), 0, 0));
        assertEquals("lb_convert: device must be -1 (CPU) or a CUDA ordinal >= 0, got -7", e.getMessage());
        e = assertThrows(LowbitException.class, () -> Native.convert(-1, MemorySegment.NULL, MemorySegment.NULL,
                DType.F32.code(), MemorySegment.NULL, DType.F16.code(), 0, 8));
        assertEquals("lb_convert: unknown flags 0x8", e.getMessage());
        e = assertThrows(LowbitException.class, () -> Native.cpuSetIsa(9));
        assertEquals(LowbitException.Status.INVALID_ARGUMENT, e.status());
        e = assertThrows(LowbitException.class, () -> Native.setNumThreads(-3));
        assertTrue(e.getMessage().startsWith("lb_set_num_threads: n must be >= 0"), e.getMessage());
    }

    @Test
    void fp8GemmChecksItsArguments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096), d = arena.allocate(4096);
            int e4 = DType.FP8_E4M3.code(), f32 = DType.F32.code();
            var e = assertThrows(LowbitException.class,
                    () -> Native.fp8Gemm(-1, MemorySegment.NULL, buf, e4, buf, buf, e4, buf, 7, MemorySegment.NULL, d, f32, 2, 16, 16));
            assertEquals("lb_fp8_gemm: scaling must be LB_FP8_SCALE_TENSOR, _ROW_COL or _BLOCK, got 7", e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.fp8Gemm(-1, MemorySegment.NULL, buf, DType.I8.code(), buf, buf, e4, buf,
                    Native.FP8_SCALE_TENSOR, MemorySegment.NULL, d, f32, 2, 16, 16));
            assertEquals("lb_fp8_gemm: a_dtype and b_dtype must be FP8_E4M3 or FP8_E5M2, got I8 and FP8_E4M3", e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.fp8Gemm(-1, MemorySegment.NULL, buf, e4, MemorySegment.NULL, buf, e4, buf,
                    Native.FP8_SCALE_TENSOR, MemorySegment.NULL, d, f32, 2, 16, 16));
            assertTrue(e.getMessage().contains("must not be NULL"), e.getMessage());
            // On a CUDA device the arguments are checked before the device is touched (these are host pointers).
            e = assertThrows(LowbitException.class, () -> Native.fp8Gemm(0, MemorySegment.NULL, buf, e4, buf, buf, e4, buf,
                    9, MemorySegment.NULL, d, f32, 2, 16, 16));
            assertEquals(LowbitException.Status.INVALID_ARGUMENT, e.status());
            if (dev.lowbit.Lowbit.cudaDeviceCount() == 0) {
                e = assertThrows(LowbitException.class, () -> Native.fp8Gemm(0, MemorySegment.NULL, buf, e4, buf, buf, e4, buf,
                        Native.FP8_SCALE_TENSOR, MemorySegment.NULL, d, f32, 2, 16, 16));
                assertEquals(LowbitException.Status.NO_CUDA, e.status());
            }
            e = assertThrows(LowbitException.class, () -> Native.fp8Prepack(-1, buf, 16, 16, buf, 100));
            assertTrue(e.getMessage().startsWith("lb_fp8_prepack: packed has 100 bytes, needs 256"), e.getMessage());
            assertEquals(-1, Native.fp8PackedBytes(0, 16));
        }
    }

    @Test
    void layerNormAndGeluCheckTheirArguments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(256), g = arena.allocate(64), out = arena.allocate(256), none = MemorySegment.NULL;
            Native.layerNorm(-1, none, x, none, g, none, 1e-5f, 4, 16, out);
            var e = assertThrows(LowbitException.class, () -> Native.layerNorm(-1, none, x, none, none, none, 1e-5f, 4, 16, out));
            assertEquals("lb_layer_norm: x, gamma and out must not be NULL", e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.layerNorm(-1, none, x, none, g, none, 1e-5f, 4, 0, out));
            assertTrue(e.getMessage().startsWith("lb_layer_norm: needs rows >= 0 and 1 <= cols"), e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.layerNorm(-1, none, x, none, g, none, Float.NaN, 4, 16, out));
            assertEquals("lb_layer_norm: eps must be finite and >= 0, got nan", e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.layerNorm(-1, none, x, x.asSlice(4), g, none, 1e-5f, 2, 16, x.asSlice(8)));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
            Native.gelu(-1, none, x, 64, x);
            e = assertThrows(LowbitException.class, () -> Native.gelu(-1, none, x, -1, out));
            assertEquals("lb_gelu: n must be in 0..2^40, got -1", e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.gelu(-1, none, x, 16, x.asSlice(4)));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.gelu(-1, none, none, 16, out));
            assertEquals("lb_gelu: x and out must not be NULL", e.getMessage());
        }
    }

    /** The C ABI's own checks of the embedding calls (the Java API checks first; these keep direct C callers safe). */
    @Test
    void embeddingCallsCheckTheirArguments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment word = arena.allocate(8 * 16 * 4), pos = arena.allocate(4 * 16 * 4), out = arena.allocate(8 * 16 * 4), none = MemorySegment.NULL;
            MemorySegment starts = arena.allocateFrom(ValueLayout.JAVA_LONG, 0, 3, 4), ids = arena.allocateFrom(ValueLayout.JAVA_INT, 1, 7, 0, 2);
            Native.embeddingLookup(-1, none, word, 8, pos, 4, none, ids, starts, 2, 16, out);
            Native.embeddingMeanPool(-1, none, out, starts, 2, 16, true, word);
            var e = assertThrows(LowbitException.class, () -> Native.embeddingLookup(-1, none, word, 8, pos, 4, none, ids, starts, 2, 16, word));
            assertTrue(e.getMessage().startsWith("lb_embedding_lookup: source and destination overlap"), e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.embeddingLookup(-1, none, word, 7, pos, 4, none, ids, starts, 2, 16, out));
            assertEquals("lb_embedding_lookup: ids[1] = 7 is outside the vocabulary of 7", e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.embeddingLookup(-1, none, word, 8, pos, 2, none, ids, starts, 2, 16, out));
            assertEquals("lb_embedding_lookup: sequence 0 has 3 tokens (seq_starts 0..3); expected 1..2", e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.embeddingLookup(-1, none, word, 8, none, 4, none, ids, starts, 2, 16, out));
            assertTrue(e.getMessage().endsWith("must not be NULL"), e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.embeddingMeanPool(-1, none, out, starts, 2, 0, true, word));
            assertEquals("lb_embedding_mean_pool: needs n_seq >= 1 and 1 <= hidden <= 2^20; got 2, 0", e.getMessage());
            MemorySegment empty = arena.allocateFrom(ValueLayout.JAVA_LONG, 0, 3, 3);
            e = assertThrows(LowbitException.class, () -> Native.embeddingMeanPool(-1, none, out, empty, 2, 16, true, word));
            assertTrue(e.getMessage().startsWith("lb_embedding_mean_pool: sequence 1 has 0 tokens"), e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.embeddingMeanPool(-1, none, out, starts, 2, 16, true, out.asSlice(64)));
            assertTrue(e.getMessage().contains("overlap"), e.getMessage());
        }
    }

    /**
     * In a CUDA build on a machine without a GPU, every entry point with a CUDA backend must get as far as looking for
     * the device ("fn: no CUDA device: ..."), not stop at "this build has no CUDA" — which is what a dispatch compiled
     * out by a missing configuration include looks like (it happened once). The arguments are valid host buffers; no
     * kernel runs.
     */
    @Test
    void cudaEntryPointsReachTheCudaBackend() {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.lowbit.Lowbit.cudaBuilt() && dev.lowbit.Lowbit.cudaDeviceCount() == 0,
                "needs a CUDA build on a machine without a device");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(1 << 16, 64), b = arena.allocate(1 << 16, 64), d = arena.allocate(1 << 16, 64);
            MemorySegment none = MemorySegment.NULL, starts = arena.allocateFrom(ValueLayout.JAVA_LONG, 0, 4);
            int f32 = DType.F32.code(), e4 = DType.FP8_E4M3.code();
            var params = new Native.QuantParams(DType.I4.code(), DType.F32.code(), DType.U4.code(), 0, 1, 32);
            java.util.Map<String, org.junit.jupiter.api.function.Executable> calls = new java.util.LinkedHashMap<>();
            calls.put("lb_w8a8_prepack", () -> Native.w8a8Prepack(0, a, 16, 16, b, b.byteSize()));
            calls.put("lb_w8a8_gemm", () -> Native.w8a8Gemm(0, none, a, a, b, b, none, d, f32, 4, 16, 16));
            calls.put("lb_w4a4_prepack", () -> Native.w4a4Prepack(0, a, 16, 16, b, b.byteSize()));
            calls.put("lb_w4a4_gemm", () -> Native.w4a4Gemm(0, none, a, a, b, b, none, d, f32, 4, 16, 16));
            calls.put("lb_fp8_prepack", () -> Native.fp8Prepack(0, a, 16, 16, b, b.byteSize()));
            calls.put("lb_fp8_gemm", () -> Native.fp8Gemm(0, none, a, e4, a, b, e4, b, Native.FP8_SCALE_ROW_COL, none, d, f32, 4, 16, 16));
            calls.put("lb_w4a16_prepack", () -> Native.w4a16Prepack(0, params, a, a.asSlice(4096), none, 16, 64, b, b.byteSize()));
            calls.put("lb_w4a16_gemm", () -> Native.w4a16Gemm(0, none, a, f32, b, none, d, f32, 4, 16, 64, 32, 0));
            calls.put("lb_w4a8_gemm", () -> Native.w4a8Gemm(0, none, a, e4, a, b, none, d, f32, 4, 16, 64, 32));
            calls.put("lb_attention", () -> Native.attention(0, none, a, starts, 1, 2, 8, 0.5f, d));
            calls.put("lb_layer_norm", () -> Native.layerNorm(0, none, a, none, b, none, 1e-5f, 4, 16, d));
            calls.put("lb_gelu", () -> Native.gelu(0, none, a, 64, d));
            MemorySegment ids = arena.allocateFrom(ValueLayout.JAVA_INT, 1, 2, 3, 0);
            calls.put("lb_embedding_lookup", () -> Native.embeddingLookup(0, none, a, 8, b, 8, none, ids, starts, 1, 16, d));
            calls.put("lb_embedding_mean_pool", () -> Native.embeddingMeanPool(0, none, a, starts, 1, 16, true, d));
            calls.forEach((fn, call) -> {
                var e = assertThrows(LowbitException.class, call, fn);
                assertEquals(LowbitException.Status.NO_CUDA, e.status(), fn + ": " + e.getMessage());
                assertTrue(e.getMessage().startsWith(fn + ": no CUDA device"), fn + ": " + e.getMessage());
            });
        }
    }

    @Test
    void errorMessagesArePerThread() throws Exception {
        assertThrows(LowbitException.class, () -> Native.cpuSetIsa(9));
        String mine = Native.lastError();
        Thread t = new Thread(() -> assertThrows(LowbitException.class, () -> Native.setNumThreads(-3)));
        t.start();
        t.join();
        assertEquals(mine, Native.lastError());
    }
}
