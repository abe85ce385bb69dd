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

    /** tr(E H Eᵀ) for E = (Q(W S) − W S) S⁻¹. */
    static double loss(float[] w, int out, int in, double[] h, QuantFormat f, float[] s) {
        float[] scaled = scaleColumns(w, out, in, s);
        float[] deq;
        try (Arena arena = Arena.ofConfined()) {
            Tensor q = Tensor.of(arena, scaled, out, in);
            deq = Quantizer.dequantize(Quantizer.quantize(q, f, arena), DType.F32, arena).toFloatArray();
        }
        return IntStream.range(0, out).parallel().mapToDouble(j -> {
            double[] e = new double[in];
            for (int k = 0; k < in; k++) e[k] = ((double) deq[j * in + k] - scaled[j * in + k]) / s[k];
            double sum = 0;
            for (int a = 0; a < in; a++) {
                if (e[a] == 0) continue;
                double r0 = 0, r1 = 0, r2 = 0, r3 = 0;
                int o = a * in, b = 0;
                for (; b + 4 <= in; b += 4) {
                    r0 += h[o + b] * e[b];
                    r1 += h[o + b + 1] * e[b + 1];
                    r2 += h[o + b + 2] * e[b + 2];
                    r3 += h[o + b + 3] * e[b + 3];
                }
                for (; b < in; b++) r0 += h[o + b] * e[b];
                sum += e[a] * (r0 + r1 + r2 + r3);
            }
            return sum;
        }).sum();
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
