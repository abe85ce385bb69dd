package dev.lowbit.gemm;

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
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** W4A16 on every CPU variant: bit for bit against a Java emulation of the documented order, and close to the exact product. */
class W4A16Test {
    static final List<QuantFormat> FORMATS = List.of(
            QuantFormat.int4(Granularity.group(32)),
            QuantFormat.int4(Granularity.group(128)).withScaleDtype(DType.BF16),
            QuantFormat.int4(Granularity.PER_ROW).withScaleDtype(DType.F32),
            QuantFormat.uint4(Granularity.group(64)),
            QuantFormat.uint4(Granularity.group(32)).withZeroDtype(DType.F16).withMseClip());

    static float[] gaussian(long seed, int count, double sd) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[count];
        for (int i = 0; i < count; ++i) v[i] = (float) (r.nextGaussian() * sd);
        return v;
    }

    static float scaleOf(Tensor t, int i) {
        return switch (t.dtype()) {
            case F32 -> t.segment().getAtIndex(ValueLayout.JAVA_FLOAT, i);
            case F16 -> FloatFormats.F16.decode(t.segment().getAtIndex(ValueLayout.JAVA_SHORT, i) & 0xffff);
            default -> FloatFormats.BF16.decode(t.segment().getAtIndex(ValueLayout.JAVA_SHORT, i) & 0xffff);
        };
    }

    /** y[i][j] in lowbit.h's order: per group acc = fma(w, x, acc) from 0, y = fma(scale, acc, y), + bias. */
    static float[] emulate(Quantized w, float[] x, int m, float[] bias) {
        int n = (int) w.rows(), k = (int) w.cols();
        int groups = (int) w.scales().dim(1), g = k / groups;
        byte[] q = w.q().segment().toArray(ValueLayout.JAVA_BYTE);
        boolean symmetric = w.format().qtype() == DType.I4;
        float[] y = new float[m * n];
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                float acc2 = 0f;
                for (int gi = 0; gi < groups; ++gi) {
                    float s = scaleOf(w.scales(), j * groups + gi);
                    float z = symmetric ? 8f : zeroOf(w, j, gi, groups);
                    float acc = 0f;
                    for (int l = gi * g; l < gi * g + g; ++l) {
                        int code = (q[j * (k / 2) + l / 2] >> (4 * (l & 1))) & 0xf;
                        if (symmetric) code ^= 8;
                        acc = Math.fma((float) code - z, x[i * k + l], acc);
                    }
                    acc2 = Math.fma(s, acc, acc2);
                }
                y[i * n + j] = bias == null ? acc2 : acc2 + bias[j];
            }
        return y;
    }

    @Test
    void matchesTheDocumentedOrderOnEveryVariant() {
        int[][] shapes = {{1, 16, 128}, {3, 17, 256}, {17, 40, 384}, {33, 96, 128}, {5, 384, 1536}};
        for (QuantFormat f : FORMATS) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                float[] wf = gaussian(n * 7L + k, n * k, 0.05), x = gaussian(m * 13L + k, m * k, 1.0), bias = gaussian(5, n, 0.1);
                try (Arena arena = Arena.ofConfined()) {
                    Quantized w = Quantizer.quantize(Tensor.of(arena, wf, n, k), f, arena);
                    W4A16.Weights packed = W4A16.prepack(w, arena);
                    float[] expect = emulate(w, x, m, bias);
                    for (Isa isa : Isas.available()) {
                        Isas.with(isa, () -> {
                            float[] y = W4A16.matmul(Tensor.of(arena, x, m, k), packed, Tensor.of(arena, bias, n), DType.F32, arena).toFloatArray();
                            for (int i = 0; i < expect.length; ++i) {
                                assertEquals(expect[i], y[i], isa + " " + f + " m=" + m + " n=" + n + " k=" + k + " element " + i);
                            }
                        });
                    }
                }
            }
        }
    }

    /** LB_W4A16_INT8_ACTIVATIONS in lowbit.h's order, with x quantized by Quantizer (int8, group 32, F32 scales). */
    static float[] emulateInt8(Quantized w, Quantized xq, int m, float[] bias) {
        int n = (int) w.rows(), k = (int) w.cols();
        int groups = (int) w.scales().dim(1), g = k / groups;
        byte[] q = w.q().segment().toArray(ValueLayout.JAVA_BYTE), x8 = xq.q().segment().toArray(ValueLayout.JAVA_BYTE);
        float[] sx = xq.scales().toFloatArray();
        boolean symmetric = w.format().qtype() == DType.I4;
        float[] y = new float[m * n];
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                float acc = 0f;
                for (int blk = 0; blk < k / 32; ++blk) {
                    int gi = blk * 32 / g;
                    float s = scaleOf(w.scales(), j * groups + gi);
                    float z = symmetric ? 8f : zeroOf(w, j, gi, groups);
                    int d = 0, sum = 0;
                    for (int l = blk * 32; l < blk * 32 + 32; ++l) {
                        int code = (q[j * (k / 2) + l / 2] >> (4 * (l & 1))) & 0xf;
                        if (symmetric) code ^= 8;
                        d += code * x8[i * k + l];
                        sum += x8[i * k + l];
                    }
                    float v = Math.fma(-z, (float) sum, (float) d);
                    acc = Math.fma(s * sx[i * (k / 32) + blk], v, acc);
                }
                y[i * n + j] = bias == null ? acc : acc + bias[j];
            }
        return y;
    }

    /** The zero point of row j, group gi: F16, or U4 packed along the grid row (rows padded to whole bytes). */
    static float zeroOf(Quantized w, int j, int gi, int groups) {
        if (w.zeros().dtype() == DType.F16) return FloatFormats.F16.decode(w.zeros().segment().getAtIndex(ValueLayout.JAVA_SHORT, (long) j * groups + gi) & 0xffff);
        int zc = (int) w.zeros().dim(1);
        int b = w.zeros().segment().get(ValueLayout.JAVA_BYTE, (long) j * (zc / 2) + gi / 2) & 0xff;
        return (gi & 1) == 0 ? (b & 0xf) : (b >> 4);
    }

    @Test
    void int8ActivationsMatchTheDocumentedOrderOnEveryVariant() {
        // m = 1 with 3 and 65 column blocks: the decode path walks a chunk's blocks as two halves side by side, plus
        // the odd one; 65 blocks make several chunks on two threads.
        int[][] shapes = {{1, 16, 128}, {1, 48, 256}, {1, 1040, 512}, {3, 17, 256}, {5, 384, 1536}};
        for (QuantFormat f : List.of(FORMATS.get(0), FORMATS.get(1), FORMATS.get(3), FORMATS.get(4))) {
            for (int[] s : shapes) {
                int m = s[0], n = s[1], k = s[2];
                float[] wf = gaussian(n * 5L + k, n * k, 0.05), x = gaussian(m * 3L + k, m * k, 1.0), bias = gaussian(6, n, 0.1);
                try (Arena arena = Arena.ofConfined()) {
                    Quantized w = Quantizer.quantize(Tensor.of(arena, wf, n, k), f, arena);
                    Quantized xq = Quantizer.quantize(Tensor.of(arena, x, m, k), QuantFormat.int8(Granularity.group(32)), arena);
                    W4A16.Weights packed = W4A16.prepack(w, arena);
                    float[] expect = emulateInt8(w, xq, m, bias);
                    float[] exact = emulate(w, x, m, bias);
                    for (Isa isa : Isas.available()) {
                        Isas.with(isa, () -> {
                            Tensor y = Tensor.allocate(arena, DType.F32, Device.CPU, m, n);
                            W4A16.matmul(Tensor.of(arena, x, m, k), packed, Tensor.of(arena, bias, n), y, W4A16.Activations.INT8);
                            float[] got = y.toFloatArray();
                            for (int i = 0; i < expect.length; ++i) {
                                assertEquals(expect[i], got[i], isa + " " + f + " m=" + m + " n=" + n + " k=" + k + " element " + i);
                                assertEquals(exact[i], got[i], 0.05 * (1 + Math.abs(exact[i])), "int8 activations stay close to the exact path");
                            }
                        });
                    }
                }
            }
        }
    }

    @Test
    void int8ActivationsAtTheCodeExtremesStayExact() {
        // Every code 15 (or 0) and every activation code +-127: the largest block sums the kernels form (the AVX2 one
        // adds 8 pair products a 16-bit lane: 30480 at most), equal to the int32 emulation on every variant.
        int n = 32, k = 256;
        for (QuantFormat f : List.of(FORMATS.get(0), FORMATS.get(3))) {
            for (float sign : new float[] {1f, -1f}) {
                float[] wf = new float[n * k], x = new float[2 * k];
                for (int j = 0; j < n; ++j)
                    for (int l = 0; l < k; ++l) wf[j * k + l] = (j & 1) == 0 ? 1f : -1f;  // U4: codes 15 / 0; I4: 7 / -8
                java.util.Arrays.fill(x, sign);
                try (Arena arena = Arena.ofConfined()) {
                    Quantized w = Quantizer.quantize(Tensor.of(arena, wf, n, k), f, arena);
                    Quantized xq = Quantizer.quantize(Tensor.of(arena, x, 2, k), QuantFormat.int8(Granularity.group(32)), arena);
                    W4A16.Weights packed = W4A16.prepack(w, arena);
                    float[] expect = emulateInt8(w, xq, 2, null);
                    for (Isa isa : Isas.available()) {
                        Isas.with(isa, () -> {
                            for (int m = 1; m <= 2; ++m) {
                                Tensor y = Tensor.allocate(arena, DType.F32, Device.CPU, m, n);
                                W4A16.matmul(Tensor.of(arena, java.util.Arrays.copyOf(x, m * k), m, k), packed, null, y, W4A16.Activations.INT8);
                                float[] got = y.toFloatArray();
                                for (int i = 0; i < m * n; ++i) assertEquals(expect[i], got[i], isa + " " + f + " sign " + sign + " m=" + m + " element " + i);
                            }
                        });
                    }
                }
            }
        }
    }

    @Test
    void int8ActivationsRejectNanAndSmallGroups() {
        try (Arena arena = Arena.ofConfined()) {
            Quantized w = Quantizer.quantize(Tensor.of(arena, gaussian(1, 16 * 64, 0.1), 16, 64), QuantFormat.int4(Granularity.group(32)), arena);
            W4A16.Weights packed = W4A16.prepack(w, arena);
            float[] x = new float[64];
            x[40] = Float.NaN;
            var e = assertThrows(dev.lowbit.LowbitException.class,
                    () -> W4A16.matmul(Tensor.of(arena, x, 1, 64), packed, null, Tensor.allocate(arena, DType.F32, Device.CPU, 1, 16), W4A16.Activations.INT8));
            assertEquals("lb_w4a16_gemm: x has NaN or Inf in block (0, 1) (rows 0..0, columns 32..63)", e.getMessage());
            Quantized w16 = Quantizer.quantize(Tensor.of(arena, gaussian(1, 16 * 64, 0.1), 16, 64), QuantFormat.int4(Granularity.group(16)), arena);
            W4A16.Weights p16 = W4A16.prepack(w16, arena);
            var e2 = assertThrows(IllegalArgumentException.class,
                    () -> W4A16.matmul(Tensor.allocate(arena, DType.F32, Device.CPU, 1, 64), p16, null, Tensor.allocate(arena, DType.F32, Device.CPU, 1, 16), W4A16.Activations.INT8));
            assertTrue(e2.getMessage().contains("multiple of 32"), e2.getMessage());
        }
    }

    @Test
    void halfPrecisionActivationsAndOutputs() {
        int m = 4, n = 48, k = 256;
        float[] wf = gaussian(1, n * k, 0.05), x = gaussian(2, m * k, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            Quantized w = Quantizer.quantize(Tensor.of(arena, wf, n, k), QuantFormat.int4(Granularity.group(64)), arena);
            W4A16.Weights packed = W4A16.prepack(w, arena);
            for (DType in : new DType[] {DType.F16, DType.BF16}) {
                Tensor xt = Tensor.allocate(arena, in, Device.CPU, m, k);
                Convert.convert(Tensor.of(arena, x, m, k), xt);
                Tensor xw = Tensor.allocate(arena, DType.F32, Device.CPU, m, k);
                Convert.convert(xt, xw);
                float[] expect = emulate(w, xw.toFloatArray(), m, null);
                for (DType out : new DType[] {DType.F32, DType.BF16}) {
                    Tensor y = W4A16.matmul(xt, packed, null, out, arena);
                    Tensor y32 = Tensor.allocate(arena, DType.F32, Device.CPU, m, n);
                    Convert.convert(y, y32);
                    float[] got = y32.toFloatArray();
                    for (int i = 0; i < expect.length; ++i) {
                        float e = out == DType.BF16 ? FloatFormats.BF16.decode(FloatFormats.BF16.encode(expect[i])) : expect[i];
                        assertEquals(e, got[i], in + " -> " + out + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void closeToTheDequantizedProduct() {
        int m = 2, n = 64, k = 512;
        float[] wf = gaussian(3, n * k, 0.05), x = gaussian(4, m * k, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            Quantized w = Quantizer.quantize(Tensor.of(arena, wf, n, k), QuantFormat.uint4(Granularity.group(128)), arena);
            float[] deq = Quantizer.dequantize(w, DType.F32, arena).toFloatArray();
            float[] y = W4A16.matmul(Tensor.of(arena, x, m, k), W4A16.prepack(w, arena), null, DType.F32, arena).toFloatArray();
            for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                    double exact = 0, norm = 0;
                    for (int l = 0; l < k; ++l) {
                        exact += (double) x[i * k + l] * deq[j * k + l];
                        norm += Math.abs((double) x[i * k + l] * deq[j * k + l]);
                    }
                    assertEquals(exact, y[i * n + j], 1e-5 * norm + 1e-6, "[" + i + "][" + j + "]");
                }
        }
    }

    @Test
    void rejectsBadInput() {
        try (Arena arena = Arena.ofConfined()) {
            Quantized w = Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 32, 64), QuantFormat.int4(Granularity.group(32)), arena);
            W4A16.Weights packed = W4A16.prepack(w, arena);
            var e = assertThrows(IllegalArgumentException.class,
                    () -> W4A16.matmul(Tensor.allocate(arena, DType.F32, Device.CPU, 2, 48), packed, null, DType.F32, arena));
            assertEquals("x has shape [2, 48], expected [m, 64]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> W4A16.matmul(Tensor.allocate(arena, DType.I8, Device.CPU, 2, 64), packed, null, DType.F32, arena));
            assertTrue(e.getMessage().startsWith("x has dtype I8"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> W4A16.matmul(Tensor.allocate(arena, DType.F32, Device.CPU, 2, 64), packed, null, Tensor.allocate(arena, DType.F32, Device.CPU, 2, 31)));
            assertEquals("y has shape [2, 31], expected [2, 32]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> W4A16.matmul(Tensor.allocate(arena, DType.F32, Device.CPU, 2, 64), packed, Tensor.allocate(arena, DType.F32, Device.CPU, 33), DType.F32, arena));
            assertEquals("bias has shape [33], expected [32]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> W4A16.prepack(Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 32, 64), QuantFormat.int8(Granularity.PER_ROW), arena), arena));
            assertEquals("W4A16 weights must be I4 or U4, got I8", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> W4A16.prepack(Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 32, 64), QuantFormat.int4(Granularity.PER_TENSOR), arena), arena));
            assertTrue(e.getMessage().startsWith("W4A16 weight groups must lie along k"), e.getMessage());
            Tensor readOnly = Tensor.wrap(arena.allocate(2 * 32 * 4).asReadOnly(), DType.F32, 2, 32);
            e = assertThrows(IllegalArgumentException.class, () -> W4A16.matmul(Tensor.allocate(arena, DType.F32, Device.CPU, 2, 64), packed, null, readOnly));
            assertEquals("y is read-only but is written to", e.getMessage());
            Tensor both = Tensor.allocate(arena, DType.F32, Device.CPU, 2, 64);
            e = assertThrows(IllegalArgumentException.class,
                    () -> W4A16.matmul(both, packed, null, Tensor.wrap(both.segment().asSlice(0, 2 * 32 * 4), DType.F32, 2, 32)));
            assertTrue(e.getMessage().startsWith("y overlaps x"), e.getMessage());
        }
        W4A16.Weights closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = W4A16.prepack(Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 16, 32), QuantFormat.int4(Granularity.group(32)), arena), arena);
        }
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(IllegalStateException.class,
                    () -> W4A16.matmul(Tensor.allocate(arena, DType.F32, Device.CPU, 1, 32), closed, null, DType.F32, arena));
            assertTrue(e.getMessage().startsWith("w packed is closed"), e.getMessage());
        }
        assertEquals(-1, dev.lowbit.ffi.Native.w4a16PackedBytes(4, 64, 3));
    }

    @Test
    void theCAbiChecksItsArgumentsToo() {
        try (Arena arena = Arena.ofConfined()) {
            java.lang.foreign.MemorySegment buf = arena.allocate(1 << 16), none = java.lang.foreign.MemorySegment.NULL;
            var e = assertThrows(dev.lowbit.LowbitException.class, () -> dev.lowbit.ffi.Native.w4a16Gemm(-1, none, buf, DType.F32.code(),
                    buf.asSlice(8192), none, buf.asSlice(32768), DType.F32.code(), 1, 16, 64, 32, 2));
            assertEquals("lb_w4a16_gemm: unknown flags 0x2", e.getMessage());
            e = assertThrows(dev.lowbit.LowbitException.class, () -> dev.lowbit.ffi.Native.w4a16Gemm(-1, none, buf, DType.F32.code(),
                    buf.asSlice(8192), none, buf.asSlice(32768), DType.F32.code(), 1, 16, 64, 16, dev.lowbit.ffi.Native.W4A16_INT8_ACTIVATIONS));
            assertTrue(e.getMessage().contains("multiple of 32"), e.getMessage());
            e = assertThrows(dev.lowbit.LowbitException.class, () -> dev.lowbit.ffi.Native.w4a16Gemm(-1, none, buf, DType.F32.code(),
                    buf.asSlice(8192), none, buf.asSlice(32768), DType.F32.code(), 1, 16, 63, 32, 0));
            assertTrue(e.getMessage().contains("k > 0 and even"), e.getMessage());
            // CUDA has no int8-activation path; said before the device is touched (these are host pointers).
            e = assertThrows(dev.lowbit.LowbitException.class, () -> dev.lowbit.ffi.Native.w4a16Gemm(0, none, buf, DType.F32.code(),
                    buf.asSlice(8192), none, buf.asSlice(32768), DType.F32.code(), 1, 16, 64, 32, dev.lowbit.ffi.Native.W4A16_INT8_ACTIVATIONS));
            assertEquals(dev.lowbit.LowbitException.Status.UNSUPPORTED, e.status());
            assertTrue(e.getMessage().contains("CPU decode path"), e.getMessage());
        }
    }
}
