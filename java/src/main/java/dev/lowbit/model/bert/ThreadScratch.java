package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Native buffers of the calling thread, grown on demand and reused across calls (contents are not
 * cleared). Allocating them per call meant zero-filling and, past malloc's mmap threshold,
 * page-faulting megabytes the kernels overwrite anyway: at batch 64 that cost two thirds of a w8a8
 * forward pass. Memory of automatic arenas, released once the thread and its buffers are gone.
 */
final class ThreadScratch {
    /**
     * The slots: each user has its own, so buffers in use at the same time never alias. X, CODES,
     * SCALES: a linear layer's modified input and quantized activations; the rest: the encoder's
     * activations (hidden state, q|k|v, attention context, a projection's output, the FFN's middle).
     */
    static final int X = 0, CODES = 1, SCALES = 2, HIDDEN = 3, QKV = 4, CONTEXT = 5, PROJECTED = 6, FFN = 7;

    private static final ThreadLocal<MemorySegment[]> BUFFERS = ThreadLocal.withInitial(() -> new MemorySegment[8]);

    private ThreadScratch() {}

    /** At least {@code bytes} bytes (64-byte aligned) in the calling thread's buffer {@code slot}. */
    static MemorySegment get(int slot, long bytes) {
        MemorySegment[] buffers = BUFFERS.get();
        MemorySegment b = buffers[slot];
        if (b == null || b.byteSize() < bytes) {
            b = Arena.ofAuto().allocate(Math.max(64, bytes + bytes / 4), 64);
            buffers[slot] = b;
        }
        return b;
    }

    /** An F32 [rows, cols] tensor over the calling thread's buffer {@code slot}. */
    static Tensor f32(int slot, long rows, long cols) {
        return Tensor.wrap(get(slot, rows * cols * Float.BYTES), DType.F32, rows, cols);
    }
}
