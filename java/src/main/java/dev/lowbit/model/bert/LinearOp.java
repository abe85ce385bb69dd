package dev.lowbit.model.bert;

import dev.lowbit.CudaStream;
import dev.lowbit.Device;
import dev.lowbit.model.Quant;

import dev.lowbit.Tensor;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.hadamard.HadamardOptions;

import java.lang.foreign.Arena;

/**
 * One linear layer y = x W + b over a batch of rows, in the kernel a {@link Quant} mode picks.
 * Thread-safe: weights are read-only after construction, scratch is per thread.
 */
interface LinearOp {
    /**
     * y [rows, out] = x [rows, in] · W + b: F32 tensors on the layer's device (in native memory); x is left as it is.
     * On a CUDA device the work is queued on {@code stream} (the caller's, null on the CPU).
     */
    void apply(Tensor x, Tensor y, CudaStream stream);

    int in();

    int out();

    /** Prepares {@code lin} for {@code quant} on {@code device} (see {@link #requireSupported}); lowbit weights live in {@code arena}. */
    static LinearOp of(BertWeights.Linear lin, Quant quant, Device device, Arena arena) {
        return switch (quant.scheme()) {
            case F32 -> new F32Linear(lin);
            case W8A8 -> PerTokenLinear.w8a8(lin, quant.rotate(), device, arena);
            case W4A4 -> PerTokenLinear.w4a4(lin, quant.rotate(), device, arena);
            case FP8 -> PerTokenLinear.fp8(lin, quant.rotate(), device, arena);
            case W4A16, W4A8, W4FP8 -> new W4A16Linear(lin, quant, device, arena);
        };
    }

    /** Throws {@link IllegalArgumentException} naming why, if {@code quant}'s layers cannot run on {@code device}. */
    static void requireSupported(Quant quant, Device device) {
        String why = unsupportedOn(quant, device);
        if (why != null) throw new IllegalArgumentException(quant.cliName() + " does not run on " + device + ": " + why);
    }

    /** Why {@code quant}'s layers cannot run on {@code device} (null: they can). */
    private static String unsupportedOn(Quant quant, Device device) {
        if (device.isCpu()) return null;
        return switch (quant.scheme()) {
            case F32 -> "f32 is the plain-Java reference; it runs on the CPU";
            case W4A8 -> "int8 activations (w4a8) are a CPU decode path (VPDPBUSD); use w4a16";
            case W4A16, W4FP8 -> quant.awq() ? "AWQ's per-channel activation scaling runs on the CPU only so far"
                    : quant.scheme() == Quant.Scheme.W4FP8 && quant.group() % 32 != 0 ? "the CUDA W4A8 kernel needs groups of a multiple of 32"
                    : null;
            case W8A8, W4A4, FP8 -> null;
        };
    }

    /** The rotation of the "-rot" modes: orthonormal, random signs, a fixed seed (weights and activations must agree). */
    HadamardOptions ROTATION = HadamardOptions.randomized(0x10b17L);

    /** The weights as lowbit's GEMMs take them, [out, in] row-major (W transposed), rotated along in if asked. */
    static Tensor weightsForKernel(BertWeights.Linear lin, boolean rotate, Arena arena) {
        float[] t = new float[lin.in() * lin.out()];
        for (int k = 0; k < lin.in(); k++)
            for (int j = 0; j < lin.out(); j++) t[j * lin.in() + k] = lin.w()[k * lin.out() + j];
        Tensor w = Tensor.of(arena, t, lin.out(), lin.in());
        if (rotate) Hadamard.rotateWeights(w, ROTATION);
        return w;
    }
}
