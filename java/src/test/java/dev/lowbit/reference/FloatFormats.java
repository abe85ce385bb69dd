package dev.lowbit.reference;

/**
 * Plain-Java reference for the small binary float formats (binary16, bfloat16): slow and obviously
 * correct, written from the definitions rather than with the bit tricks the kernels use.
 *
 * <p>Encoding rounds with {@link Math#rint} (ties to even) on the exact value in units of the target's
 * ulp, in double precision (exact for every float input). NaN handling is lowbit's documented rule:
 * NaN keeps its sign and top payload bits and gets the quiet bit.
 */
public final class FloatFormats {
    /** IEEE binary16: 5 exponent bits, 10 mantissa bits. */
    public static final Format F16 = new Format(5, 10);
    /** bfloat16: 8 exponent bits, 7 mantissa bits. */
    public static final Format BF16 = new Format(8, 7);

    private FloatFormats() {}

    public record Format(int exponentBits, int mantissaBits) {
        int bias() {
            return (1 << (exponentBits - 1)) - 1;
        }

        int signBit() {
            return 1 << (exponentBits + mantissaBits);
        }

        int expAllOnes() {
            return ((1 << exponentBits) - 1) << mantissaBits;
        }

        /** Largest finite value: (2 - 2^-m) * 2^bias. */
        double max() {
            return (2 - Math.scalb(1.0, -mantissaBits)) * Math.scalb(1.0, bias());
        }

        /** Exponent of the smallest normal value. */
        int minExponent() {
            return 1 - bias();
        }

        /** The bit pattern nearest to {@code x} (ties to even); overflow gives infinity. */
        public int encode(float x) {
            int raw = Float.floatToRawIntBits(x);
            int sign = raw < 0 ? signBit() : 0;
            if (Float.isNaN(x)) {
                int quiet = 1 << (mantissaBits - 1);
                return sign | expAllOnes() | quiet | ((raw & 0x7fffff) >>> (23 - mantissaBits));
            }
            if (Float.isInfinite(x)) return sign | expAllOnes();
            double a = Math.abs((double) x);
            if (a == 0) return sign;
            int e = Math.max(Math.getExponent(a), minExponent());
            double ulp = Math.scalb(1.0, e - mantissaBits);
            double r = Math.rint(a / ulp) * ulp;
            if (r > max()) return sign | expAllOnes();
            if (r < Math.scalb(1.0, minExponent())) {  // subnormal or zero
                return sign | (int) (r / Math.scalb(1.0, minExponent() - mantissaBits));
            }
            int re = Math.getExponent(r);
            int mantissa = (int) ((r / Math.scalb(1.0, re) - 1) * (1 << mantissaBits));
            return sign | ((re + bias()) << mantissaBits) | mantissa;
        }

        /** The exact value of a bit pattern (NaN gets the quiet bit, payload kept). */
        public float decode(int bits) {
            boolean negative = (bits & signBit()) != 0;
            int exponent = (bits >>> mantissaBits) & ((1 << exponentBits) - 1);
            int mantissa = bits & ((1 << mantissaBits) - 1);
            float value;
            if (exponent == (1 << exponentBits) - 1) {
                if (mantissa == 0) {
                    value = Float.POSITIVE_INFINITY;
                } else {
                    int payload = (mantissa << (23 - mantissaBits)) | 0x400000;
                    return Float.intBitsToFloat((negative ? 0x80000000 : 0) | 0x7f800000 | payload);
                }
            } else if (exponent == 0) {
                value = (float) (mantissa * Math.scalb(1.0, minExponent() - mantissaBits));
            } else {
                value = (float) ((1 + mantissa / (double) (1 << mantissaBits)) * Math.scalb(1.0, exponent - bias()));
            }
            return negative ? -value : value;
        }
    }
}
