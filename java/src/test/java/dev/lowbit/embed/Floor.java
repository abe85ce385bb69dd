package dev.lowbit.embed;

import dev.lowbit.model.Quant;

/**
 * Cosine-similarity floors the tests hold each mode to (vs ONNX Runtime fp32). f32, w8a8, fp8 and
 * the calibrated w4a16-g32 (GPTQ + AWQ) are the goals; the other 4-bit floors are what the modes reach today minus a margin, so that a
 * regression fails (bench/RESULTS.md has the measured figures and the goals they miss).
 */
final class Floor {
    private Floor() {}

    static double mean(Quant q) {
        if (q.scheme() == Quant.Scheme.W4A16 && q.group() == 32 && q.gptq() && q.awq()) return 0.98;  // the W4A16 g32 goal
        return switch (q.scheme()) {
            case F32 -> 0.9999;
            case W8A8, FP8 -> 0.995;
            case W4A16, W4A8, W4FP8 -> 0.93;
            case W4A4 -> q.rotate() ? 0.88 : 0.74;  // QuaRot's point: rotation is what makes 4-bit activations usable
        };
    }

    static double min(Quant q) {
        return switch (q.scheme()) {
            case F32 -> 0.9999;
            case W8A8, FP8 -> 0.99;
            case W4A16, W4A8, W4FP8 -> 0.88;
            case W4A4 -> q.rotate() ? 0.82 : 0.62;
        };
    }
}
