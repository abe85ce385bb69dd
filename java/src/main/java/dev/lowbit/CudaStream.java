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

    /**
     * A stream that another CUDA library owns ({@code cudaStream}: the address of its {@code cudaStream_t} on
     * {@code device}), so lowbit's work runs in order with that library's. Closing it releases only lowbit's
     * wrapper; the stream itself must outlive it and is destroyed by its owner.
     */
    public static CudaStream wrap(Device device, long cudaStream) {
        if (!device.isCuda()) throw new IllegalArgumentException("streams exist on CUDA devices only, got " + device);
        if (cudaStream == 0) throw new IllegalArgumentException("cudaStream is 0 (NULL); operations without a stream use the default stream");
        return new CudaStream(device, Native.cudaStreamWrap(device.index(), cudaStream));
    }

    public Device device() {
        return device;
    }

    /** The native {@code lb_stream}. */
    public synchronized MemorySegment handle() {
        if (handle == null) throw new IllegalStateException("stream on " + device + " is closed");
        return handle;
    }

    /**
     * Waits until everything queued on this stream is done; reports asynchronous kernel errors, and the checks of the
     * quantizations queued on it (NaN/Inf input, overflowing scales: the first failing one, as a {@link LowbitException}).
     */
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
