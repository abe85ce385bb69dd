package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Tensor;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;

import java.lang.foreign.Arena;
import java.util.stream.IntStream;

/**
 * GPTQ (Frantar et al., 2022) for int4 weights in groups along k: quantizes one input column at a
 * time and spreads each column's rounding error over the not-yet-quantized columns in proportion
 * to the inverse Hessian H⁻¹ of the layer's calibration inputs (H = Σ xᵀx), so the layer's output
 * on inputs like the calibration set moves as little as possible. A group's scale is fixed when
 * quantization reaches its first column, from the (already error-updated) weights, with lowbit's
 * I4 rule: s = max(hi / 7, −lo / 8) over a range that includes 0, rounded to F16 — the codes and
 * scales are an ordinary {@code QuantFormat.int4(group(g)).withScaleDtype(F16)} for W4A16.
 * Rows are independent given H, so they run in parallel.
 */
final class Gptq {
    private Gptq() {}

    /** Quantizes w ([out][in] row-major) with calibration Hessian h ([in][in]), scales by absmax. */
    static Quantized quantize(float[] w, int out, int in, double[] h, int group, Arena arena) {
        return quantize(w, out, in, h, group, false, arena);
    }

    /**
     * As {@link #quantize(float[], int, int, double[], int, Arena)}; with {@code mseClip} each group's scale
     * is the clipped one (c·range, c in {1, 0.975, ..., 0.5} as lb_quantize's MSE clip) that minimises the
     * group's squared rounding error at the moment the scale is fixed.
     */
    static Quantized quantize(float[] w, int out, int in, double[] h, int group, boolean mseClip, Arena arena) {
        if (in % group != 0 || group % 2 != 0) throw new IllegalArgumentException("group " + group + " must be even and divide " + in);
        double[] u = inverseHessianFactor(h, in);
        byte[] codes = new byte[out * in / 2];
        short[] scales = new short[out * (in / group)];
        IntStream.range(0, out).parallel().forEach(r -> {
            double[] row = new double[in];
            for (int i = 0; i < in; i++) row[i] = w[r * in + i];
            float s = 0;
            for (int i = 0; i < in; i++) {
                if (i % group == 0) {
                    double lo = 0, hi = 0;
                    for (int j = i; j < i + group; j++) {
                        lo = Math.min(lo, row[j]);
                        hi = Math.max(hi, row[j]);
                    }
                    s = mseClip ? clippedScale(row, i, group, lo, hi) : f16(Math.max(hi / 7, -lo / 8));
                    scales[r * (in / group) + i / group] = Float.floatToFloat16(s);
                }
                int q = s == 0 ? 0 : (int) Math.max(-8, Math.min(7, Math.rint(row[i] / s)));
                codes[(r * in + i) / 2] |= (byte) ((q & 0xF) << (4 * (i & 1)));
                double err = (row[i] - q * (double) s) / u[i * in + i];
                for (int j = i + 1; j < in; j++) row[j] -= err * u[i * in + j];
            }
        });
        QuantFormat f = QuantFormat.int4(Granularity.group(group)).withScaleDtype(DType.F16);
        return new Quantized(f, Tensor.ofBytes(arena, DType.I4, codes, out, in), Tensor.ofBits(arena, DType.F16, scales, out, in / group), null);
    }

    private static float f16(double v) {
        return Float.float16ToFloat(Float.floatToFloat16((float) v));
    }

    /** The F16 scale among c·max(hi/7, −lo/8), c = 1, 0.975, ..., 0.5, with the least squared error over row[from, from + group). */
    private static float clippedScale(double[] row, int from, int group, double lo, double hi) {
        float best = 0;
        double bestErr = Double.POSITIVE_INFINITY;
        for (int step = 0; step <= 20; step++) {
            float s = f16((1 - 0.025 * step) * Math.max(hi / 7, -lo / 8));
            if (s == 0) return 0;
            double err = 0;
            for (int j = from; j < from + group; j++) {
                double q = Math.max(-8, Math.min(7, Math.rint(row[j] / s)));
                err += (row[j] - q * s) * (row[j] - q * s);
            }
            if (err < bestErr) {
                bestErr = err;
                best = s;
            }
        }
        return best;
    }

    /**
     * The upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU) after damping H by 1% of its mean diagonal;
     * an input that never varied (zero diagonal) gets a unit diagonal, as in the paper's code.
     */
    static double[] inverseHessianFactor(double[] hIn, int n) {
        double[] a = hIn.clone();
        double mean = 0;
        for (int i = 0; i < n; i++) mean += a[i * n + i];
        mean /= n;
        for (int i = 0; i < n; i++) {
            if (a[i * n + i] == 0) a[i * n + i] = 1;
            a[i * n + i] += 0.01 * (mean > 0 ? mean : 1);
        }
        // With P the order reversal: P H P = L Lᵀ, so H⁻¹ = P L⁻ᵀ L⁻¹ P = Uᵀ U with U = P L⁻¹ P upper triangular with a
        // positive diagonal — the Cholesky factor itself (it is unique). One factorisation and one triangular
        // inverse, where forming H⁻¹ and factoring it again took twice the work, in column walks.
        double[] reversed = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) reversed[i * n + j] = a[(n - 1 - i) * n + (n - 1 - j)];
        double[] m = lowerInverse(cholesky(reversed, n), n);
        double[] upper = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = i; j < n; j++) upper[i * n + j] = m[(n - 1 - i) * n + (n - 1 - j)];
        return upper;
    }

    /** L⁻¹ of a lower-triangular L: row r is −(Σ_{k<r} L[r][k] · row k of L⁻¹) / L[r][r] (and 1 / L[r][r] on the
     *  diagonal), built by axpys over the rows already done, which the JIT vectorises. */
    static double[] lowerInverse(double[] l, int n) {
        double[] m = new double[n * n];
        for (int r = 0; r < n; r++) {
            int o = r * n;
            for (int k = 0; k < r; k++) {
                double c = l[o + k];
                if (c == 0) continue;
                int ko = k * n;
                for (int b = 0; b <= k; b++) m[o + b] += c * m[ko + b];
            }
            double inv = 1 / l[o + r];
            for (int b = 0; b < r; b++) m[o + b] = -m[o + b] * inv;
            m[o + r] = inv;
        }
        return m;
    }

    /** Lower Cholesky factor of a symmetric positive definite n × n matrix. */
    static double[] cholesky(double[] a, int n) {
        double[] l = new double[n * n];
        for (int j = 0; j < n; j++) {
            double d = a[j * n + j];
            for (int k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
            if (!(d > 0)) throw new IllegalStateException("GPTQ: calibration Hessian is not positive definite at column " + j);
            double ljj = Math.sqrt(d);
            l[j * n + j] = ljj;
            final int jj = j;
            IntStream.range(j + 1, n).parallel().forEach(i -> {
                double s = a[i * n + jj];
                for (int k = 0; k < jj; k++) s -= l[i * n + k] * l[jj * n + k];
                l[i * n + jj] = s / ljj;
            });
        }
        return l;
    }
}
