package dev.lowbit.model.bert;

import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;

import java.lang.foreign.Arena;
import java.lang.ref.Cleaner;
import java.util.HashMap;
import java.util.Map;

/**
 * Buffers of the calling thread on each device, grown on demand and reused across calls (contents
 * are not cleared). Allocating them per call meant zero-filling and, past malloc's mmap threshold,
 * page-faulting megabytes the kernels overwrite anyway: at batch 64 that cost two thirds of a w8a8
 * forward pass (on a GPU, a cudaMalloc per call would cost more still). Memory of automatic arenas,
 * released once the thread and its buffers are gone (CUDA memory too: the arena frees it).
 */
final class ThreadScratch {
    /**
     * The slots: each user has its own, so buffers in use at the same time never alias. X, CODES,
     * SCALES: a linear layer's modified input and quantized activations; HIDDEN .. FFN: the
     * encoder's activations (hidden state, q|k|v, attention context, a projection's output, the
     * FFN's middle); POOLED: the sentence vectors; STAGING: their host copy when they come back from a GPU.
     */
    static final int X = 0, CODES = 1, SCALES = 2, HIDDEN = 3, QKV = 4, CONTEXT = 5, PROJECTED = 6, FFN = 7, POOLED = 8, STAGING = 9;
    private static final int SLOTS = 10;

    private static final ThreadLocal<Map<Device, Tensor[]>> BUFFERS = ThreadLocal.withInitial(HashMap::new);
    private static final ThreadLocal<Map<Device, CudaStream>> STREAMS = ThreadLocal.withInitial(HashMap::new);
    private static final Cleaner CLEANER = Cleaner.create();

    private ThreadScratch() {}

    /** At least {@code bytes} bytes (a U8 tensor, 64-byte aligned on the CPU) in the calling thread's buffer {@code slot} on device. */
    static Tensor get(int slot, long bytes, Device device) {
        Tensor[] buffers = BUFFERS.get().computeIfAbsent(device, d -> new Tensor[SLOTS]);
        Tensor b = buffers[slot];
        if (b == null || b.byteSize() < bytes) {
            b = Tensor.allocate(Arena.ofAuto(), DType.U8, device, Math.max(64, bytes + bytes / 4));
            buffers[slot] = b;
        }
        return b;
    }

    /** A {@code dtype} tensor of {@code shape} over the calling thread's buffer {@code slot} on device. */
    static Tensor of(int slot, Device device, DType dtype, long... shape) {
        long count = 1;
        for (long d : shape) count *= d;
        return get(slot, dtype.byteSize(count), device).view(dtype, shape);
    }

    /**
     * The calling thread's stream on CUDA device {@code device}, created on first use and destroyed once the thread (and
     * with it this map) is gone: the thread's work on its buffers stays in order without a host round trip per call.
     */
    static CudaStream stream(Device device) {
        Map<Device, CudaStream> streams = STREAMS.get();
        CudaStream s = streams.get(device);
        if (s == null) {
            s = CudaStream.create(device);
            streams.put(device, s);
            CLEANER.register(streams, s::close);
        }
        return s;
    }

    /** An F32 [rows, cols] tensor over the calling thread's buffer {@code slot} on device. */
    static Tensor f32(int slot, Device device, long rows, long cols) {
        return of(slot, device, DType.F32, rows, cols);
    }
}
