package dev.lowbit.reference;

import dev.lowbit.hadamard.HadamardOptions;

/**
 * Plain-Java references for the Hadamard rotation: the dense matrix product in double precision (what the
 * transform means) and a float emulation of lowbit's documented operation order (what its bits must be).
 */
public final class HadamardReference {
    private HadamardReference() {}

    /** splitmix64 of the word counter, as lowbit.h documents the random signs. */
    public static long signWord(long seed, long w) {
        long z = seed + (w + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public static boolean negated(long seed, long i) {
        return ((signWord(seed, i >>> 6) >>> (i & 63)) & 1) != 0;
    }

    /** True if h (n x n, +-1) satisfies H H^T = n I. */
    public static boolean isHadamard(byte[] h, int n) {
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j) {
                long dot = 0;
                for (int c = 0; c < n; ++c) dot += h[i * n + c] * h[j * n + c];
                if (dot != (i == j ? n : 0)) return false;
            }
        }
        for (byte b : h) if (b != 1 && b != -1) return false;
        return true;
    }

    /** One row through the dense matrix h (n x n), in double: y = s H D x or x = s' D H^T y. */
    public static double[] dense(byte[] h, int n, float[] x, int offset, HadamardOptions o) {
        double[] in = new double[n], out = new double[n];
        for (int i = 0; i < n; ++i) in[i] = x[offset + i] * (!o.inverse() && o.randomSigns() && negated(o.seed(), i) ? -1.0 : 1.0);
        double s = o.normalize() ? 1 / Math.sqrt(n) : (o.inverse() ? 1.0 / n : 1.0);
        for (int i = 0; i < n; ++i) {
            double acc = 0;
            for (int j = 0; j < n; ++j) acc += (o.inverse() ? h[j * n + i] : h[i * n + j]) * in[j];
            out[i] = acc * s * (o.inverse() && o.randomSigns() && negated(o.seed(), i) ? -1.0 : 1.0);
        }
        return out;
    }

    /**
     * One row in float with lowbit's order: signs, the 2^k stages per chunk in ascending stride (a+b, a-b), the
     * m-part (left-to-right sums of four signed terms, those group sums added left to right), the f32 scale,
     * inverse signs. core: H_m, m x m.
     */
    public static float[] emulate(byte[] core, int m, float[] x, int offset, int n, HadamardOptions o) {
        int c = n / m;
        float[] t = new float[n];
        for (int i = 0; i < n; ++i) t[i] = !o.inverse() && o.randomSigns() && negated(o.seed(), i) ? -x[offset + i] : x[offset + i];
        for (int j = 0; j < m; ++j) {
            for (int s = 1; s < c; s <<= 1) {
                for (int b = 0; b < c; b += 2 * s) {
                    for (int i = j * c + b; i < j * c + b + s; ++i) {
                        float a = t[i], d = t[i + s];
                        t[i] = a + d;
                        t[i + s] = a - d;
                    }
                }
            }
        }
        float[] y = t;
        if (m > 1) {
            y = new float[n];
            for (int a = 0; a < m; ++a) {
                for (int b = 0; b < c; ++b) {
                    float acc = 0;
                    for (int g = 0; g < m / 4; ++g) {
                        float sum = h(core, m, a, 4 * g, o.inverse()) * t[4 * g * c + b];
                        for (int j = 1; j < 4; ++j) sum = sum + h(core, m, a, 4 * g + j, o.inverse()) * t[(4 * g + j) * c + b];
                        acc = g == 0 ? sum : acc + sum;
                    }
                    y[a * c + b] = acc;
                }
            }
        }
        float scale = o.normalize() ? (float) (1 / Math.sqrt(n)) : (o.inverse() ? (float) (1.0 / n) : 1f);
        for (int i = 0; i < n; ++i) {
            float v = scale == 1f ? y[i] : y[i] * scale;
            y[i] = o.inverse() && o.randomSigns() && negated(o.seed(), i) ? -v : v;
        }
        return y;
    }

    private static float h(byte[] core, int m, int a, int k, boolean transposed) {
        return transposed ? core[k * m + a] : core[a * m + k];
    }
}
