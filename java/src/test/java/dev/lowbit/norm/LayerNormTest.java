package dev.lowbit.norm;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Isa;
import dev.lowbit.Tensor;
import dev.lowbit.support.Isas;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** lb_layer_norm against a double-precision reference; identical bits on every ISA. */
class LayerNormTest {
    static double[] reference(float[] x, float[] residual, float[] gamma, float[] beta, double eps, int cols) {
        double[] out = new double[x.length];
        for (int r = 0; r < x.length / cols; r++) {
            double[] s = new double[cols];
            double mean = 0, var = 0;
            for (int j = 0; j < cols; j++) mean += s[j] = (double) x[r * cols + j] + (residual == null ? 0 : residual[r * cols + j]);
            mean /= cols;
            for (int j = 0; j < cols; j++) var += (s[j] - mean) * (s[j] - mean);
            var /= cols;
            for (int j = 0; j < cols; j++) out[r * cols + j] = (s[j] - mean) / Math.sqrt(var + eps) * gamma[j] + (beta == null ? 0 : beta[j]);
        }
        return out;
    }

    private static float[] random(SplittableRandom r, int n, double offset, double spread) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (offset + r.nextGaussian() * spread);
        return v;
    }

    @Test
    void equalsReferenceAndIsaIndependent() {
        SplittableRandom r = new SplittableRandom(7);
        // MiniLM's 384, widths off the 16-lane blocks, one column, and a large mean against a small spread.
        int[][] shapes = {{37, 384}, {5, 17}, {3, 1}, {200, 33}, {2, 1000}};
        for (int[] shape : shapes) {
            int rows = shape[0], cols = shape[1];
            for (double offset : new double[] {0, 1000}) {
                float[] x = random(r, rows * cols, offset, 2), res = random(r, rows * cols, 0, 0.5), gamma = random(r, cols, 1, 0.2),
                        beta = random(r, cols, 0, 0.1);
                for (boolean withResidual : new boolean[] {false, true})
                    for (boolean withBeta : new boolean[] {false, true}) {
                        float[] rr = withResidual ? res : null, bb = withBeta ? beta : null;
                        double[] want = reference(x, rr, gamma, bb, 1e-12, cols);
                        float[] first = null;
                        for (Isa isa : Isas.available()) {
                            float[][] got = new float[1][];
                            Isas.with(isa, () -> got[0] = run(x, rr, gamma, bb, 1e-12f, rows, cols, false));
                            // float sums over 16 lanes: a few ulps of the normalised value, more when the mean dwarfs the spread
                            double tol = offset == 0 ? 2e-5 : 2e-3;
                            for (int i = 0; i < want.length; i++)
                                assertEquals(want[i], got[0][i], tol * (1 + Math.abs(want[i])), isa + " " + rows + "x" + cols + " offset " + offset + " at " + i);
                            if (first == null) first = got[0];
                            else assertArrayEquals(first, got[0], isa + " differs from scalar in some bit");
                        }
                        assertArrayEquals(first, run(x, rr, gamma, bb, 1e-12f, rows, cols, true), "in place differs");
                    }
            }
        }
    }

    @Test
    void constantRowGivesBetaAndEpsGuardsTheDivision() {
        float[] x = new float[8];
        Arrays.fill(x, 3f);
        float[] gamma = {1, 1, 1, 1, 1, 1, 1, 1}, beta = {0, 1, 2, 3, 4, 5, 6, 7};
        assertArrayEquals(beta, run(x, null, gamma, beta, 1e-5f, 1, 8, false));
        float[] zeroEps = run(x, null, gamma, null, 0f, 1, 8, false);
        assertTrue(Float.isNaN(zeroEps[0]), "0/0 with eps = 0 is NaN, not a made-up number");
    }

    private static float[] run(float[] x, float[] residual, float[] gamma, float[] beta, float eps, int rows, int cols, boolean inPlace) {
        try (Arena arena = Arena.ofConfined()) {
            Tensor xt = Tensor.of(arena, x, rows, cols), out = inPlace ? xt : Tensor.allocate(arena, DType.F32, Device.CPU, rows, cols);
            LayerNorm.apply(xt, residual == null ? null : Tensor.of(arena, residual, rows, cols), Tensor.of(arena, gamma, cols),
                    beta == null ? null : Tensor.of(arena, beta, cols), eps, out);
            return out.toFloatArray();
        }
    }

    @Test
    void badArgumentsAreClearErrors() {
        try (Arena arena = Arena.ofConfined()) {
            Tensor x = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 6), out = Tensor.allocate(arena, DType.F32, Device.CPU, 4, 6);
            Tensor g = Tensor.allocate(arena, DType.F32, Device.CPU, 6), b = Tensor.allocate(arena, DType.F32, Device.CPU, 6);
            LayerNorm.apply(x, out, g, b, 1e-5f, out);
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x, null, Tensor.allocate(arena, DType.F32, Device.CPU, 5), b, 1e-5f, out));
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x, null, g, Tensor.allocate(arena, DType.F32, Device.CPU, 1, 6), 1e-5f, out));
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x, Tensor.allocate(arena, DType.F32, Device.CPU, 4, 5), g, b, 1e-5f, out));
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x, null, g, b, 1e-5f, Tensor.allocate(arena, DType.F32, Device.CPU, 6, 4)));
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x, null, g, b, 1e-5f, Tensor.allocate(arena, DType.BF16, Device.CPU, 4, 6)));
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x, null, g, b, Float.NaN, out));
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x, null, g, b, -1f, out));
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x.slice(1, 0, 3), null, g.slice(0, 0, 3), null, 1e-5f,
                    Tensor.allocate(arena, DType.F32, Device.CPU, 4, 3)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x, null, out.slice(1, 0, 6).reshape(24).slice(0, 0, 6), b, 1e-5f, out));
            assertTrue(e.getMessage().contains("gamma"), e.getMessage());
            assertThrows(NullPointerException.class, () -> LayerNorm.apply(x, null, null, b, 1e-5f, out));
            Tensor readOnly = Tensor.wrap(arena.allocate(4 * 6 * 4).asReadOnly(), DType.F32, 4, 6);
            assertThrows(IllegalArgumentException.class, () -> LayerNorm.apply(x, null, g, b, 1e-5f, readOnly));
        }
        Arena closed = Arena.ofConfined();
        Tensor x = Tensor.allocate(closed, DType.F32, Device.CPU, 2, 3), g = Tensor.allocate(closed, DType.F32, Device.CPU, 3);
        closed.close();
        assertThrows(IllegalStateException.class, () -> LayerNorm.apply(x, null, g, null, 1e-5f, x));
    }
}
