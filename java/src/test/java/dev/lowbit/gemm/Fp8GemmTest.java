package dev.lowbit.gemm;

import dev.lowbit.CpuFeature;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Lowbit;
import dev.lowbit.Tensor;
import dev.lowbit.convert.Convert;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import dev.lowbit.reference.Fp8Reference;
import dev.lowbit.support.Isas;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The FP8 GEMM on every CPU variant against a reference that decodes fp8 exactly and accumulates in double; the
 * tolerance is the f32 summation bound (k + 2)·2⁻²⁴·Σ|a·w|·|scale| plus one f32 rounding of the result.
 */
class Fp8GemmTest {
    static final int[][] SHAPES = {  // m, n, k: odd m and k, n off the 16/32-column blocks, MiniLM-sized layers
        {1, 1, 1}, {1, 16, 2}, {3, 17, 5}, {17, 33, 7}, {33, 50, 100}, {7, 384, 1536}, {13, 1536, 384}, {64, 96, 601}};
    static final int[][] BLOCK_SHAPES = {{1, 128, 128}, {5, 128, 256}, {17, 256, 384}, {33, 384, 200 + 56}};

    enum Layout { TENSOR, ROW, BLOCK }

    /** Random codes over the whole finite range of the format (subnormals, ±0 and the maxima included). */
    static byte[] randomCodes(Fp8Reference f, long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] b = new byte[count];
        for (int i = 0; i < count; ++i) {
            int c;
            do c = r.nextInt(256); while (Double.isNaN(f.decode(c)) || Double.isInfinite(f.decode(c)));
            b[i] = (byte) c;
        }
        return b;
    }

    static float[] randomScales(long seed, int count) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] s = new float[count];
        for (int i = 0; i < count; ++i) s[i] = (float) Math.scalb(0.5 + r.nextDouble(), r.nextInt(-6, 3));
        return s;
    }

    static Granularity granularity(Layout layout, boolean weights) {
        return switch (layout) {
            case TENSOR -> Granularity.PER_TENSOR;
            case ROW -> Granularity.PER_ROW;
            case BLOCK -> weights ? Granularity.block(128, 128) : Granularity.group(128);
        };
    }

    static QuantFormat format(Fp8Reference f, Granularity g) {
        return f == Fp8Reference.E4M3 ? QuantFormat.fp8E4M3(g) : QuantFormat.fp8E5M2(g);
    }

    static DType dtype(Fp8Reference f) {
        return f == Fp8Reference.E4M3 ? DType.FP8_E4M3 : DType.FP8_E5M2;
    }

    /** An fp8 operand [rows, k] with its codes and the scale of element (r, l). */
    record Operand(Fp8Reference f, byte[] codes, float[] scales, Layout layout, int rows, int k, boolean weights) {
        /** Every element decoded, row-major. */
        double[] values() {
            double[] v = new double[codes.length];
            for (int i = 0; i < v.length; i++) v[i] = f.decode(codes[i] & 0xff);
            return v;
        }

        float scale(int r, int l) {
            return switch (layout) {
                case TENSOR -> scales[0];
                case ROW -> scales[r];
                case BLOCK -> scales[(weights ? r / 128 : r) * ((k + 127) / 128) + l / 128];
            };
        }

        Quantized quantized(Arena arena) {
            Tensor q = Tensor.ofBytes(arena, dtype(f), codes, rows, k);
            return new Quantized(format(f, granularity(layout, weights)), q, Tensor.of(arena, scales, scales.length), null);
        }

        static Operand random(Fp8Reference f, Layout layout, int rows, int k, boolean weights, long seed) {
            int count = switch (layout) {
                case TENSOR -> 1;
                case ROW -> rows;
                case BLOCK -> (weights ? rows / 128 : rows) * ((k + 127) / 128);
            };
            return new Operand(f, randomCodes(f, seed, rows * k), randomScales(seed + 1, count), layout, rows, k, weights);
        }
    }

    /** Checks out [m, n] (F32) against the double reference, block by block as lowbit.h orders the scales. */
    static void assertMatches(Operand a, Operand w, float[] bias, float[] out, String what) {
        assertMatches(a, w, bias, out, what, (a.k() + 4) * 0x1p-24);
    }

    /** As above with |error| <= magTol · Σ|a·w|·|scale| (+ one f32 rounding of the result). */
    static void assertMatches(Operand a, Operand w, float[] bias, float[] out, String what, double magTol) {
        int m = a.rows(), n = w.rows(), k = a.k();
        int blockK = a.layout() == Layout.BLOCK ? 128 : k;
        // Decoded once (not per product: the GPU test's 1100 x 2000 x 528 cases took minutes), rows in parallel.
        double[] av = a.values(), wv = w.values();
        java.util.stream.IntStream.range(0, m).parallel().forEach(i -> {
            for (int j = 0; j < n; ++j) {
                double ref = 0, mag = 0;
                for (int l0 = 0; l0 < k; l0 += blockK) {
                    double dot = 0, abs = 0;
                    for (int l = l0; l < Math.min(k, l0 + blockK); ++l) {
                        double p = av[i * k + l] * wv[j * k + l];
                        dot += p;
                        abs += Math.abs(p);
                    }
                    double s = (double) a.scale(i, l0) * w.scale(j, l0);
                    ref += dot * s;
                    mag += abs * Math.abs(s);
                }
                if (bias != null) {
                    ref += bias[j];
                    mag += Math.abs(bias[j]);
                }
                double tol = magTol * mag + Math.abs(ref) * 0x1p-23 + Float.MIN_NORMAL;
                double got = out[i * n + j];
                assertTrue(Math.abs(got - ref) <= tol, what + " element (" + i + ", " + j + "): " + got + " vs " + ref + " (tol " + tol + ")");
            }
        });
    }

    static void check(Fp8Reference fa, Fp8Reference fw, Layout la, Layout lw, int m, int n, int k, String isa) {
        long seed = m * 7919L + n * 31L + k + fa.ordinal() * 3 + fw.ordinal() * 5 + la.ordinal() * 11 + lw.ordinal() * 13;
        Operand a = Operand.random(fa, la, m, k, false, seed), w = Operand.random(fw, lw, n, k, true, seed + 99);
        float[] bias = randomScales(seed + 7, n);
        try (Arena arena = Arena.ofConfined()) {
            Fp8Gemm.Weights packed = Fp8Gemm.prepack(w.quantized(arena), arena);
            Tensor out = Fp8Gemm.matmul(a.quantized(arena), packed, Tensor.of(arena, bias, n), DType.F32, arena);
            assertMatches(a, w, bias, out.toFloatArray(), isa + " " + fa + "x" + fw + " " + la + "x" + lw + " m=" + m + " n=" + n + " k=" + k);
        }
    }

    @Test
    void matchesTheDoubleReferenceOnEveryVariant() {
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                for (int[] s : SHAPES)
                    for (Fp8Reference fa : Fp8Reference.values())
                        for (Fp8Reference fw : Fp8Reference.values())
                            for (Layout la : new Layout[] {Layout.TENSOR, Layout.ROW})
                                for (Layout lw : new Layout[] {Layout.TENSOR, Layout.ROW})
                                    check(fa, fw, la, lw, s[0], s[1], s[2], isa.name());
                for (int[] s : BLOCK_SHAPES)
                    for (Fp8Reference fa : Fp8Reference.values())
                        for (Fp8Reference fw : Fp8Reference.values()) check(fa, fw, Layout.BLOCK, Layout.BLOCK, s[0], s[1], s[2], isa.name());
            });
        }
    }

    @Test
    void halfPrecisionOutputsAreTheRoundedF32Result() {
        int m = 9, n = 40, k = 256;
        Operand a = Operand.random(Fp8Reference.E4M3, Layout.BLOCK, m, k, false, 5), w = Operand.random(Fp8Reference.E4M3, Layout.ROW, n, k, true, 6);
        Operand ab = Operand.random(Fp8Reference.E4M3, Layout.BLOCK, m, k, false, 5), wb = Operand.random(Fp8Reference.E5M2, Layout.BLOCK, 128, k, true, 6);
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                try (Arena arena = Arena.ofConfined()) {
                    Tensor bias = Tensor.of(arena, randomScales(3, n), n);
                    Quantized qa = new Operand(a.f(), a.codes(), new float[] {0.25f}, Layout.TENSOR, m, k, false).quantized(arena);
                    Fp8Gemm.Weights pw = Fp8Gemm.prepack(w.quantized(arena), arena);
                    compareNarrow(qa, pw, bias, arena, isa);
                    Tensor biasB = Tensor.of(arena, randomScales(4, 128), 128);
                    compareNarrow(ab.quantized(arena), Fp8Gemm.prepack(wb.quantized(arena), arena), biasB, arena, isa);
                }
            });
        }
    }

    static void compareNarrow(Quantized a, Fp8Gemm.Weights w, Tensor bias, Arena arena, Isa isa) {
        Tensor f32 = Fp8Gemm.matmul(a, w, bias, DType.F32, arena);
        for (DType t : new DType[] {DType.F16, DType.BF16}) {
            Tensor got = Fp8Gemm.matmul(a, w, bias, t, arena);
            Tensor want = Tensor.allocate(arena, t, Device.CPU, f32.shape());
            Convert.convert(f32, want);
            assertEquals(want.segment().mismatch(got.segment()), -1L, isa + " " + t + " output differs from the rounded F32 output");
        }
    }

    @Test
    void quantizedLayerIsCloseToTheFloatLayer() {
        int m = 24, n = 256, k = 384;
        SplittableRandom r = new SplittableRandom(11);
        float[] x = new float[m * k], wv = new float[n * k];
        for (int i = 0; i < x.length; ++i) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < wv.length; ++i) wv[i] = (float) (r.nextGaussian() * 0.05);
        x[5] = 40f;  // an outlier: per-row / per-block scales keep the other rows precise
        try (Arena arena = Arena.ofConfined()) {
            Tensor xt = Tensor.of(arena, x, m, k), wt = Tensor.of(arena, wv, n, k);
            double[] exact = new double[m * n];
            for (int i = 0; i < m; ++i)
                for (int j = 0; j < n; ++j) {
                    double s = 0;
                    for (int l = 0; l < k; ++l) s += (double) x[i * k + l] * wv[j * k + l];
                    exact[i * n + j] = s;
                }
            Granularity[][] pairs = {{Granularity.PER_ROW, Granularity.PER_ROW}, {Granularity.group(128), Granularity.block(128, 128)},
                {Granularity.PER_TENSOR, Granularity.PER_TENSOR}};
            double[] limits = {0.06, 0.06, 0.08};
            for (int p = 0; p < pairs.length; ++p) {
                Quantized qa = Quantizer.quantize(xt, QuantFormat.fp8E4M3(pairs[p][0]), arena);
                Quantized qw = Quantizer.quantize(wt, QuantFormat.fp8E4M3(pairs[p][1]), arena);
                float[] got = Fp8Gemm.matmul(qa, Fp8Gemm.prepack(qw, arena), null, DType.F32, arena).toFloatArray();
                double err = 0, norm = 0;
                for (int i = 0; i < got.length; ++i) {
                    err += (got[i] - exact[i]) * (got[i] - exact[i]);
                    norm += exact[i] * exact[i];
                }
                double rel = Math.sqrt(err / norm);
                assertTrue(rel < limits[p], pairs[p][0] + " x " + pairs[p][1] + ": relative error " + rel);
                assertTrue(rel > 1e-4, "fp8 rounding must show: relative error " + rel);
            }
        }
    }

    @Test
    void saturatedExtremesMultiplyExactly() {
        // Inputs far beyond ±448 quantized with a fixed scale of 1 saturate to ±448; 448² · k is exact in f32.
        int m = 2, n = 3, k = 64;
        byte[] a = new byte[m * k], w = new byte[n * k];
        java.util.Arrays.fill(a, (byte) 0x7e);  // +448
        java.util.Arrays.fill(w, (byte) 0xfe);  // -448
        try (Arena arena = Arena.ofConfined()) {
            Quantized qa = new Quantized(QuantFormat.fp8E4M3(Granularity.PER_TENSOR), Tensor.ofBytes(arena, DType.FP8_E4M3, a, m, k),
                    Tensor.of(arena, new float[] {1f}, 1), null);
            Quantized qw = new Quantized(QuantFormat.fp8E4M3(Granularity.PER_TENSOR), Tensor.ofBytes(arena, DType.FP8_E4M3, w, n, k),
                    Tensor.of(arena, new float[] {1f}, 1), null);
            for (float v : Fp8Gemm.matmul(qa, Fp8Gemm.prepack(qw, arena), null, DType.F32, arena).toFloatArray())
                assertEquals(-448f * 448f * k, v);
            assertEquals(448.0, Fp8Reference.E4M3.decode(Fp8Reference.E4M3.encode(1e6f, true)));
        }
    }

    @Test
    void nanWeightCodesMakeTheirColumnsNan() {
        // Both NaN codes of each format (E4M3 S.1111.111; E5M2 S.11111.xx, xx != 0), on the decode-sized direct
        // tiles (m <= 4) and the panel path; the AVX2 tile turns E4M3 codes into binary16 that would be finite.
        int n = 40, k = 70;
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                for (Fp8Reference f : Fp8Reference.values()) {
                    int[] nans = f == Fp8Reference.E4M3 ? new int[] {0x7f, 0xff} : new int[] {0x7d, 0xfe};
                    for (int m : new int[] {1, 9}) {
                        try (Arena arena = Arena.ofConfined()) {
                            byte[] a = randomCodes(f, 3, m * k), w = randomCodes(f, 4, n * k);
                            w[5 * k + 11] = (byte) nans[0];
                            w[33 * k + 68] = (byte) nans[1];
                            Quantized qa = new Quantized(format(f, Granularity.PER_TENSOR), Tensor.ofBytes(arena, dtype(f), a, m, k),
                                    Tensor.of(arena, new float[] {1f}, 1), null);
                            Quantized qw = new Quantized(format(f, Granularity.PER_TENSOR), Tensor.ofBytes(arena, dtype(f), w, n, k),
                                    Tensor.of(arena, new float[] {1f}, 1), null);
                            float[] out = Fp8Gemm.matmul(qa, Fp8Gemm.prepack(qw, arena), null, DType.F32, arena).toFloatArray();
                            for (int i = 0; i < m; ++i)
                                for (int j = 0; j < n; ++j)
                                    assertEquals(j == 5 || j == 33, Float.isNaN(out[i * n + j]), isa + " " + f + " m=" + m + " (" + i + ", " + j + "): " + out[i * n + j]);
                        }
                    }
                }
            });
        }
    }

    @Test
    void avx2AndScalarVariantsGiveTheSameBits() {
        // Both compute each k pair as fma(a_odd, b_odd, acc) then fma(a_even, b_even, acc) (bf16_tile.h), the AVX2
        // one on its direct tiles (m <= 4) and panel tile: the same bits, every format mix and scaling.
        assumeTrue(Isas.available().contains(Isa.AVX2));
        for (Fp8Reference fa : Fp8Reference.values())
            for (Fp8Reference fw : Fp8Reference.values())
                for (int m : new int[] {1, 3, 4, 6, 13}) {
                    Layout layout = m == 6 ? Layout.BLOCK : Layout.ROW;
                    int n = 48, k = layout == Layout.BLOCK ? 256 : 261;
                    Operand a = Operand.random(fa, layout, m, k, false, m * 31L), w = Operand.random(fw, layout, m == 6 ? 128 : n, k, true, m * 37L);
                    try (Arena arena = Arena.ofConfined()) {
                        Fp8Gemm.Weights packed = Fp8Gemm.prepack(w.quantized(arena), arena);
                        float[][] out = new float[2][];
                        Isa[] isas = {Isa.SCALAR, Isa.AVX2};
                        for (int v = 0; v < 2; ++v) {
                            int vi = v;
                            Isas.with(isas[v], () -> out[vi] = Fp8Gemm.matmul(a.quantized(arena), packed, null, DType.F32, arena).toFloatArray());
                        }
                        for (int i = 0; i < out[0].length; ++i)
                            assertEquals(Float.floatToRawIntBits(out[0][i]), Float.floatToRawIntBits(out[1][i]),
                                    fa + "x" + fw + " m=" + m + " element " + i + ": scalar " + out[0][i] + ", AVX2 " + out[1][i]);
                    }
                }
    }

    @Test
    void nanAndInfinityPropagateToTheirRowsAndColumns() {
        int m = 4, n = 20, k = 9;
        for (Isa isa : Isas.available()) {
            Isas.with(isa, () -> {
                try (Arena arena = Arena.ofConfined()) {
                    byte[] a = randomCodes(Fp8Reference.E5M2, 1, m * k), w = randomCodes(Fp8Reference.E5M2, 2, n * k);
                    a[1 * k + 4] = (byte) 0x7f;  // NaN in row 1
                    w[17 * k + 2] = (byte) 0x7c;  // +Inf in column 17
                    a[3 * k + 2] = 0;             // row 3 meets the Inf with 0: NaN
                    Quantized qa = new Quantized(QuantFormat.fp8E5M2(Granularity.PER_TENSOR), Tensor.ofBytes(arena, DType.FP8_E5M2, a, m, k),
                            Tensor.of(arena, new float[] {1f}, 1), null);
                    Quantized qw = new Quantized(QuantFormat.fp8E5M2(Granularity.PER_TENSOR), Tensor.ofBytes(arena, DType.FP8_E5M2, w, n, k),
                            Tensor.of(arena, new float[] {1f}, 1), null);
                    float[] out = Fp8Gemm.matmul(qa, Fp8Gemm.prepack(qw, arena), null, DType.F32, arena).toFloatArray();
                    for (int i = 0; i < m; ++i)
                        for (int j = 0; j < n; ++j) {
                            float v = out[i * n + j];
                            if (i == 1 || (i == 3 && j == 17)) assertTrue(Float.isNaN(v), isa + " (" + i + ", " + j + ") should be NaN: " + v);
                            else if (j == 17) assertTrue(Float.isInfinite(v) || Float.isNaN(v), isa + " (" + i + ", " + j + ") meets +Inf: " + v);
                            else assertTrue(Float.isFinite(v), isa + " (" + i + ", " + j + ") should be finite: " + v);
                        }
                }
            });
        }
    }

    @Test
    void peakIsMeasured() {
        double flops = Fp8Gemm.bf16PeakFlopsPerSecond(20);
        // The ISA in use (LOWBIT_ISA may lower it) and AVX512_BF16 (LOWBIT_CPU_FEATURES_OFF may hide it).
        if (Lowbit.isa() == Isa.AVX512 && Lowbit.cpuFeatures().contains(CpuFeature.AVX512_BF16)) assertTrue(flops > 1e9, "bf16 peak " + flops);
        else assertEquals(0.0, flops);
    }

    @Test
    void rejectsBadInput() {
        try (Arena arena = Arena.ofConfined()) {
            Operand wo = Operand.random(Fp8Reference.E4M3, Layout.ROW, 32, 128, true, 1);
            Quantized w = wo.quantized(arena);
            Fp8Gemm.Weights packed = Fp8Gemm.prepack(w, arena);
            Quantized a = Operand.random(Fp8Reference.E4M3, Layout.ROW, 4, 128, false, 2).quantized(arena);
            Tensor out = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 32);

            var e = assertThrows(IllegalArgumentException.class,
                    () -> Fp8Gemm.matmul(Operand.random(Fp8Reference.E4M3, Layout.ROW, 4, 64, false, 3).quantized(arena), packed, null, out));
            assertTrue(e.getMessage().contains("k = 64"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.matmul(a, packed, null, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 31)));
            assertTrue(e.getMessage().contains("out has shape"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.matmul(a, packed, null, Tensor.allocate(arena, DType.I32, Device.CPU, 4, 32)));
            assertTrue(e.getMessage().contains("out"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.matmul(a, packed, Tensor.allocate(arena, DType.F32, Device.CPU, 31), out));
            assertTrue(e.getMessage().contains("bias"), e.getMessage());
            Quantized int8 = Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 4, 128), QuantFormat.int8(Granularity.PER_ROW), arena);
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.matmul(int8, packed, null, out));
            assertTrue(e.getMessage().contains("FP8_E4M3 or FP8_E5M2"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.prepack(int8, arena));
            assertTrue(e.getMessage().contains("FP8_E4M3 or FP8_E5M2"), e.getMessage());
            Quantized f16Scales = Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 4, 128),
                    QuantFormat.fp8E4M3(Granularity.PER_ROW).withScaleDtype(DType.F16), arena);
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.matmul(f16Scales, packed, null, out));
            assertTrue(e.getMessage().contains("scales must be F32"), e.getMessage());
            Quantized grouped = Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 32, 128), QuantFormat.fp8E4M3(Granularity.group(64)), arena);
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.prepack(grouped, arena));
            assertTrue(e.getMessage().contains("per tensor, per row or in 128x128 blocks"), e.getMessage());
            Quantized blockA = Operand.random(Fp8Reference.E4M3, Layout.BLOCK, 4, 256, false, 4).quantized(arena);
            Fp8Gemm.Weights rowW = Fp8Gemm.prepack(Operand.random(Fp8Reference.E4M3, Layout.ROW, 32, 256, true, 5).quantized(arena), arena);
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.matmul(blockA, rowW, null, out));
            assertTrue(e.getMessage().contains("per tensor or per row"), e.getMessage());
            Fp8Gemm.Weights blockW = Fp8Gemm.prepack(Operand.random(Fp8Reference.E4M3, Layout.BLOCK, 128, 256, true, 6).quantized(arena), arena);
            Quantized rowA = Operand.random(Fp8Reference.E4M3, Layout.ROW, 4, 256, false, 7).quantized(arena);
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.matmul(rowA, blockW, null, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 128)));
            assertTrue(e.getMessage().contains("1x128"), e.getMessage());
            Quantized badScales = new Quantized(w.format(), w.q(), Tensor.allocate(arena, DType.F32, Device.CPU, 31), null);
            e = assertThrows(IllegalArgumentException.class, () -> Fp8Gemm.prepack(badScales, arena));
            assertTrue(e.getMessage().contains("w scales"), e.getMessage());
        }
        Arena closed = Arena.ofConfined();
        Quantized gone = Operand.random(Fp8Reference.E4M3, Layout.ROW, 32, 128, true, 1).quantized(closed);
        closed.close();
        try (Arena arena = Arena.ofConfined()) {
            var e = assertThrows(IllegalStateException.class, () -> Fp8Gemm.prepack(gone, arena));
            assertTrue(e.getMessage().contains("closed") || e.getMessage().contains("w"), e.getMessage());
        }
    }
}
