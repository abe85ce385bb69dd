package dev.lowbit.gemm;

import dev.lowbit.CpuFeature;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Tensor;
import dev.lowbit.convert.Convert;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import dev.lowbit.reference.FloatFormats;
import dev.lowbit.support.Isas;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** W8A8 on every CPU variant: int32 accumulators equal a plain-Java int64 reference exactly; the epilogue bit for bit. */
class W8A8Test {
    static final int[][] SHAPES = {  // m, n, k: odd m, smallest legal sizes, n off the 16/32-column blocks, real layers
        {1, 1, 1}, {1, 16, 4}, {3, 17, 5}, {17, 33, 7}, {33, 50, 100}, {6, 32, 64}, {7, 384, 1536}, {13, 1536, 384}, {64, 96, 130}};

    static byte[] randomBytes(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[count];
        for (int i = 0; i < count; ++i) b[i] = (byte) r.nextInt(256);
        return b;
    }

    static long[] reference(byte[] a, byte[] w, int m, int n, int k) {
        long[] out = new long[m * n];
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                long s = 0;
                for (int l = 0; l < k; ++l) s += (long) a[i * k + l] * w[j * k + l];
                out[i * n + j] = s;
            }
        return out;
    }

    static Tensor int8(Arena arena, byte[] v, long rows, long cols) {
        return Tensor.ofBytes(arena, DType.I8, v, rows, cols);
    }

    static int[] int32(Tensor t) {
        return t.segment().toArray(ValueLayout.JAVA_INT);
    }

    @Test
    void accumulatorsAreExactOnEveryVariant() {
        assertExactOnEveryVariant(0, false);
    }

    /** Every variant's int32 accumulators against the int64 reference on SHAPES; noMinus128: A in -127..127 (W keeps -128). */
    private static void assertExactOnEveryVariant(long seed, boolean noMinus128) {
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                for (int[] s : SHAPES) {
                    int m = s[0], n = s[1], k = s[2];
                    byte[] a = randomBytes(m * 7919L + k + seed, m * k), w = randomBytes(n * 31L + k + seed, n * k);
                    if (noMinus128) {
                        for (int i = 0; i < a.length; i++) if (a[i] == Byte.MIN_VALUE) a[i] = (byte) (i % 2 == 0 ? 127 : -127);
                        w[0] = Byte.MIN_VALUE;
                    }
                    long[] ref = reference(a, w, m, n, k);
                    int[] got = int32Product(a, w, m, n, k);
                    for (int i = 0; i < ref.length; ++i) assertEquals(ref[i], got[i], isa + " m=" + m + " n=" + n + " k=" + k + " element " + i);
                }
            });
        }
    }

    /** A [m, k] times W [n, k] transposed through prepack and matmulInt32, on the current variant. */
    static int[] int32Product(byte[] a, byte[] w, int m, int n, int k) {
        try (Arena arena = Arena.ofConfined()) {
            W8A8.Weights packed = W8A8.prepack(int8(arena, w, n, k), Tensor.of(arena, new float[n], n), arena);
            Tensor out = Tensor.allocate(arena, DType.I32, Device.CPU, m, n);
            W8A8.matmulInt32(int8(arena, a, m, k), packed, out);
            return int32(out);
        }
    }

    /**
     * A as lowbit's quantizer leaves it (-127..127, never -128) takes AVX2's signed tile (VPMADDUBSW on |w| and a * sign(w),
     * exact only while |a| <= 127); random A above almost always holds a -128 somewhere, which sends AVX2 to its other tile.
     */
    @Test
    void activationsWithoutMinus128AreExactOnEveryVariant() {
        assertExactOnEveryVariant(104729, true);
    }

    @Test
    void extremesWithoutMinus128InADoNotOverflowOrSaturate() {
        // Every pair sum at VPMADDUBSW's bound: |w| = 128 against a * sign(w) = 127 (2 * 128 * 127 = 32512 < 2^15).
        int m = 2, n = 3, k = 65536;
        byte[] a = new byte[m * k], w = new byte[n * k];
        java.util.Arrays.fill(a, 0, k, (byte) -127);
        java.util.Arrays.fill(a, k, 2 * k, (byte) 127);
        java.util.Arrays.fill(w, 0, k, (byte) -128);
        java.util.Arrays.fill(w, k, 2 * k, (byte) 127);
        for (int l = 0; l < k; l++) w[2 * k + l] = (byte) (l % 2 == 0 ? -128 : 127);
        long[] ref = reference(a, w, m, n, k);
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                int[] got = int32Product(a, w, m, n, k);
                for (int i = 0; i < ref.length; ++i) assertEquals(ref[i], got[i], isa + " element " + i);
            });
        }
    }

    @Test
    void extremesDoNotOverflowAtTheLargestK() {
        int m = 2, n = 3, k = 65536;
        byte[] a = new byte[m * k], w = new byte[n * k];
        java.util.Arrays.fill(a, (byte) -128);
        java.util.Arrays.fill(w, 0, k, (byte) -128);      // row 0: +2^30
        java.util.Arrays.fill(w, k, 2 * k, (byte) 127);   // row 1: -128 * 127 * k
        try (Arena arena = Arena.ofConfined()) {
            W8A8.Weights packed = W8A8.prepack(int8(arena, w, n, k), Tensor.of(arena, new float[n], n), arena);
            Tensor out = Tensor.allocate(arena, DType.I32, Device.CPU, m, n);
            W8A8.matmulInt32(int8(arena, a, m, k), packed, out);
            assertArrayEquals(new int[] {1 << 30, -128 * 127 * k, 0, 1 << 30, -128 * 127 * k, 0}, int32(out));
        }
    }

    @Test
    void epilogueMatchesTheDocumentedOrderBitForBit() {
        // k = 1100: more than one k block, so the AVX-512 tile's fused epilogue starts from partial sums
        // Each with a -128 in A (AVX2's offset tile and the driver's epilogue) and without (its signed tile, whose
        // F32 epilogue runs from registers); n = 40 ends in a partial 16-column block.
        for (int k : new int[] {77, 1100})
            for (boolean minus128 : new boolean[] {true, false}) epilogueBitForBit(9, 40, k, minus128);
    }

    private static void epilogueBitForBit(int m, int n, int k, boolean minus128) {
        byte[] a = randomBytes(1, m * k), w = randomBytes(2, n * k);
        for (int i = 0; i < a.length; i++) if (a[i] == Byte.MIN_VALUE) a[i] = (byte) -127;
        if (minus128) a[a.length / 2] = Byte.MIN_VALUE;
        SplittableRandom r = new SplittableRandom(3);
        float[] sa = new float[m], sw = new float[n], bias = new float[n];
        for (int i = 0; i < m; ++i) sa[i] = (float) r.nextDouble(1e-4, 1e-2);
        for (int j = 0; j < n; ++j) {
            sw[j] = (float) r.nextDouble(1e-4, 1e-2);
            bias[j] = (float) r.nextGaussian();
        }
        long[] acc = reference(a, w, m, n, k);
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                for (DType dt : new DType[] {DType.F32, DType.F16, DType.BF16}) {
                    for (boolean withBias : new boolean[] {false, true}) {
                        try (Arena arena = Arena.ofConfined()) {
                            Quantized qa = new Quantized(QuantFormat.int8(Granularity.PER_ROW), int8(arena, a, m, k), Tensor.of(arena, sa, m, 1), null);
                            W8A8.Weights packed = W8A8.prepack(int8(arena, w, n, k), Tensor.of(arena, sw, n, 1), arena);
                            Tensor out = W8A8.matmul(qa, packed, withBias ? Tensor.of(arena, bias, n) : null, dt, arena);
                            Tensor f32 = Tensor.allocate(arena, DType.F32, Device.CPU, m, n);
                            if (dt == DType.F32) f32 = out;
                            else Convert.convert(out, f32);
                            float[] got = f32.toFloatArray();
                            for (int i = 0; i < m; ++i)
                                for (int j = 0; j < n; ++j) {
                                    float y = ((float) acc[i * n + j] * sa[i]) * sw[j];
                                    if (withBias) y = y + bias[j];
                                    float expect = switch (dt) {
                                        case F16 -> FloatFormats.F16.decode(FloatFormats.F16.encode(y));
                                        case BF16 -> FloatFormats.BF16.decode(FloatFormats.BF16.encode(y));
                                        default -> y;
                                    };
                                    assertEquals(expect, got[i * n + j], isa + " " + dt + " k=" + k + " bias=" + withBias + " [" + i + "][" + j + "]");
                                }
                        }
                    }
                }
            });
        }
    }

    @Test
    void quantizedLayerIsCloseToTheFloatLayer() {
        int m = 8, n = 384, k = 1536;
        SplittableRandom r = new SplittableRandom(9);
        float[] x = new float[m * k], w = new float[n * k];
        for (int i = 0; i < x.length; ++i) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < w.length; ++i) w[i] = (float) r.nextGaussian() * 0.05f;
        try (Arena arena = Arena.ofConfined()) {
            Quantized qx = Quantizer.quantize(Tensor.of(arena, x, m, k), QuantFormat.int8(Granularity.PER_ROW), arena);
            Quantized qw = Quantizer.quantize(Tensor.of(arena, w, n, k), QuantFormat.int8(Granularity.PER_ROW), arena);
            float[] y = W8A8.matmul(qx, W8A8.prepack(qw, arena), null, DType.F32, arena).toFloatArray();
            double err = 0, norm = 0;
            for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                    double exact = 0;
                    for (int l = 0; l < k; ++l) exact += (double) x[i * k + l] * w[j * k + l];
                    err += (y[i * n + j] - exact) * (y[i * n + j] - exact);
                    norm += exact * exact;
                }
            assertTrue(Math.sqrt(err / norm) < 0.02, "relative error " + Math.sqrt(err / norm));
        }
    }

    @Test
    void peakIsMeasured() {
        double peak = W8A8.int8PeakMacsPerSecond(20);
        // The ISA in use (LOWBIT_ISA may lower it) and VNNI (LOWBIT_CPU_FEATURES_OFF may hide it).
        if (dev.lowbit.Lowbit.isa() == Isa.AVX512 && dev.lowbit.Lowbit.cpuFeatures().contains(CpuFeature.AVX512_VNNI))
            assertTrue(peak > 1e9, "peak " + peak);
        else assertEquals(0.0, peak);
    }

    @Test
    void rejectsBadInput() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor w = Tensor.allocate(arena, DType.I8, Device.CPU, 32, 64);
            Tensor ws = Tensor.allocate(arena, DType.F32, Device.CPU, 32, 1);
            W8A8.Weights packed = W8A8.prepack(w, ws, arena);
            Tensor a = Tensor.allocate(arena, DType.I8, Device.CPU, 4, 64);
            Quantized qa = new Quantized(QuantFormat.int8(Granularity.PER_ROW), a, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 1), null);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> W8A8.matmulInt32(Tensor.allocate(arena, DType.I8, Device.CPU, 4, 48), packed, Tensor.allocate(arena, DType.I32, Device.CPU, 4, 32)));
            assertEquals("a has k = 48 but the weights have k = 64", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W8A8.matmulInt32(a, packed, Tensor.allocate(arena, DType.I32, Device.CPU, 4, 31)));
            assertEquals("out has shape [4, 31], expected [4, 32]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W8A8.matmulInt32(a, packed, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 32)));
            assertTrue(e.getMessage().startsWith("out has dtype F32"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W8A8.matmul(qa, packed, null, Tensor.allocate(arena, DType.I32, Device.CPU, 4, 32)));
            assertTrue(e.getMessage().startsWith("out has dtype I32"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> W8A8.matmul(qa, packed, Tensor.allocate(arena, DType.F32, Device.CPU, 31), DType.F32, arena));
            assertEquals("bias has shape [31], expected [32]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> W8A8.matmul(new Quantized(QuantFormat.int8(Granularity.PER_TENSOR), a, Tensor.allocate(arena, DType.F32, Device.CPU, 1, 1), null),
                            packed, null, DType.F32, arena));
            assertTrue(e.getMessage().startsWith("W8A8 activations must be int8 with one F32 scale per row"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W8A8.prepack(Tensor.allocate(arena, DType.I4, Device.CPU, 32, 64), ws, arena));
            assertTrue(e.getMessage().startsWith("w has dtype I4"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W8A8.prepack(w, Tensor.allocate(arena, DType.F32, Device.CPU, 31), arena));
            assertEquals("w scales has shape [31], expected [32] or [32, 1]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> W8A8.prepack(Tensor.allocate(arena, DType.I8, Device.CPU, 2, 65537), Tensor.allocate(arena, DType.F32, Device.CPU, 2), arena));
            assertTrue(e.getMessage().contains("above 65536"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W8A8.prepack(Tensor.allocate(arena, DType.I8, Device.CPU, 2, 4, 8), ws, arena));
            assertTrue(e.getMessage().startsWith("w must be a matrix"), e.getMessage());
            Tensor view = Tensor.allocate(arena, DType.I8, Device.CPU, 4, 128).slice(1, 0, 64);
            e = assertThrows(IllegalArgumentException.class, () -> W8A8.matmulInt32(view, packed, Tensor.allocate(arena, DType.I32, Device.CPU, 4, 32)));
            assertTrue(e.getMessage().startsWith("a must be contiguous"), e.getMessage());
            Tensor readOnly = Tensor.wrap(arena.allocate(4 * 32 * 4).asReadOnly(), DType.I32, 4, 32);
            e = assertThrows(IllegalArgumentException.class, () -> W8A8.matmulInt32(a, packed, readOnly));
            assertEquals("out is read-only but is written to", e.getMessage());
            Tensor aliased = Tensor.wrap(a.segment(), DType.I32, 4, 16);
            Tensor whole = Tensor.wrap(arena.allocate(4 * 32 * 4), DType.I32, 4, 32);
            Tensor aOverOut = Tensor.wrap(whole.segment().asSlice(0, 4 * 64), DType.I8, 4, 64);
            e = assertThrows(IllegalArgumentException.class, () -> W8A8.matmulInt32(aOverOut, packed, whole));
            assertTrue(e.getMessage().startsWith("out overlaps a"), e.getMessage());
            assertThrows(NullPointerException.class, () -> W8A8.matmulInt32(a, null, aliased));
        }
        W8A8.Weights closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = W8A8.prepack(Tensor.allocate(arena, DType.I8, Device.CPU, 16, 16), Tensor.allocate(arena, DType.F32, Device.CPU, 16), arena);
        }
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(IllegalStateException.class,
                    () -> W8A8.matmulInt32(Tensor.allocate(arena, DType.I8, Device.CPU, 1, 16), closed, Tensor.allocate(arena, DType.I32, Device.CPU, 1, 16)));
            assertTrue(e.getMessage().startsWith("w packed is closed"), e.getMessage());
        }
    }

    @Test
    void movedWeightsAreACopyThatGivesTheSameResult() {
        // Weights.to is how prepacked weights reach a GPU (the same bytes); on the CPU it must be an independent copy.
        int m = 5, n = 40, k = 64;
        try (Arena arena = Arena.ofConfined()) {
            Tensor a = int8(arena, randomBytes(1, m * k), m, k), w = int8(arena, randomBytes(2, n * k), n, k);
            Tensor ws = Tensor.of(arena, W4A16Test.gaussian(3, n, 0.01), n, 1), as = Tensor.of(arena, W4A16Test.gaussian(4, m, 0.01), m, 1);
            W8A8.Weights packed = W8A8.prepack(w, ws, arena), moved = packed.to(Device.CPU, arena);
            assertTrue(moved.packed().segment().address() != packed.packed().segment().address());
            Quantized qa = new Quantized(QuantFormat.int8(Granularity.PER_ROW), a, as, null);
            assertArrayEquals(W8A8.matmul(qa, packed, null, DType.F32, arena).toFloatArray(),
                    W8A8.matmul(qa, moved, null, DType.F32, arena).toFloatArray());
            W4A4.Weights w4 = W4A4.prepack(W4A4Test.quantized(arena, W4A4Test.randomNibbles(5, n * k), W4A16Test.gaussian(6, n, 0.01), n, k), arena);
            assertArrayEquals(w4.packed().toByteArray(), w4.to(Device.CPU, arena).packed().toByteArray());
        }
    }

    @Test
    void theCAbiChecksItsArgumentsToo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(4096);
            var e = assertThrows(dev.lowbit.LowbitException.class, () -> dev.lowbit.ffi.Native.w8a8Prepack(-1, buf, 16, 16, buf, 8));
            assertTrue(e.getMessage().contains("needs"), e.getMessage());
            e = assertThrows(dev.lowbit.LowbitException.class, () -> dev.lowbit.ffi.Native.w8a8Gemm(-1, MemorySegment.NULL, buf, MemorySegment.NULL,
                    buf, MemorySegment.NULL, MemorySegment.NULL, buf.asSlice(2048), DType.F32.code(), 1, 16, 16));
            assertTrue(e.getMessage().contains("a_scales and b_scales are needed"), e.getMessage());
            // On a CUDA device the arguments are checked before the device is touched (these are host pointers).
            e = assertThrows(dev.lowbit.LowbitException.class, () -> dev.lowbit.ffi.Native.w8a8Gemm(0, MemorySegment.NULL, buf, buf, buf, buf,
                    MemorySegment.NULL, buf.asSlice(2048), DType.F32.code(), 1, 16, 0));
            assertEquals(dev.lowbit.LowbitException.Status.INVALID_ARGUMENT, e.status());
            if (dev.lowbit.Lowbit.cudaDeviceCount() == 0) {
                e = assertThrows(dev.lowbit.LowbitException.class, () -> dev.lowbit.ffi.Native.w8a8Gemm(0, MemorySegment.NULL, buf, buf, buf, buf,
                        MemorySegment.NULL, buf.asSlice(2048), DType.F32.code(), 1, 16, 16));
                assertEquals(dev.lowbit.LowbitException.Status.NO_CUDA, e.status());
            }
            assertEquals(-1, dev.lowbit.ffi.Native.w8a8PackedBytes(4, 0));
        }
    }
}
