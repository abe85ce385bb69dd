package dev.lowbit.model;

import java.util.List;
import java.util.Locale;

/**
 * How a model's linear layers run, chosen at load time; weights are quantized by lowbit when the
 * model loads. Written on the command line as e.g. {@code f32}, {@code w8a8}, {@code fp8-rot}, {@code w4a16-g32},
 * {@code w4a16-g128-mse}, {@code w4a8-g32-rot}, {@code w4a16-g32-mse-gptq-awq}.
 *
 * @param scheme  weight and activation precision
 * @param group   int4 weight group size along k (32, 64, 128, ...); 0 for f32 and w8a8
 * @param mse     int4 weights with MSE-optimal clipping per group instead of round-to-nearest
 * @param rotate  QuaRot-style Hadamard rotation: weights rotated along k offline, activations online
 *                (W x = (W Hᵀ)(H x)), which spreads outliers before quantization
 * @param gptq    int4 weights by GPTQ (error feedback through the inverse Hessian of calibration
 *                activations the model computes at load time) instead of round-to-nearest
 * @param awq     int4 weights with AWQ-style activation-aware input-channel scaling (searched per layer
 *                on the same calibration activations; the activations are divided at run time)
 */
public record Quant(Scheme scheme, int group, boolean mse, boolean rotate, boolean gptq, boolean awq) {
    public enum Scheme {
        /** The fp32 reference: plain Java matmuls, no lowbit kernel. */
        F32,
        /** int8 weights (a scale per output channel), int8 activations (a scale per token): lowbit's W8A8 kernel. */
        W8A8,
        /** int4 weights (a scale per output channel), int4 activations (a scale per token): lowbit's W4A4 kernel (QuaRot; use -rot). */
        W4A4,
        /** FP8 E4M3 weights (a scale per output channel) and activations (a scale per token): lowbit's FP8 GEMM. */
        FP8,
        /** int4 weights in groups along k, f32 activations: lowbit's W4A16 kernel. */
        W4A16,
        /** int4 weights, activations quantized to int8 in blocks of 32: lowbit's W4A16 kernel, INT8 activations. */
        W4A8,
        /** int4 weights, FP8 E4M3 activations with a scale per token: lowbit's W4A8 GEMM (ZeroQuant-FP style). */
        W4FP8;

        /** Whether the weights are int4 (in groups). */
        public boolean int4() {
            return this == W4A16 || this == W4A8 || this == W4FP8;
        }
    }

    public static final Quant F32 = new Quant(Scheme.F32, 0, false, false, false, false);
    public static final Quant W8A8 = new Quant(Scheme.W8A8, 0, false, false, false, false);
    public static final Quant W4A4 = new Quant(Scheme.W4A4, 0, false, false, false, false);
    public static final Quant FP8 = new Quant(Scheme.FP8, 0, false, false, false, false);
    public static final Quant W4A16 = new Quant(Scheme.W4A16, 32, false, false, false, false);
    public static final Quant W4A8 = new Quant(Scheme.W4A8, 32, false, false, false, false);
    public static final Quant W4FP8 = new Quant(Scheme.W4FP8, 32, false, false, false, false);

    public Quant {
        if (scheme == null) throw new IllegalArgumentException("scheme is null");
        boolean int4 = scheme.int4();
        if (int4 && (group < 2 || group % 2 != 0)) throw new IllegalArgumentException(scheme + " needs an even group size, got " + group);
        if (scheme == Scheme.W4A8 && group % 32 != 0) throw new IllegalArgumentException("w4a8 needs a group size that is a multiple of 32, got " + group);
        if (!int4 && (group != 0 || mse)) throw new IllegalArgumentException(scheme + " has no group size or MSE clipping");
        if (scheme == Scheme.F32 && rotate) throw new IllegalArgumentException("f32 has nothing to rotate for");
        if (gptq && !int4) throw new IllegalArgumentException("gptq applies to the int4 schemes only, not " + scheme);
        if (gptq && rotate) throw new IllegalArgumentException("gptq does not combine with -rot (yet)");
        if (awq && !int4) throw new IllegalArgumentException("awq applies to the int4 schemes only, not " + scheme);
        if (awq && rotate) throw new IllegalArgumentException("awq does not combine with -rot (yet)");
    }

    public Quant withGroup(int g) {
        return new Quant(scheme, g, mse, rotate, gptq, awq);
    }

    public Quant withMseClip() {
        return new Quant(scheme, group, true, rotate, gptq, awq);
    }

    public Quant withRotation() {
        return new Quant(scheme, group, mse, true, gptq, awq);
    }

    public Quant withGptq() {
        return new Quant(scheme, group, mse, rotate, true, awq);
    }

    public Quant withAwq() {
        return new Quant(scheme, group, mse, rotate, gptq, true);
    }

    /** Whether loading runs the fp32 model on calibration inputs first (GPTQ, AWQ). */
    public boolean calibrated() {
        return gptq || awq;
    }

    /** The modes the reports and tests cover. */
    public static List<Quant> standard() {
        return List.of(F32, W8A8, W8A8.withRotation(), W4A4, W4A4.withRotation(), FP8, FP8.withRotation(), W4A16, W4A16.withRotation(), W4A16.withMseClip(), W4A16.withMseClip().withRotation(),
                W4A16.withGroup(128), W4A16.withGroup(128).withRotation(), W4A16.withGptq(), W4A16.withMseClip().withAwq(), W4A16.withMseClip().withGptq().withAwq(), W4A8, W4A8.withRotation(),
                W4A8.withMseClip().withRotation(), W4FP8, W4FP8.withRotation());
    }

    /** e.g. "w4a16-g32-mse-rot". */
    public String cliName() {
        StringBuilder sb = new StringBuilder(scheme.name().toLowerCase(Locale.ROOT));
        if (group != 0) sb.append("-g").append(group);
        if (mse) sb.append("-mse");
        if (rotate) sb.append("-rot");
        if (gptq) sb.append("-gptq");
        if (awq) sb.append("-awq");
        return sb.toString();
    }

    @Override
    public String toString() {
        return cliName();
    }

    public static Quant parse(String text) {
        String[] parts = text.trim().toLowerCase(Locale.ROOT).split("-");
        Scheme s;
        try {
            s = Scheme.valueOf(parts[0].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown quantization '" + text + "': expected f32, w8a8, w4a4, fp8, w4a16, w4a8 or w4fp8, then -g<group>, -mse, -rot, -gptq, -awq");
        }
        boolean int4 = s.int4();
        int group = int4 ? 32 : 0;
        boolean mse = false, rotate = false, gptq = false, awq = false;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            if (p.equals("mse")) mse = true;
            else if (p.equals("rot")) rotate = true;
            else if (p.equals("gptq")) gptq = true;
            else if (p.equals("awq")) awq = true;
            else if (p.matches("g[0-9]{1,6}")) group = Integer.parseInt(p.substring(1));
            else throw new IllegalArgumentException("unknown part '" + p + "' in quantization '" + text + "' (expected -g<group>, -mse, -rot, -gptq or -awq)");
        }
        return new Quant(s, group, mse, rotate, gptq, awq);
    }
}
