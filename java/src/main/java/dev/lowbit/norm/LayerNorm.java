package dev.lowbit.norm;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Layer normalisation over the last dimension (lb_layer_norm), with the residual add that
 * precedes it in a post-norm transformer (BERT) fused in: {@code out = norm(x + residual) · gamma
 * + beta}, biased variance, F32. On the CPU or a CUDA device (the operands' device), with the same bits on both.
 */
public final class LayerNorm {
    private LayerNorm() {}

    /**
     * @param x        F32 {@code [..., cols]}, contiguous
     * @param residual added to x before normalising (same shape as x), or null
     * @param gamma    F32 {@code [cols]}
     * @param beta     F32 {@code [cols]}, or null for no shift
     * @param eps      added to the variance; finite and ≥ 0
     * @param out      same shape as x; may be x or residual itself (in place)
     */
    public static void apply(Tensor x, Tensor residual, Tensor gamma, Tensor beta, float eps, Tensor out) {
        apply(x, residual, gamma, beta, eps, out, null);
    }

    /** As {@link #apply(Tensor, Tensor, Tensor, Tensor, float, Tensor)}, queued on {@code stream} (CUDA operands; null: complete on return). */
    public static void apply(Tensor x, Tensor residual, Tensor gamma, Tensor beta, float eps, Tensor out, CudaStream stream) {
        Checks.live("x", x);
        Checks.live("gamma", gamma);
        Checks.live("out", out);
        if (residual != null) Checks.live("residual", residual);
        if (beta != null) Checks.live("beta", beta);
        if (x.rank() < 1 || x.dim(x.rank() - 1) < 1)
            throw new IllegalArgumentException("x has shape " + Arrays.toString(x.shape()) + ", expected [..., cols] with cols >= 1");
        long cols = x.dim(x.rank() - 1);
        Device device = x.device();
        Checks.f32On("x", x, device);
        Checks.f32On("out", out, device);
        Checks.writable("out", out);
        Checks.sameShape("x", x, "out", out);
        if (residual != null) {
            Checks.f32On("residual", residual, device);
            Checks.sameShape("x", x, "residual", residual);
        }
        vector("gamma", gamma, cols, device);
        if (beta != null) vector("beta", beta, cols, device);
        if (!(eps >= 0) || Float.isInfinite(eps)) throw new IllegalArgumentException("eps must be finite and >= 0, got " + eps);
        Checks.noOverlap("x", x, "out", out, true);
        if (residual != null) Checks.noOverlap("residual", residual, "out", out, true);
        Checks.noOverlap("gamma", gamma, "out", out, false);
        if (beta != null) Checks.noOverlap("beta", beta, "out", out, false);
        Native.layerNorm(x.device().index(), Checks.stream(stream, device), x.segment(), residual == null ? MemorySegment.NULL : residual.segment(),
                gamma.segment(), beta == null ? MemorySegment.NULL : beta.segment(), eps, x.numel() / cols, cols, out.segment());
    }

    private static void vector(String name, Tensor t, long cols, Device device) {
        Checks.f32On(name, t, device);
        if (t.rank() != 1 || t.dim(0) != cols)
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(t.shape()) + ", expected [" + cols + "] (x's last dimension)");
    }
}
