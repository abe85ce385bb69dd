package dev.lowbit.embedding;

import dev.lowbit.Checks;
import dev.lowbit.CudaStream;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.ffi.Native;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * The two ends of an encoder on lowbit kernels: token ids to input embeddings ({@link #lookup}), and a
 * sequence's hidden states to one unit-length vector ({@link #meanPool}). Sequences are stacked into rows
 * as {@link dev.lowbit.attention.Attention} takes them. On a CUDA device only the ids go over and only the
 * pooled vectors need to come back. F32; the CPU and CUDA give the same bits (lowbit.h, "Embeddings").
 */
public final class Embeddings {
    private Embeddings() {}

    /** As {@link #lookup(Tensor, Tensor, Tensor, int[], long[], Tensor, CudaStream)}, complete on return. */
    public static void lookup(Tensor word, Tensor position, Tensor typeRow, int[] ids, long[] seqStarts, Tensor out) {
        lookup(word, position, typeRow, ids, seqStarts, out, null);
    }

    /**
     * {@code out[t] = (word[ids[t]] + typeRow) + position[t − seqStarts[s]]} for each row t of sequence s (BERT's
     * word + token type + position sum), queued on {@code stream} (CUDA operands; null: complete on return). ids and
     * seqStarts are read before this returns.
     *
     * @param word      F32 {@code [vocab, hidden]}
     * @param position  F32 {@code [maxPositions, hidden]}: no sequence may be longer than maxPositions
     * @param typeRow   F32 {@code [hidden]} (the token type embedding every token gets), or null for none
     * @param ids       one token id per row, each in {@code [0, vocab)}
     * @param seqStarts {@code n + 1} ascending row offsets from 0 to {@code ids.length}, no sequence empty
     * @param out       F32 {@code [ids.length, hidden]}, separate from the tables
     */
    public static void lookup(Tensor word, Tensor position, Tensor typeRow, int[] ids, long[] seqStarts, Tensor out, CudaStream stream) {
        Objects.requireNonNull(ids, "ids");
        Checks.live("word", word);
        Checks.live("position", position);
        Checks.live("out", out);
        if (typeRow != null) Checks.live("typeRow", typeRow);
        Device device = word.device();
        Checks.f32On("word", word, device);
        Checks.f32On("position", position, device);
        Checks.f32On("out", out, device);
        Checks.writable("out", out);
        if (word.rank() != 2 || word.dim(0) < 1 || word.dim(1) < 1)
            throw new IllegalArgumentException("word has shape " + Arrays.toString(word.shape()) + ", expected [vocab, hidden]");
        long vocab = word.dim(0), hidden = word.dim(1);
        if (position.rank() != 2 || position.dim(0) < 1 || position.dim(1) != hidden)
            throw new IllegalArgumentException("position has shape " + Arrays.toString(position.shape()) + ", expected [maxPositions, " + hidden + "]");
        if (typeRow != null) {
            Checks.f32On("typeRow", typeRow, device);
            if (typeRow.rank() != 1 || typeRow.dim(0) != hidden)
                throw new IllegalArgumentException("typeRow has shape " + Arrays.toString(typeRow.shape()) + ", expected [" + hidden + "]");
        }
        if (out.rank() != 2 || out.dim(0) != ids.length || out.dim(1) != hidden)
            throw new IllegalArgumentException("out has shape " + Arrays.toString(out.shape()) + ", expected [" + ids.length + ", " + hidden + "] (ids x hidden)");
        Checks.sequenceStarts(seqStarts, ids.length, position.dim(0));
        for (int t = 0; t < ids.length; t++)
            if (ids[t] < 0 || ids[t] >= vocab)
                throw new IllegalArgumentException("ids[" + t + "] = " + ids[t] + " is outside the vocabulary of " + vocab);
        Checks.noOverlap("word", word, "out", out, false);
        Checks.noOverlap("position", position, "out", out, false);
        if (typeRow != null) Checks.noOverlap("typeRow", typeRow, "out", out, false);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment idSegment = call.allocateFrom(ValueLayout.JAVA_INT, ids);
            MemorySegment starts = call.allocateFrom(ValueLayout.JAVA_LONG, seqStarts);
            Native.embeddingLookup(device.index(), Checks.stream(stream, device), word.segment(), vocab, position.segment(), position.dim(0),
                    typeRow == null ? MemorySegment.NULL : typeRow.segment(), idSegment, starts, seqStarts.length - 1, hidden, out.segment());
        }
    }

    /** As {@link #meanPool(Tensor, long[], boolean, Tensor, CudaStream)}, complete on return. */
    public static void meanPool(Tensor x, long[] seqStarts, boolean normalize, Tensor out) {
        meanPool(x, seqStarts, normalize, out, null);
    }

    /**
     * {@code out[s]} = the mean of x's rows of sequence s, scaled to unit length if {@code normalize} (by
     * {@code 1 / max(norm, 1e-12)}, as sentence-transformers' Normalize), queued on {@code stream} (CUDA operands;
     * null: complete on return). seqStarts is read before this returns.
     *
     * @param x         F32 {@code [tokens, hidden]}
     * @param seqStarts {@code n + 1} ascending row offsets from 0 to tokens, no sequence empty
     * @param out       F32 {@code [n, hidden]}, separate from x
     */
    public static void meanPool(Tensor x, long[] seqStarts, boolean normalize, Tensor out, CudaStream stream) {
        Checks.live("x", x);
        Checks.live("out", out);
        Device device = x.device();
        Checks.f32On("x", x, device);
        Checks.f32On("out", out, device);
        Checks.writable("out", out);
        if (x.rank() != 2 || x.dim(1) < 1)
            throw new IllegalArgumentException("x has shape " + Arrays.toString(x.shape()) + ", expected [tokens, hidden]");
        Checks.sequenceStarts(seqStarts, x.dim(0), 1L << 24);
        long n = seqStarts.length - 1, hidden = x.dim(1);
        if (out.rank() != 2 || out.dim(0) != n || out.dim(1) != hidden)
            throw new IllegalArgumentException("out has shape " + Arrays.toString(out.shape()) + ", expected [" + n + ", " + hidden + "] (sequences x hidden)");
        Checks.noOverlap("x", x, "out", out, false);
        try (Arena call = Arena.ofConfined()) {
            MemorySegment starts = call.allocateFrom(ValueLayout.JAVA_LONG, seqStarts);
            Native.embeddingMeanPool(device.index(), Checks.stream(stream, device), x.segment(), starts, n, hidden, normalize, out.segment());
        }
    }
}
