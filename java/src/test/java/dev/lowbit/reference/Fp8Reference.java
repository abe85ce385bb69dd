package dev.lowbit.reference;

/**
 * Plain-Java reference for OCP FP8 from the definitions: E4M3 ("FN": bias 7, no Inf, max 448,
 * NaN = S.1111.111) and E5M2 (bias 15, IEEE-like, max 57344). Encoding rounds the exact value to the
 * nearest representable one (ties to even, {@link Math#rint}) in double; NaN encodes as 0x7F; values
 * past the largest finite one become the signed maximum (saturating) or NaN (E4M3) / ±Inf (E5M2).
 */
public enum Fp8Reference {
    E4M3(4, 3, 448.0),
    E5M2(5, 2, 57344.0);

    private final int exponentBits, mantissaBits;
    private final double max;

    Fp8Reference(int exponentBits, int mantissaBits, double max) {
        this.exponentBits = exponentBits;
        this.mantissaBits = mantissaBits;
        this.max = max;
    }

    int bias() {
        return (1 << (exponentBits - 1)) - 1;
    }

    public double max() {
        return max;
    }

    public boolean isNaN(int code) {
        int exp = (code >> mantissaBits) & ((1 << exponentBits) - 1), m = code & ((1 << mantissaBits) - 1);
        return this == E4M3 ? (code & 0x7f) == 0x7f : exp == (1 << exponentBits) - 1 && m != 0;
    }

    /** The exact value of a code (NaN for NaN codes). */
    public double decode(int code) {
        if (isNaN(code)) return Double.NaN;
        boolean negative = (code & 0x80) != 0;
        int exp = (code >> mantissaBits) & ((1 << exponentBits) - 1), m = code & ((1 << mantissaBits) - 1);
        double v;
        if (this == E5M2 && exp == 31) v = Double.POSITIVE_INFINITY;
        else if (exp == 0) v = m * Math.scalb(1.0, 1 - bias() - mantissaBits);
        else v = (1 + m / (double) (1 << mantissaBits)) * Math.scalb(1.0, exp - bias());
        return negative ? -v : v;
    }

    public int encode(float x, boolean saturate) {
        if (Float.isNaN(x)) return 0x7f;
        int sign = Float.floatToRawIntBits(x) < 0 ? 0x80 : 0;
        double a = Math.abs((double) x);
        int minExp = 1 - bias();
        int e = a == 0 ? minExp : Math.max(Math.getExponent(a), minExp);
        double ulp = Math.scalb(1.0, e - mantissaBits);
        double r = Double.isInfinite(a) ? a : Math.rint(a / ulp) * ulp;
        if (r > max) {
            if (saturate) return sign | (this == E4M3 ? 0x7e : 0x7b);
            return sign | (this == E4M3 ? 0x7f : 0x7c);
        }
        if (r < Math.scalb(1.0, minExp)) return sign | (int) (r / Math.scalb(1.0, minExp - mantissaBits));
        int re = Math.getExponent(r);
        int m = (int) ((r / Math.scalb(1.0, re) - 1) * (1 << mantissaBits));
        return sign | ((re + bias()) << mantissaBits) | m;
    }
}
