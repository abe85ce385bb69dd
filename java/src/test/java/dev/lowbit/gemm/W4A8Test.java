package dev.lowbit.gemm;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Tensor;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import dev.lowbit.reference.Fp8Reference;
import dev.lowbit.support.Isas;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * W4A8 (FP8 activations x int4 weights) on every CPU variant against a double reference built from the codes
 * (fp8 decoded exactly, (u − zero)·scale per group); tolerance: the f32 summation bound over Σ|s|(u + |z|)|a|.
 */
class W4A8Test {
    /** Checks out [m, n] (F32) against the exact product of the decoded operands. */
    static void assertMatches(Quantized w, Quantized a, Fp8Reference f, float[] bias, float[] out, String what) {
        int groups = (int) w.scales().dim(1), g = (int) w.cols() / groups;
        assertMatches(w, a, f, bias, out, what, (g + groups + 8) * 0x1p-24);
    }

    /** As above with |error| <= magTol · Σ|scale·(u − zero)·x| (+ one f32 rounding of the result). */
    static void assertMatches(Quantized w, Quantized a, Fp8Reference f, float[] bias, float[] out, String what, double magTol) {
        int n = (int) w.rows(), k = (int) w.cols(), m = (int) a.rows();
        int groups = (int) w.scales().dim(1), g = k / groups;
        byte[] q = w.q().segment().toArray(ValueLayout.JAVA_BYTE), codes = a.q().segment().toArray(ValueLayout.JAVA_BYTE);
        float[] as = a.scales().toFloatArray();
        boolean symmetric = w.format().qtype() == DType.I4;
        for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
                double ref = 0, mag = 0;
                for (int gi = 0; gi < groups; ++gi) {
                    double s = W4A16Test.scaleOf(w.scales(), j * groups + gi);
                    double z = symmetric ? 8 : W4A16Test.zeroOf(w, j, gi, groups);
                    for (int l = gi * g; l < gi * g + g; ++l) {
                        int u = (q[j * (k / 2) + l / 2] >> (4 * (l & 1))) & 0xf;
                        if (symmetric) u ^= 8;
                        double x = f.decode(codes[i * k + l] & 0xff);
                        ref += (u - z) * s * x;
                        mag += Math.abs(s) * (u + Math.abs(z)) * Math.abs(x);
                    }
                }
                ref *= as[i];
                mag *= Math.abs(as[i]);
                if (bias != null) {
                    ref += bias[j];
                    mag += Math.abs(bias[j]);
                }
                double tol = magTol * mag + Math.abs(ref) * 0x1p-23 + Float.MIN_NORMAL;
                double got = out[i * n + j];
                assertTrue(Math.abs(got - ref) <= tol, what + " element (" + i + ", " + j + "): " + got + " vs " + ref + " (tol " + tol + ")");
            }
    }

    @Test
    void matchesTheDoubleReferenceOnEveryVariant() {
        int[][] shapes = {{1, 16, 128}, {3, 17, 256}, {17, 40, 384}, {33, 96, 128}, {5, 384, 1536}, {64, 50, 256}};
        for (QuantFormat wf : W4A16Test.FORMATS)
            for (Fp8Reference f : Fp8Reference.values())
                for (int[] s : shapes) {
                    int m = s[0], n = s[1], k = s[2];
                    float[] wv = W4A16Test.gaussian(n * 7L + k, n * k, 0.05), x = W4A16Test.gaussian(m * 13L + k, m * k, 1.0);
                    float[] bias = W4A16Test.gaussian(5, n, 0.1);
                    x[0] = 30f;  // an outlier
                    try (Arena arena = Arena.ofConfined()) {
                        Quantized w = Quantizer.quantize(Tensor.of(arena, wv, n, k), wf, arena);
                        QuantFormat af = f == Fp8Reference.E4M3 ? QuantFormat.fp8E4M3(Granularity.PER_ROW) : QuantFormat.fp8E5M2(Granularity.PER_ROW);
                        Quantized a = Quantizer.quantize(Tensor.of(arena, x, m, k), af, arena);
                        W4A16.Weights packed = W4A16.prepack(w, arena);
                        for (Isa isa : Isas.available()) {
                            Isas.with(isa, () -> {
                                float[] y = W4A8.matmul(a, packed, Tensor.of(arena, bias, n), DType.F32, arena).toFloatArray();
                                assertMatches(w, a, f, bias, y, isa + " " + wf + " x " + f + " m=" + m + " n=" + n + " k=" + k);
                            });
                        }
                    }
                }
    }

    @Test
    void avx2AndScalarVariantsGiveTheSameBits() {
        // The AVX2 direct tile (m <= 4) and panel tile compute each k pair as the scalar one does (Fp8GemmTest).
        assumeTrue(Isas.available().contains(Isa.AVX2));
        int n = 40, k = 256;
        for (QuantFormat wf : List.of(W4A16Test.FORMATS.get(0), W4A16Test.FORMATS.get(3)))
            for (int m : new int[] {1, 4, 7}) {
                float[] wv = W4A16Test.gaussian(n * 3L + m, n * k, 0.05), x = W4A16Test.gaussian(m * 5L, m * k, 1.0);
                try (Arena arena = Arena.ofConfined()) {
                    Quantized a = Quantizer.quantize(Tensor.of(arena, x, m, k), W4A8.activationFormat(), arena);
                    W4A16.Weights packed = W4A16.prepack(Quantizer.quantize(Tensor.of(arena, wv, n, k), wf, arena), arena);
                    float[][] out = new float[2][];
                    Isa[] isas = {Isa.SCALAR, Isa.AVX2};
                    for (int v = 0; v < 2; ++v) {
                        int vi = v;
                        Isas.with(isas[v], () -> out[vi] = W4A8.matmul(a, packed, null, DType.F32, arena).toFloatArray());
                    }
                    for (int i = 0; i < out[0].length; ++i)
                        assertEquals(Float.floatToRawIntBits(out[0][i]), Float.floatToRawIntBits(out[1][i]),
                                wf + " m=" + m + " element " + i + ": scalar " + out[0][i] + ", AVX2 " + out[1][i]);
                }
            }
    }

    @Test
    void closeToTheW4A16ResultOfTheSameWeights() {
        int m = 16, n = 64, k = 384;
        float[] wv = W4A16Test.gaussian(1, n * k, 0.05), x = W4A16Test.gaussian(2, m * k, 1.0);
        try (Arena arena = Arena.ofConfined()) {
            W4A16.Weights packed = W4A16.prepack(Quantizer.quantize(Tensor.of(arena, wv, n, k), QuantFormat.int4(Granularity.group(32)), arena), arena);
            Tensor xt = Tensor.of(arena, x, m, k);
            float[] exact = W4A16.matmul(xt, packed, null, DType.F32, arena).toFloatArray();
            float[] got = W4A8.matmul(Quantizer.quantize(xt, W4A8.activationFormat(), arena), packed, null, DType.F32, arena).toFloatArray();
            double err = 0, norm = 0;
            for (int i = 0; i < got.length; ++i) {
                err += (got[i] - exact[i]) * (got[i] - exact[i]);
                norm += exact[i] * exact[i];
            }
            double rel = Math.sqrt(err / norm);
            assertTrue(rel < 0.05 && rel > 1e-4, "fp8 activations against f32 ones: relative error " + rel);
        }
    }

    @Test
    void rejectsBadInput() {
        try (Arena arena = Arena.ofConfined()) {
            W4A16.Weights packed = W4A16.prepack(Quantizer.quantize(Tensor.of(arena, W4A16Test.gaussian(1, 32 * 128, 1), 32, 128),
                    QuantFormat.int4(Granularity.group(32)), arena), arena);
            Tensor x = Tensor.of(arena, W4A16Test.gaussian(2, 4 * 128, 1), 4, 128);
            Tensor out = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 32);
            Quantized int8 = Quantizer.quantize(x, QuantFormat.int8(Granularity.PER_ROW), arena);
            var e = assertThrows(IllegalArgumentException.class, () -> W4A8.matmul(int8, packed, null, out));
            assertTrue(e.getMessage().contains("FP8_E4M3 or FP8_E5M2"), e.getMessage());
            Quantized grouped = Quantizer.quantize(x, QuantFormat.fp8E4M3(Granularity.group(64)), arena);
            e = assertThrows(IllegalArgumentException.class, () -> W4A8.matmul(grouped, packed, null, out));
            assertTrue(e.getMessage().contains("one F32 scale per row"), e.getMessage());
            Quantized shortK = Quantizer.quantize(Tensor.allocate(arena, DType.F32, Device.CPU, 4, 64), W4A8.activationFormat(), arena);
            e = assertThrows(IllegalArgumentException.class, () -> W4A8.matmul(shortK, packed, null, out));
            assertTrue(e.getMessage().contains("k = 64"), e.getMessage());
            Quantized a = Quantizer.quantize(x, W4A8.activationFormat(), arena);
            e = assertThrows(IllegalArgumentException.class, () -> W4A8.matmul(a, packed, null, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 33)));
            assertTrue(e.getMessage().contains("out has shape"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> W4A8.matmul(a, packed, Tensor.allocate(arena, DType.F32, Device.CPU, 3), out));
            assertTrue(e.getMessage().contains("bias"), e.getMessage());
            Arena gone = Arena.ofConfined();
            W4A16.Weights closed = W4A16.prepack(Quantizer.quantize(Tensor.of(gone, W4A16Test.gaussian(1, 32 * 128, 1), 32, 128),
                    QuantFormat.int4(Granularity.group(32)), gone), gone);
            gone.close();
            assertThrows(IllegalStateException.class, () -> W4A8.matmul(a, closed, null, out));
        }
    }
}
