package dev.lowbit;

import dev.lowbit.ffi.Native;

import java.lang.foreign.MemorySegment;

/**
 * A CUDA stream: operations given one run asynchronously in order on it; {@link #synchronize()} waits
 * for them. Operations without a stream complete before they return.
 */
public final class CudaStream implements AutoCloseable {
    private final Device device;
    private MemorySegment handle;

    private CudaStream(Device device, MemorySegment handle) {
        this.device = device;
        this.handle = handle;
    }

    /** A new non-blocking stream on CUDA device {@code device}; fails with {@link LowbitException} (NO_CUDA) without one. */
    public static CudaStream create(Device device) {
        if (!device.isCuda()) throw new IllegalArgumentException("streams exist on CUDA devices only, got " + device);
        return new CudaStream(device, Native.cudaStreamCreate(device.index()));
    }

    public Device device() {
        return device;
    }

    /** The native {@code lb_stream}. */
    public synchronized MemorySegment handle() {
        if (handle == null) throw new IllegalStateException("stream on " + device + " is closed");
        return handle;
    }

    /** Waits until everything queued on this stream is done; reports asynchronous kernel errors. */
    public void synchronize() {
        Native.cudaStreamSynchronize(handle());
    }

    @Override
    public synchronized void close() {
        if (handle != null) {
            MemorySegment h = handle;
            handle = null;
            Native.cudaStreamDestroy(h);
        }
    }
}
