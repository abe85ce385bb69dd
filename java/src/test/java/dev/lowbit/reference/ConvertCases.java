package dev.lowbit.reference;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;

/** Inputs that exercise every rounding decision of f32 -> f16/bf16. */
public final class ConvertCases {
    private ConvertCases() {}

    /** For each adjacent pair of finite f16 values: the midpoint and its two float neighbours, plus specials. */
    public static float[] f16Boundaries() {
        return boundaries(FloatFormats.F16);
    }

    /** The same for bfloat16. */
    public static float[] bf16Boundaries() {
        return boundaries(FloatFormats.BF16);
    }

    private static float[] boundaries(FloatFormats.Format f) {
        int maxFinite = (((1 << f.exponentBits()) - 1) << f.mantissaBits()) - 1;  // largest finite pattern
        return boundaries(maxFinite, f::decode, false);
    }

    /**
     * For each pair of adjacent finite codes of an FP8 format: the lower value, the midpoint and its two
     * float neighbours (both signs), up to one ulp past the largest finite value and far beyond it; plus
     * {@link #specials()}. Every rounding and saturation decision of an encoder.
     */
    public static float[] fp8Boundaries(Fp8Reference f) {
        return boundaries(f.encode((float) f.max(), false), f::decode, true);
    }

    /**
     * Codes 0 .. maxCode (finite, ascending): each value, the midpoint to the next (past the max: one more
     * ulp) and the midpoint's float neighbours, both signs; with {@code beyond} also the next value and four
     * times it; then {@link #specials()}.
     */
    private static float[] boundaries(int maxCode, IntToDoubleFunction decode, boolean beyond) {
        List<Float> out = new ArrayList<>();
        for (int h = 0; h <= maxCode; h++) {
            double v = decode.applyAsDouble(h);
            double next = h < maxCode ? decode.applyAsDouble(h + 1) : v + (v - decode.applyAsDouble(h - 1));
            float mid = (float) ((v + next) / 2);  // exact: needs one more bit than the format has
            float[] xs = beyond ? new float[] {(float) v, mid, Math.nextUp(mid), Math.nextDown(mid), (float) next, (float) (4 * next)}
                                : new float[] {(float) v, mid, Math.nextUp(mid), Math.nextDown(mid)};
            for (float x : xs) {
                out.add(x);
                out.add(-x);
            }
        }
        for (float x : specials()) out.add(x);
        float[] a = new float[out.size()];
        for (int i = 0; i < a.length; i++) a[i] = out.get(i);
        return a;
    }

    /** Zeros, infinities, NaNs with assorted payloads (quiet and signalling), extremes of float. */
    public static float[] specials() {
        int[] bits = {0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001,
                0x7fa00000, 0x7fbfffff, 0x7fffffff, 0x7fc12345, 0x00000001, 0x80000001, 0x007fffff, 0x00800000,
                0x7f7fffff, 0xff7fffff, 0x477fefff, 0x477ff000, 0x477ff001, 0x33000000, 0x33000001, 0x33800000};
        float[] a = new float[bits.length];
        for (int i = 0; i < bits.length; i++) a[i] = Float.intBitsToFloat(bits[i]);
        return a;
    }

    /** The arrays one after another. */
    public static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] all = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    /** {@code n} floats with uniformly random bit patterns (every exponent and NaN/Inf appear). */
    public static float[] randomBits(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = Float.intBitsToFloat(rnd.nextInt());
        return a;
    }
}
