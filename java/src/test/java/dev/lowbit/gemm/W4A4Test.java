package dev.lowbit.gemm;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Tensor;
import dev.lowbit.convert.Convert;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.hadamard.HadamardOptions;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import dev.lowbit.support.Isas;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** W4A4 on every CPU variant: int32 accumulators equal a plain-Java int64 reference exactly; the epilogue bit for bit. */
class W4A4Test {
    static final int[][] SHAPES = {  // m, n, k (k even): odd m, smallest sizes, n off the 16/32-column blocks, k off quads
        {1, 1, 2}, {1, 16, 4}, {3, 17, 6}, {17, 33, 10}, {33, 50, 100}, {7, 384, 1536}, {13, 1536, 384}, {64, 96, 130}, {100, 40, 2050}};

    /** I4 codes, two per byte, low nibble first. */
    static byte[] randomNibbles(long seed, int count) {
        return W8A8Test.randomBytes(seed, count / 2);
    }

    static int code(byte[] packed, int index) {
        int v = (packed[index / 2] >> (4 * (index % 2))) & 0xf;
        return (v ^ 8) - 8;
    }

    static long[] reference(byte[] a, byte[] w, int m, int n, int k) {
        long[] out = new long[m * n];
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                long s = 0;
                for (int l = 0; l < k; ++l) s += (long) code(a, i * k + l) * code(w, j * k + l);
                out[i * n + j] = s;
            }
        return out;
    }

    static Tensor int4(Arena arena, byte[] v, long rows, long cols) {
        return Tensor.ofBytes(arena, DType.I4, v, rows, cols);
    }

    static Quantized quantized(Arena arena, byte[] codes, float[] scales, int rows, int k) {
        return new Quantized(W4A4.FORMAT, int4(arena, codes, rows, k), Tensor.of(arena, scales, rows, 1), null);
    }

    @Test
    void accumulatorsAreExactOnEveryVariant() {
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                for (int[] s : SHAPES) {
                    int m = s[0], n = s[1], k = s[2];
                    byte[] a = randomNibbles(m * 7919L + k, m * k), w = randomNibbles(n * 31L + k, n * k);
                    try (Arena arena = Arena.ofConfined()) {
                        W4A4.Weights packed = W4A4.prepack(quantized(arena, w, new float[n], n, k), arena);
                        Tensor out = Tensor.allocate(arena, DType.I32, Device.CPU, m, n);
                        W4A4.matmulInt32(int4(arena, a, m, k), packed, out);
                        long[] ref = reference(a, w, m, n, k);
                        int[] got = W8A8Test.int32(out);
                        for (int i = 0; i < ref.length; ++i) assertEquals(ref[i], got[i], isa + " m=" + m + " n=" + n + " k=" + k + " element " + i);
                    }
                }
            });
        }
    }

    @Test
    void extremesAtTheLargestKOnEveryVariant() {
        // AVX2's W4A4 tile sums (a + 8) * w in int16 lanes for 127 quads at a time: a = 7 against w = -8 is its
        // largest pair sum (-240 a quad); k = 65536 also puts the int32 sums near their range.
        int m = 2, n = 3, k = 65536;
        byte[] a = new byte[m * k / 2], w = new byte[n * k / 2];
        java.util.Arrays.fill(a, 0, k / 2, (byte) 0x88);      // row 0: -8 everywhere
        java.util.Arrays.fill(a, k / 2, k, (byte) 0x77);      // row 1: 7
        java.util.Arrays.fill(w, 0, k / 2, (byte) 0x88);      // column 0: -8
        java.util.Arrays.fill(w, k / 2, k, (byte) 0x77);      // column 1: 7 (column 2: 0)
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                try (Arena arena = Arena.ofConfined()) {
                    W4A4.Weights packed = W4A4.prepack(quantized(arena, w, new float[n], n, k), arena);
                    Tensor out = Tensor.allocate(arena, DType.I32, Device.CPU, m, n);
                    W4A4.matmulInt32(int4(arena, a, m, k), packed, out);
                    assertArrayEquals(new int[] {64 * k, -56 * k, 0, -56 * k, 49 * k, 0}, W8A8Test.int32(out), isa.toString());
                }
            });
        }
    }

    @Test
    void epilogueIsW8A8sBitForBit() {
        int m = 9, n = 40, k = 78;
        byte[] a = randomNibbles(1, m * k), w = randomNibbles(2, n * k);
        SplittableRandom r = new SplittableRandom(3);
        float[] sa = new float[m], sw = new float[n], bias = new float[n];
        for (int i = 0; i < m; ++i) sa[i] = (float) r.nextDouble(1e-3, 1e-1);
        for (int j = 0; j < n; ++j) {
            sw[j] = (float) r.nextDouble(1e-3, 1e-1);
            bias[j] = (float) r.nextGaussian();
        }
        long[] acc = reference(a, w, m, n, k);
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                try (Arena arena = Arena.ofConfined()) {
                    W4A4.Weights packed = W4A4.prepack(quantized(arena, w, sw, n, k), arena);
                    Quantized qa = quantized(arena, a, sa, m, k);
                    float[] got = W4A4.matmul(qa, packed, Tensor.of(arena, bias, n), DType.F32, arena).toFloatArray();
                    for (int i = 0; i < m; ++i)
                        for (int j = 0; j < n; ++j)
                            assertEquals(((float) acc[i * n + j] * sa[i]) * sw[j] + bias[j], got[i * n + j], isa + " [" + i + "][" + j + "]");
                    Tensor f32 = Tensor.of(arena, got, m, n);
                    for (DType t : new DType[] {DType.F16, DType.BF16}) {
                        Tensor want = Tensor.allocate(arena, t, Device.CPU, m, n);
                        Convert.convert(f32, want);
                        assertEquals(-1L, want.segment().mismatch(W4A4.matmul(qa, packed, Tensor.of(arena, bias, n), t, arena).segment()), isa + " " + t);
                    }
                }
            });
        }
    }

    /** QuaRot's point: with outlier channels, 4-bit activations only work after a Hadamard rotation. */
    @Test
    void rotationRescuesFourBitActivationsFromOutliers() {
        int m = 16, n = 128, k = 384;
        SplittableRandom r = new SplittableRandom(9);
        float[] x = new float[m * k], w = new float[n * k];
        for (int i = 0; i < x.length; ++i) x[i] = (float) r.nextGaussian() * ((i % k) % 97 == 5 ? 30f : 1f);  // outlier channels
        for (int i = 0; i < w.length; ++i) w[i] = (float) r.nextGaussian() * 0.05f;
        double[] exact = new double[m * n];
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                double s = 0;
                for (int l = 0; l < k; ++l) s += (double) x[i * k + l] * w[j * k + l];
                exact[i * n + j] = s;
            }
        HadamardOptions rot = HadamardOptions.randomized(7);
        try (Arena arena = Arena.ofConfined()) {
            Tensor xt = Tensor.of(arena, x, m, k), wt = Tensor.of(arena, w, n, k);
            float[] plain = W4A4.matmul(Quantizer.quantize(xt, W4A4.FORMAT, arena), W4A4.prepack(Quantizer.quantize(wt, W4A4.FORMAT, arena), arena),
                    null, DType.F32, arena).toFloatArray();
            Tensor wr = Tensor.of(arena, w, n, k);
            Hadamard.rotateWeights(wr, rot);
            float[] rotated = W4A4.matmul(Hadamard.rotateQuantize(xt, rot, W4A4.FORMAT, arena),
                    W4A4.prepack(Quantizer.quantize(wr, W4A4.FORMAT, arena), arena), null, DType.F32, arena).toFloatArray();
            double ePlain = relativeError(plain, exact), eRot = relativeError(rotated, exact);
            assertTrue(eRot < 0.25, "rotated W4A4 relative error " + eRot);
            assertTrue(eRot < 0.6 * ePlain, "rotation should cut the error: " + eRot + " vs " + ePlain + " without");
        }
    }

    static double relativeError(float[] got, double[] exact) {
        double err = 0, norm = 0;
        for (int i = 0; i < got.length; ++i) {
            err += (got[i] - exact[i]) * (got[i] - exact[i]);
            norm += exact[i] * exact[i];
        }
        return Math.sqrt(err / norm);
    }

    @Test
    void rejectsBadInput() {
        try (Arena arena = Arena.ofConfined()) {
            W4A4.Weights packed = W4A4.prepack(quantized(arena, randomNibbles(1, 32 * 64), new float[32], 32, 64), arena);
            Quantized a = quantized(arena, randomNibbles(2, 4 * 64), new float[4], 4, 64);
            Tensor out = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 32);
            var e = assertThrows(IllegalArgumentException.class, () -> W4A4.matmul(quantized(arena, randomNibbles(3, 4 * 32), new float[4], 4, 32), packed, null, out));
            assertTrue(e.getMessage().contains("k = 32"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W4A4.matmul(a, packed, null, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 31)));
            assertTrue(e.getMessage().contains("out has shape"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W4A4.matmul(a, packed, null, Tensor.allocate(arena, DType.I32, Device.CPU, 4, 32)));
            assertTrue(e.getMessage().contains("out"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W4A4.matmulInt32(a.q(), packed, out));
            assertTrue(e.getMessage().contains("out"), e.getMessage());
            Quantized grouped = Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 4, 64), QuantFormat.int4(Granularity.group(32)), arena);
            e = assertThrows(IllegalArgumentException.class, () -> W4A4.matmul(grouped, packed, null, out));
            assertTrue(e.getMessage().contains("W4A4.FORMAT"), e.getMessage());
            Quantized int8 = Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 32, 64), QuantFormat.int8(Granularity.PER_ROW), arena);
            e = assertThrows(IllegalArgumentException.class, () -> W4A4.prepack(int8, arena));
            assertTrue(e.getMessage().contains("I4"), e.getMessage());
            Quantized badScales = new Quantized(W4A4.FORMAT, a.q(), Tensor.allocate(arena, DType.F32, Device.CPU, 3), null);
            e = assertThrows(IllegalArgumentException.class, () -> W4A4.matmul(badScales, packed, null, out));
            assertTrue(e.getMessage().contains("a scales"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W4A4.matmul(a, packed, Tensor.allocate(arena, DType.F32, Device.CPU, 5), out));
            assertTrue(e.getMessage().contains("bias"), e.getMessage());
        }
        Arena gone = Arena.ofConfined();
        Quantized w = quantized(gone, randomNibbles(1, 32 * 64), new float[32], 32, 64);
        gone.close();
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(IllegalStateException.class, () -> W4A4.prepack(w, arena));
        }
    }
}
