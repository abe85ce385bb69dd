package dev.lowbit.model.bert;

import java.util.stream.IntStream;

/**
 * BERT's exact GELU, x/2 · (1 + erf(x/√2)), fast: java.lang.Math has no erf, and a per-element
 * exp would cost more than the FFN's int8 GEMM. erf(u) = u · P(u²)/Q(u²) for |u| ≤ 4 (degrees 6 and
 * 5, fitted by iteratively reweighted least squares for this file; max error 9e-9 on [0, 4], and
 * erf(4) is 1 − 1.5e-8), evaluated in double with only arithmetic, min/max and a select, so the
 * JIT can vectorise the loop.
 */
final class Gelu {
    private Gelu() {}

    private static final double P0 = 1.1283791707878839, P1 = 0.1852216958376779, P2 = 0.054200156669133394,
            P3 = 0.003834523174100738, P4 = 0.00037439290202511376, P5 = 4.5468308176380146e-06, P6 = -1.2495315088179026e-08;
    private static final double Q1 = 0.49748186865724614, Q2 = 0.11386045180556743, Q3 = 0.015414260493685586,
            Q4 = 0.0012974224429913512, Q5 = 6.17961105693985e-05;
    private static final double INV_SQRT2 = 0.7071067811865476;

    static double erf(double x) {
        return Math.abs(x) >= 4.0 ? Math.copySign(1.0, x) : rational(x);
    }

    /** u · P(u²)/Q(u²), the fit of erf on [−4, 4]. */
    private static double rational(double u) {
        double z = u * u;
        double p = (((((P6 * z + P5) * z + P4) * z + P3) * z + P2) * z + P1) * z + P0;
        double q = ((((Q5 * z + Q4) * z + Q3) * z + Q2) * z + Q1) * z + 1.0;
        return u * p / q;
    }

    /** GELU in place over x[from, to). */
    static void apply(float[] x, int from, int to) {
        for (int i = from; i < to; i++) {
            // No branch (it stops the vectorisation, measured 1.6x slower): past |u| = 4 the clamped
            // erf is 1 - 1.5e-8, so GELU(x) for x < -5.7 is x * 7.7e-9 instead of ~0 (-4e-7 at x = -50).
            double v = x[i];
            x[i] = (float) (0.5 * v * (1.0 + rational(Math.min(Math.max(v * INV_SQRT2, -4.0), 4.0))));
        }
    }

    /** GELU in place over all of x, in parallel chunks. */
    static void apply(float[] x) {
        int chunk = 16384;
        IntStream.range(0, (x.length + chunk - 1) / chunk).parallel().forEach(b -> apply(x, b * chunk, Math.min(x.length, (b + 1) * chunk)));
    }
}
