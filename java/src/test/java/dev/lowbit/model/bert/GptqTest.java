package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Tensor;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GptqTest {
    /** ‖X Wᵀ − X Ŵᵀ‖² with Ŵ lowbit's own dequantization of q (so the codes and scales are in lowbit's layout). */
    static double outputError(float[] x, int rows, float[] w, Quantized q, int out, int in, Arena arena) {
        float[] wq = Quantizer.dequantize(q, DType.F32, arena).toFloatArray();
        double e = 0;
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < out; o++) {
                double a = 0, b = 0;
                for (int i = 0; i < in; i++) {
                    a += (double) x[r * in + i] * w[o * in + i];
                    b += (double) x[r * in + i] * wq[o * in + i];
                }
                e += (a - b) * (a - b);
            }
        return e;
    }

    @Test
    void beatsRoundToNearestOnItsCalibrationInputs() {
        int out = 24, in = 128, rows = 400, group = 32;
        SplittableRandom r = new SplittableRandom(9);
        float[] w = new float[out * in], x = new float[rows * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        // Correlated inputs with a few large channels, like transformer activations.
        for (int row = 0; row < rows; row++) {
            double common = r.nextGaussian();
            for (int i = 0; i < in; i++) x[row * in + i] = (float) ((i % 17 == 0 ? 8 : 1) * (0.7 * common + r.nextGaussian()));
        }
        double[] h = new double[in * in];
        for (int row = 0; row < rows; row++)
            for (int i = 0; i < in; i++)
                for (int j = 0; j < in; j++) h[i * in + j] += (double) x[row * in + i] * x[row * in + j];
        try (Arena arena = Arena.ofConfined()) {
            Quantized gptq = Gptq.quantize(w, out, in, h, group, arena);
            Quantized rtn = Quantizer.quantize(Tensor.of(arena, w, out, in), QuantFormat.int4(Granularity.group(group)).withScaleDtype(DType.F16), arena);
            double eg = outputError(x, rows, w, gptq, out, in, arena), er = outputError(x, rows, w, rtn, out, in, arena);
            assertTrue(eg < 0.8 * er, "GPTQ output error " + eg + " vs round-to-nearest " + er);
            assertEquals(rtn.format(), gptq.format());
        }
    }

    @Test
    void choleskyAndTheInverseFactor() {
        int n = 5;
        double[] a = new double[n * n];
        SplittableRandom r = new SplittableRandom(2);
        double[] m = new double[n * n];
        for (int i = 0; i < m.length; i++) m[i] = r.nextGaussian();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                for (int k = 0; k < n; k++) a[i * n + j] += m[i * n + k] * m[j * n + k];
                if (i == j) a[i * n + j] += 1;
            }
        double[] u = Gptq.inverseHessianFactor(a, n);
        // Uᵀ U = (A + damp I)⁻¹, so (A + damp I) Uᵀ U = I.
        double mean = 0;
        for (int i = 0; i < n; i++) mean += a[i * n + i];
        double damp = 0.01 * mean / n;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    double utu = 0;
                    for (int l = 0; l < n; l++) utu += u[l * n + k] * u[l * n + j];
                    s += (a[i * n + k] + (i == k ? damp : 0)) * utu;
                }
                assertEquals(i == j ? 1 : 0, s, 1e-9);
            }
        assertThrows(IllegalStateException.class, () -> Gptq.cholesky(new double[] {1, 2, 2, 1}, 2));
    }
}
