package dev.lowbit.quant;

import dev.lowbit.DType;

import java.util.Objects;

/**
 * A quantization format: code type, scale granularity and dtype, zero points, options. The formats
 * and their exact rules are documented in {@code docs/formats.md} and {@code lowbit.h}.
 *
 * @param qtype          {@link DType#I8}, {@link DType#I4} (symmetric), {@link DType#U4} (asymmetric,
 *                       with zero points), {@link DType#FP8_E4M3} or {@link DType#FP8_E5M2}
 * @param granularity    which elements share a scale
 * @param scaleDtype     F32, F16 or BF16; a scale is rounded to it before the codes are computed
 * @param zeroDtype      U4 only: {@link DType#U4} (packed integer zero points) or {@link DType#F16}; null otherwise
 * @param restrictRange  I4 only: codes in [-7, 7] (scale = absmax/7) instead of [-8, 7]
 * @param mseClip        search per block the clip ratio (1 down to 0.5) with the least squared error
 * @param pow2Scales     round each scale up to a power of two
 */
public record QuantFormat(DType qtype, Granularity granularity, DType scaleDtype, DType zeroDtype, boolean restrictRange,
                          boolean mseClip, boolean pow2Scales) {

    public QuantFormat {
        Objects.requireNonNull(qtype, "qtype");
        Objects.requireNonNull(granularity, "granularity");
        Objects.requireNonNull(scaleDtype, "scaleDtype");
        switch (qtype) {
            case I8, I4, U4, FP8_E4M3, FP8_E5M2 -> { }
            default -> throw new IllegalArgumentException("qtype must be I8, I4, U4, FP8_E4M3 or FP8_E5M2, got " + qtype);
        }
        if (scaleDtype != DType.F32 && scaleDtype != DType.F16 && scaleDtype != DType.BF16) {
            throw new IllegalArgumentException("scaleDtype must be F32, F16 or BF16, got " + scaleDtype);
        }
        if (qtype == DType.U4) {
            if (zeroDtype != DType.U4 && zeroDtype != DType.F16) {
                throw new IllegalArgumentException("U4 needs zeroDtype U4 or F16, got " + zeroDtype);
            }
        } else if (zeroDtype != null) {
            throw new IllegalArgumentException(qtype + " is symmetric and has no zero points; zeroDtype must be null, got " + zeroDtype);
        }
        if (restrictRange && qtype != DType.I4) throw new IllegalArgumentException("restrictRange applies to I4 only, not " + qtype);
    }

    /** Symmetric int8, codes -127..127, F32 scales (SmoothQuant/QuaRot activations: per row; weights: per row of [out, in]). */
    public static QuantFormat int8(Granularity g) {
        return new QuantFormat(DType.I8, g, DType.F32, null, false, false, false);
    }

    /** Symmetric int4, codes -8..7, F16 scales. */
    public static QuantFormat int4(Granularity g) {
        return new QuantFormat(DType.I4, g, DType.F16, null, false, false, false);
    }

    /** Asymmetric int4 (AWQ/GPTQ), codes 0..15 with packed U4 zero points, F16 scales. */
    public static QuantFormat uint4(Granularity g) {
        return new QuantFormat(DType.U4, g, DType.F16, DType.U4, false, false, false);
    }

    /** FP8 E4M3 with F32 scales = absmax/448. */
    public static QuantFormat fp8E4M3(Granularity g) {
        return new QuantFormat(DType.FP8_E4M3, g, DType.F32, null, false, false, false);
    }

    /** FP8 E5M2 with F32 scales = absmax/57344. */
    public static QuantFormat fp8E5M2(Granularity g) {
        return new QuantFormat(DType.FP8_E5M2, g, DType.F32, null, false, false, false);
    }

    public QuantFormat withScaleDtype(DType t) {
        return new QuantFormat(qtype, granularity, t, zeroDtype, restrictRange, mseClip, pow2Scales);
    }

    public QuantFormat withZeroDtype(DType t) {
        return new QuantFormat(qtype, granularity, scaleDtype, t, restrictRange, mseClip, pow2Scales);
    }

    public QuantFormat withRestrictedRange() {
        return new QuantFormat(qtype, granularity, scaleDtype, zeroDtype, true, mseClip, pow2Scales);
    }

    public QuantFormat withMseClip() {
        return new QuantFormat(qtype, granularity, scaleDtype, zeroDtype, restrictRange, true, pow2Scales);
    }

    public QuantFormat withPow2Scales() {
        return new QuantFormat(qtype, granularity, scaleDtype, zeroDtype, restrictRange, mseClip, true);
    }

    @Override
    public String toString() {
        return qtype + " " + granularity + " scales " + scaleDtype + (zeroDtype != null ? " zeros " + zeroDtype : "")
                + (restrictRange ? " restricted" : "") + (mseClip ? " mse-clip" : "") + (pow2Scales ? " pow2" : "");
    }
}
