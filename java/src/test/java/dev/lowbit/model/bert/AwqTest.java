package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AwqTest {
    static final QuantFormat FORMAT = QuantFormat.int4(Granularity.group(32)).withScaleDtype(DType.F16);

    /** Calibration inputs with a few channels 8x larger than the rest (like LayerNorm outputs), and their H. */
    static double[] hessian(int rows, int in, SplittableRandom r) {
        double[] h = new double[in * in];
        double[] x = new double[in];
        for (int row = 0; row < rows; row++) {
            for (int i = 0; i < in; i++) x[i] = (i % 29 == 3 ? 8 : 1) * r.nextGaussian();
            for (int i = 0; i < in; i++)
                for (int j = 0; j < in; j++) h[i * in + j] += x[i] * x[j];
        }
        return h;
    }

    @Test
    void scalingCutsTheOutputErrorWhereActivationsHaveOutliers() {
        int out = 32, in = 128;
        SplittableRandom r = new SplittableRandom(4);
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        double[] h = hessian(300, in, r);
        float[] ones = new float[in];
        Arrays.fill(ones, 1f);
        float[] s = Awq.scales(w, out, in, h, FORMAT);
        double plain = Awq.loss(w, out, in, h, FORMAT, ones), scaled = Awq.loss(w, out, in, h, FORMAT, s);
        assertTrue(scaled < 0.8 * plain, "AWQ output error " + scaled + " vs round-to-nearest " + plain);
        // The outlier channels get the larger scales (a finer share of their group's grid).
        assertTrue(s[3] > 1.5 * s[4], "scale of an outlier channel " + s[3] + " vs an ordinary one " + s[4]);
    }

    @Test
    void lossIsZeroForWeightsOnTheGrid() {
        int out = 2, in = 32;
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) w[i] = (i % 15) - 7;  // integers in [-7, 7]: exact with scale 1
        w[0] = -8;
        double[] h = hessian(50, in, new SplittableRandom(1));
        float[] ones = new float[in];
        Arrays.fill(ones, 1f);
        assertEquals(0.0, Awq.loss(w, out, in, h, FORMAT, ones));
    }

    @Test
    void scaledHessianIsTheHessianOfTheScaledInputs() {
        int in = 3;
        double[] h = {4, 2, 1, 2, 9, 3, 1, 3, 16};
        float[] s = {2, 1, 4};
        double[] g = Awq.scaledHessian(h, in, s);
        assertEquals(1.0, g[0]);
        assertEquals(1.0, g[1]);
        assertEquals(1.0 / 8, g[2]);
        assertEquals(1.0, g[8]);
    }
}
