package dev.lowbit.reference;

import dev.lowbit.DType;
import dev.lowbit.quant.QuantFormat;

/**
 * Plain-Java reference of lowbit's quantization formats (docs/formats.md), element by element in
 * float arithmetic (Java never fuses a*b+c, like the native code). Codes are kept one per element:
 * the int8 value, the nibble (I4 two's complement, U4 plain) or the fp8 byte.
 */
public final class QuantReference {
    private QuantReference() {}

    /** Codes, and scale/zero per block (row-major block grid), as the native side must produce them. */
    public record Result(int[] codes, float[] scales, float[] zeros, long blockRows, long blockCols) {}

    record Params(float scale, float inv, float zero) {}

    public static Result quantize(float[] x, int rows, int cols, QuantFormat f) {
        long[] b = f.granularity().resolve(rows, cols);
        int br = (int) b[0], bc = (int) b[1], gr = rows / br, gc = cols / bc;
        int[] codes = new int[rows * cols];
        float[] scales = new float[gr * gc], zeros = new float[gr * gc];
        for (int rb = 0; rb < gr; rb++) {
            for (int cb = 0; cb < gc; cb++) {
                float lo = 0, hi = 0;
                for (int r = rb * br; r < rb * br + br; r++) {
                    for (int c = cb * bc; c < cb * bc + bc; c++) {
                        lo = Math.min(lo, x[r * cols + c]);
                        hi = Math.max(hi, x[r * cols + c]);
                    }
                }
                Params best = params(f, lo, hi, 1f);
                if (f.mseClip() && best.scale != 0) {
                    float bestErr = blockError(x, cols, rb, cb, br, bc, f, best);
                    for (int i = 1; i <= 20; i++) {
                        Params cand = params(f, lo, hi, 1f - i * 0.025f);
                        float err = blockError(x, cols, rb, cb, br, bc, f, cand);
                        if (err < bestErr) {
                            bestErr = err;
                            best = cand;
                        }
                    }
                }
                scales[rb * gc + cb] = best.scale;
                zeros[rb * gc + cb] = best.zero;
                for (int r = rb * br; r < rb * br + br; r++) {
                    for (int c = cb * bc; c < cb * bc + bc; c++) codes[r * cols + c] = code(f, x[r * cols + c], best);
                }
            }
        }
        return new Result(codes, scales, zeros, br, bc);
    }

    public static float[] dequantize(Result q, int rows, int cols, QuantFormat f) {
        float[] y = new float[rows * cols];
        int gc = (int) (cols / q.blockCols());
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int blk = (int) (r / q.blockRows()) * gc + (int) (c / q.blockCols());
                y[r * cols + c] = value(f, q.codes()[r * cols + c], q.scales()[blk], q.zeros()[blk]);
            }
        }
        return y;
    }

    static Params params(QuantFormat f, float lo, float hi, float clip) {
        lo = lo * clip + 0f;  // -0 becomes +0, as in native/src/common/quant.h
        hi = hi * clip + 0f;
        float amax = Math.max(-lo, hi);
        float s = switch (f.qtype()) {
            case U4 -> (hi - lo) / 15f;
            case I4 -> f.restrictRange() ? amax / 7f : Math.max(hi / 7f, -lo / 8f);
            case I8 -> amax / 127f;
            case FP8_E4M3 -> amax / 448f;
            default -> amax / 57344f;
        };
        if (f.pow2Scales() && s > 0) s = pow2Ceil(s);
        s = roundTo(s, f.scaleDtype());
        float inv = s == 0 ? 0 : 1f / s;
        float zero = 0;
        if (f.qtype() == DType.U4) {
            float z = -lo * inv;
            zero = f.zeroDtype() == DType.U4 ? Math.min(15f, Math.max(0f, (float) Math.rint(z))) : roundTo(z, DType.F16);
        }
        return new Params(s, inv, zero);
    }

    static float pow2Ceil(float s) {
        float p = Float.MIN_VALUE;
        if (s >= Float.MIN_NORMAL) {
            p = Math.scalb(1f, Math.getExponent(s));
        }
        while (p < s) p *= 2;
        return p;
    }

    static float roundTo(float v, DType t) {
        return switch (t) {
            case F16 -> FloatFormats.F16.decode(FloatFormats.F16.encode(v));
            case BF16 -> FloatFormats.BF16.decode(FloatFormats.BF16.encode(v));
            default -> v;
        };
    }

    static int code(QuantFormat f, float x, Params p) {
        return switch (f.qtype()) {
            case FP8_E4M3 -> Fp8Reference.E4M3.encode(x * p.inv, true);
            case FP8_E5M2 -> Fp8Reference.E5M2.encode(x * p.inv, true);
            case U4 -> (int) Math.min(15f, Math.max(0f, (float) Math.rint(x * p.inv + p.zero)));
            case I8 -> (int) Math.min(127f, Math.max(-127f, (float) Math.rint(x * p.inv)));
            default -> (int) Math.min(7f, Math.max(f.restrictRange() ? -7f : -8f, (float) Math.rint(x * p.inv))) & 0xf;
        };
    }

    static float value(QuantFormat f, int code, float scale, float zero) {
        return switch (f.qtype()) {
            case FP8_E4M3 -> (float) Fp8Reference.E4M3.decode(code) * scale;
            case FP8_E5M2 -> (float) Fp8Reference.E5M2.decode(code) * scale;
            case U4 -> ((float) code - zero) * scale;
            case I8 -> code * scale;
            default -> ((code ^ 8) - 8) * scale;
        };
    }

    static float blockError(float[] x, int cols, int rb, int cb, int br, int bc, QuantFormat f, Params p) {
        float sum = 0;
        for (int r = rb * br; r < rb * br + br; r++) {
            for (int c = cb * bc; c < cb * bc + bc; c++) {
                float v = x[r * cols + c];
                float d = v - value(f, code(f, v, p), p.scale, p.zero);
                sum += d * d;
            }
        }
        return sum;
    }
}
