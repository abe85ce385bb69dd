package dev.lowbit.activation;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;

import java.lang.foreign.MemorySegment;

/**
 * The exact (erf) GELU, {@code x · Φ(x)}, elementwise over F32 (lb_gelu): absolute error below
 * 4e-7 · max(1, |x|), about one float ulp of x; GELU(−∞) is NaN as in PyTorch. On the CPU or a CUDA device (the
 * operands' device), with the same bits on both.
 */
public final class Gelu {
    private Gelu() {}

    /** out = GELU(x); same shape, F32, contiguous; out may be x itself (in place). */
    public static void apply(Tensor x, Tensor out) {
        apply(x, out, null);
    }

    /** As {@link #apply(Tensor, Tensor)}, queued on {@code stream} (CUDA operands; null: complete on return). */
    public static void apply(Tensor x, Tensor out, CudaStream stream) {
        Checks.live("x", x);
        Checks.live("out", out);
        Checks.f32On("x", x, x.device());
        Checks.f32On("out", out, x.device());
        Checks.writable("out", out);
        Checks.sameShape("x", x, "out", out);
        Checks.noOverlap("x", x, "out", out, true);
        Native.gelu(x.device().index(), Checks.stream(stream, x.device()), x.segment(), x.numel(), out.segment());
    }
}
