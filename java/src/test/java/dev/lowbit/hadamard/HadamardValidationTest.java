package dev.lowbit.hadamard;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.LowbitException;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every Hadamard entry point rejects bad input with an exception that names the problem; nothing crashes. */
class HadamardValidationTest {
    @Test
    void unsupportedSizesListWhatIsSupported() {
        var e = assertThrows(IllegalArgumentException.class, () -> Hadamard.factor(11008 * 3));
        assertTrue(e.getMessage().contains("no Hadamard transform of size 33024"), e.getMessage());
        assertTrue(e.getMessage().contains("m * 2^k with m in {12, 20, 28"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Hadamard.factor(12L << 24));  // m * 2^k above 2^26
        assertTrue(e.getMessage().contains("rows are limited to 2^26"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Hadamard.factor(6));
        assertTrue(e.getMessage().contains("multiple of 4"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Hadamard.factor(0));
        assertTrue(e.getMessage().contains("n must be >= 1"), e.getMessage());
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, Device.CPU, 2, 24 * 5);  // 120 = 15 * 8: m = 60, k = 1 is fine
            Hadamard.rotate(x, x, HadamardOptions.plain());
            Tensor bad = Tensor.allocate(arena, DType.F32, Device.CPU, 2, 100 + 2);
            e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotate(bad, bad, HadamardOptions.plain()));
            assertTrue(e.getMessage().contains("size 102"), e.getMessage());
        }
    }

    @Test
    void rejectsBadTensors() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 64);
            HadamardOptions o = HadamardOptions.orthonormal();
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Hadamard.rotate(x, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 32), o));
            assertEquals("y has shape [4, 32], expected x's [4, 64]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Hadamard.rotate(Tensor.allocate(arena, DType.I8, Device.CPU, 4, 64), x, o));
            assertTrue(e.getMessage().startsWith("x has dtype I8, expected one of [F32, F16, BF16]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Hadamard.rotate(x, Tensor.allocate(arena, DType.FP8_E4M3, Device.CPU, 4, 64), o));
            assertTrue(e.getMessage().startsWith("y has dtype FP8_E4M3"), e.getMessage());
            Tensor view = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 128).slice(1, 0, 64);
            e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotate(view, x, o));
            assertTrue(e.getMessage().startsWith("x must be contiguous"), e.getMessage());
            Tensor readOnly = Tensor.wrap(arena.allocate(4 * 64 * 4).asReadOnly(), DType.F32, 4, 64);
            e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotate(x, readOnly, o));
            assertEquals("y is read-only but is written to", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotate(Tensor.allocate(arena, DType.F32, Device.CPU, 0, 64), o, arena));
            assertTrue(e.getMessage().startsWith("cannot rotate an empty tensor"), e.getMessage());
            assertThrows(NullPointerException.class, () -> Hadamard.rotate(x, x, null));
            assertThrows(NullPointerException.class, () -> Hadamard.rotate(null, x, o));
        }
    }

    @Test
    void rejectsPartialOverlapButAllowsInPlace() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor buffer = Tensor.allocate(arena, DType.F32, Device.CPU, 3 * 64);
            Tensor a = buffer.slice(0, 0, 128).reshape(2, 64), b = buffer.slice(0, 64, 192).reshape(2, 64);
            var e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotate(a, b, HadamardOptions.plain()));
            assertTrue(e.getMessage().startsWith("y overlaps x"), e.getMessage());
            Tensor f32 = Tensor.allocate(arena, DType.F32, Device.CPU, 2, 64);
            Tensor bf16Alias = Tensor.wrap(f32.segment().asSlice(0, 2 * 64 * 2), DType.BF16, 2, 64);
            e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotate(f32, bf16Alias, HadamardOptions.plain()));
            assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
            Hadamard.rotate(a, a, HadamardOptions.plain());
        }
    }

    @Test
    void rejectsClosedArenas() {
        Tensor x, y;
        try (Arena arena = Arena.ofConfined()) {
            x = Tensor.allocate(arena, DType.F32, Device.CPU, 2, 64);
            y = Tensor.allocate(arena, DType.F32, Device.CPU, 2, 64);
        }
        var e = assertThrows(IllegalStateException.class, () -> Hadamard.rotate(x, y, HadamardOptions.plain()));
        assertTrue(e.getMessage().startsWith("x is closed"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> Hadamard.rotateWeights(x, HadamardOptions.orthonormal()));
        assertTrue(e.getMessage().startsWith("x is closed"), e.getMessage());
    }

    @Test
    void fusedQuantizeChecksTheFormatAndOutputs() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, Device.CPU, 8, 128);
            HadamardOptions o = HadamardOptions.randomized(1);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Hadamard.rotateQuantize(x, o, QuantFormat.int8(Granularity.PER_TENSOR), arena));
            assertTrue(e.getMessage().contains("must lie within a row"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Hadamard.rotateQuantize(x, o, QuantFormat.int8(Granularity.PER_COLUMN), arena));
            assertTrue(e.getMessage().contains("must lie within a row"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Hadamard.rotateQuantize(x, o, QuantFormat.int4(Granularity.group(48)), arena));
            assertTrue(e.getMessage().contains("48"), e.getMessage());
            Quantized wrongRows = Quantizer.allocate(QuantFormat.int8(Granularity.PER_ROW), 4, 128, Device.CPU, arena);
            e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotateQuantize(x, o, wrongRows, null));
            assertTrue(e.getMessage().startsWith("q has shape [4, 128], expected [8, 128]"), e.getMessage());
            Quantized ok = Quantizer.allocate(QuantFormat.int4(Granularity.group(32)), 8, 128, Device.CPU, arena);
            Quantized readOnly = new Quantized(ok.format(), Tensor.wrap(ok.q().segment().asReadOnly(), DType.I4, 8, 128), ok.scales(), null);
            e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotateQuantize(x, o, readOnly, null));
            assertEquals("q is read-only but is written to", e.getMessage());
            assertThrows(NullPointerException.class, () -> Hadamard.rotateQuantize(x, o, (Quantized) null, null));
        }
    }

    @Test
    void nanInputIsReportedByTheFusedQuantize() {
        try (Arena arena = Arena.ofConfined()) {
            float[] v = new float[4 * 64];
            v[2 * 64 + 5] = Float.NaN;
            Tensor x = Tensor.of(arena, v, 4, 64);
            var e = assertThrows(LowbitException.class,
                    () -> Hadamard.rotateQuantize(x, HadamardOptions.orthonormal(), QuantFormat.int8(Granularity.PER_ROW), arena));
            assertEquals("lb_hadamard_quantize: x has NaN or Inf in block (2, 0) (rows 2..2, columns 0..63)", e.getMessage());
            // 40 rows: two batches of 16 rotated and quantized together, then 8 one by one.
            float[] w = new float[40 * 64];
            w[35 * 64 + 1] = Float.POSITIVE_INFINITY;
            Tensor tail = Tensor.of(arena, w, 40, 64);
            var t = assertThrows(LowbitException.class,
                    () -> Hadamard.rotateQuantize(tail, HadamardOptions.orthonormal(), QuantFormat.int4(Granularity.group(32)), arena));
            assertEquals("lb_hadamard_quantize: x has NaN or Inf in block (35, 0) (rows 35..35, columns 0..31)", t.getMessage());
            w[20 * 64 + 40] = Float.NaN;
            Tensor both = Tensor.of(arena, w, 40, 64);
            var b = assertThrows(LowbitException.class,
                    () -> Hadamard.rotateQuantize(both, HadamardOptions.orthonormal(), QuantFormat.int4(Granularity.group(32)), arena));
            assertEquals("lb_hadamard_quantize: x has NaN or Inf in block (20, 0) (rows 20..20, columns 0..31)", b.getMessage());
        }
    }

    @Test
    void weightRotationMustBeOrthonormal() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 64);
            var e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotateWeights(w, HadamardOptions.plain()));
            assertTrue(e.getMessage().startsWith("rotateWeights needs an orthonormal forward rotation"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Hadamard.rotateWeights(w, HadamardOptions.orthonormal().inverted()));
            assertTrue(e.getMessage().startsWith("rotateWeights needs"), e.getMessage());
        }
    }

    @Test
    void matrixLimits() {
        assertThrows(IllegalArgumentException.class, () -> Hadamard.matrix(16384));
        assertThrows(IllegalArgumentException.class, () -> Hadamard.matrix(7));
    }

    @Test
    void cudaWithoutADeviceFailsWithNoCuda() {
        // The CUDA path of the C ABI: without a device (or build) it reports NO_CUDA instead of crashing.
        if (!dev.lowbit.Lowbit.cudaDevices().isEmpty()) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4 * 64);
            var e = assertThrows(LowbitException.class, () -> Native.hadamardTransform(0, MemorySegment.NULL,
                    new Native.HadamardParams(64, 0, 0), buf, DType.F32.code(), buf, DType.F32.code(), 1));
            assertEquals(LowbitException.Status.NO_CUDA, e.status());
        }
    }

    @Test
    void theCAbiChecksItsArgumentsToo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4 * 256);
            var p = new Native.HadamardParams(64, 0, 0);
            var e = assertThrows(LowbitException.class,
                    () -> Native.hadamardTransform(-1, MemorySegment.NULL, new Native.HadamardParams(64, 0, 8), buf, 0, buf, 0, 1));
            assertEquals("lb_hadamard_transform: unknown flags 0x8", e.getMessage());
            e = assertThrows(LowbitException.class, () -> Native.hadamardTransform(-1, MemorySegment.NULL, p, buf, 0, buf, 0, 0));
            assertEquals("lb_hadamard_transform: rows must be > 0, got 0", e.getMessage());
            e = assertThrows(LowbitException.class,
                    () -> Native.hadamardTransform(-1, MemorySegment.NULL, p, buf, 0, buf.asSlice(4), 0, 2));
            assertTrue(e.getMessage().startsWith("lb_hadamard_transform: source and destination overlap"), e.getMessage());
            e = assertThrows(LowbitException.class,
                    () -> Native.hadamardTransform(-1, MemorySegment.NULL, new Native.HadamardParams(188 * 2, 0, 0), buf, 0, buf, 0, 1));  // m = 188: no core
            assertEquals(LowbitException.Status.UNSUPPORTED, e.status());
            var q = new Native.QuantParams(DType.I8.code(), DType.F32.code(), 0, 0, 2, 64);
            e = assertThrows(LowbitException.class, () -> Native.hadamardQuantize(-1, MemorySegment.NULL, p, q, buf, 0, 2,
                    buf, buf, MemorySegment.NULL));
            assertTrue(e.getMessage().contains("block_rows 1"), e.getMessage());
        }
    }
}
