package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Tensor;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantizer;

import java.lang.foreign.Arena;
import java.util.stream.IntStream;

/**
 * AWQ-style activation-aware scaling (Lin et al., 2023) for int4 weights: input channel k of the
 * weights is multiplied by s_k before quantization and the activations are divided by s_k at run time
 * (W x = (W S)(S⁻¹ x)), so channels that carry large activations (BERT's LayerNorm outputs have a
 * few) get a finer share of their group's grid. s = a^α with a_k the RMS of input k over the
 * calibration rows (√H_kk); α is searched on a grid per layer, minimising the output error on the
 * calibration inputs, tr(E H Eᵀ) with E = (Q(W S) − W S) S⁻¹, through lowbit's own quantizer.
 */
final class Awq {
    private Awq() {}

    static final int STEPS = 8;  // α in {0, 1/8, ..., 1}; α = 0 (s = 1) is plain round-to-nearest

    /** The per-input-channel scales for w ([out][in] row-major) in format f; all ones when α = 0 wins. */
    static float[] scales(float[] w, int out, int in, double[] h, QuantFormat f) {
        double[] rms = new double[in];
        double logSum = 0;
        for (int k = 0; k < in; k++) {
            rms[k] = Math.sqrt(Math.max(h[k * in + k], 1e-12));
            logSum += Math.log(rms[k]);
        }
        double geoMean = Math.exp(logSum / in);
        float[] best = null;
        double bestLoss = Double.POSITIVE_INFINITY;
        for (int step = 0; step <= STEPS; step++) {
            double alpha = step / (double) STEPS;
            float[] s = new float[in];
            for (int k = 0; k < in; k++) s[k] = (float) Math.pow(rms[k] / geoMean, alpha);  // centred: scales around 1
            double loss = loss(w, out, in, h, f, s);
            if (loss < bestLoss) {
                bestLoss = loss;
                best = s;
            }
        }
        return best;
    }

    /** Rows of E per task of {@link #loss}: their accumulators (8 × in doubles) stay in L2. */
    private static final int LOSS_ROWS = 8;

    /**
     * tr(E H Eᵀ) for E = (Q(W S) − W S) S⁻¹. H is symmetric, so each row e of E contributes
     * Σ_b e_b (H_bb e_b + 2 t_b) with t_b = Σ_{a<b} e_a H_ab: half of H, built by axpys over its rows (which
     * the JIT vectorises; a dot product per (row, a) is a serial sum it does not), LOSS_ROWS rows of E at a
     * time so that each row of H is read once per block: H of a 1536-input layer is 19 MB, and read whole for
     * every row of E the search was memory-bound (GPTQ + AWQ calibration of MiniLM took ~70 s, ~45% of it here).
     */
    static double loss(float[] w, int out, int in, double[] h, QuantFormat f, float[] s) {
        float[] scaled = scaleColumns(w, out, in, s);
        float[] deq;
        try (Arena arena = Arena.ofConfined()) {
            Tensor q = Tensor.of(arena, scaled, out, in);
            deq = Quantizer.dequantize(Quantizer.quantize(q, f, arena), DType.F32, arena).toFloatArray();
        }
        return IntStream.range(0, (out + LOSS_ROWS - 1) / LOSS_ROWS).parallel().mapToDouble(blk -> {
            int j0 = blk * LOSS_ROWS, rows = Math.min(LOSS_ROWS, out - j0);
            double[][] e = new double[rows][in], t = new double[rows][in];
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < in; k++) e[r][k] = ((double) deq[(j0 + r) * in + k] - scaled[(j0 + r) * in + k]) / s[k];
            for (int a = 0; a < in - 1; a++)
                for (int r = 0; r < rows; r++)
                    if (e[r][a] != 0) axpy(e[r][a], h, a * in + a + 1, t[r], a + 1, in - a - 1);
            double sum = 0;
            for (int r = 0; r < rows; r++)
                for (int b = 0; b < in; b++) sum += e[r][b] * (h[b * in + b] * e[r][b] + 2 * t[r][b]);
            return sum;
        }).sum();
    }

    /** y[yo, yo + n) += a · x[xo, xo + n). */
    private static void axpy(double a, double[] x, int xo, double[] y, int yo, int n) {
        for (int i = 0; i < n; i++) y[yo + i] += a * x[xo + i];
    }

    /** W S: column k of w ([out][in]) times s[k]. */
    static float[] scaleColumns(float[] w, int out, int in, float[] s) {
        float[] r = new float[w.length];
        for (int j = 0; j < out; j++)
            for (int k = 0; k < in; k++) r[j * in + k] = w[j * in + k] * s[k];
        return r;
    }

    /** The Hessian of the scaled inputs S⁻¹x: H'_ab = H_ab / (s_a s_b) (for GPTQ after scaling). */
    static double[] scaledHessian(double[] h, int in, float[] s) {
        double[] r = new double[h.length];
        for (int a = 0; a < in; a++)
            for (int b = 0; b < in; b++) r[a * in + b] = h[a * in + b] / ((double) s[a] * s[b]);
        return r;
    }
}
