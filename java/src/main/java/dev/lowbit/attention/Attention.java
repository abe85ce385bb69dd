package dev.lowbit.attention;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * Encoder self-attention over stacked sequences (lb_attention): for each sequence, head and query
 * row, {@code softmax((q · kᵀ) · scale) · v} over that sequence's rows — no padding, no mask.
 * On the CPU or a CUDA device (the operands' device; the two agree to f32 rounding).
 */
public final class Attention {
    private Attention() {}

    /**
     * @param qkv       F32 {@code [tokens, 3 · heads · headDim]}, each row {@code [q | k | v]}
     * @param seqStarts {@code n + 1} ascending row offsets from 0 to tokens (sequence s is rows seqStarts[s] ..
     *                  seqStarts[s+1] − 1)
     * @param out       F32 {@code [tokens, heads · headDim]}
     */
    public static void selfAttention(Tensor qkv, long[] seqStarts, int heads, float scale, Tensor out) {
        selfAttention(qkv, seqStarts, heads, scale, out, null);
    }

    /**
     * As {@link #selfAttention(Tensor, long[], int, float, Tensor)}, queued on {@code stream} (CUDA operands; null:
     * complete on return). seqStarts is read before this returns.
     */
    public static void selfAttention(Tensor qkv, long[] seqStarts, int heads, float scale, Tensor out, CudaStream stream) {
        Objects.requireNonNull(seqStarts, "seqStarts");
        Checks.live("qkv", qkv);
        Checks.live("out", out);
        Checks.f32On("qkv", qkv, qkv.device());
        Checks.f32On("out", out, qkv.device());
        Checks.writable("out", out);
        if (heads < 1) throw new IllegalArgumentException("heads must be >= 1, got " + heads);
        if (qkv.rank() != 2 || qkv.dim(1) % (3L * heads) != 0)
            throw new IllegalArgumentException("qkv has shape " + Arrays.toString(qkv.shape()) + ", expected [tokens, 3 * heads * headDim] with heads = " + heads);
        long tokens = qkv.dim(0), headDim = qkv.dim(1) / (3L * heads);
        if (out.rank() != 2 || out.dim(0) != tokens || out.dim(1) != heads * headDim)
            throw new IllegalArgumentException("out has shape " + Arrays.toString(out.shape()) + ", expected [" + tokens + ", " + heads * headDim + "]");
        Checks.sequenceStarts(seqStarts, tokens, 65536);
        if (!(scale > 0) || Float.isInfinite(scale)) throw new IllegalArgumentException("scale must be finite and > 0, got " + scale);
        Checks.noOverlap("qkv", qkv, "out", out, false);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment starts = call.allocateFrom(ValueLayout.JAVA_LONG, seqStarts);
            Native.attention(qkv.device().index(), Checks.stream(stream, qkv.device()), qkv.segment(), starts, seqStarts.length - 1, heads, headDim, scale,
                    out.segment());
        }
    }
}
