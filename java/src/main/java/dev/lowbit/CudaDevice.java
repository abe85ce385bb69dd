package dev.lowbit;

/** A CUDA device as the driver describes it. */
public record CudaDevice(int index, String name, int major, int minor, int multiprocessors, long totalMemoryBytes,
                         int memoryBusWidthBits, long l2CacheBytes, long memoryClockKhz) {

    public Device device() {
        return Device.cuda(index);
    }

    /** Compute capability as {@code sm_XY}. */
    public String arch() {
        return "sm_" + major + minor;
    }

    @Override
    public String toString() {
        return String.format("cuda:%d %s (%s, %d SMs, %.1f GiB)", index, name, arch(), multiprocessors,
                totalMemoryBytes / (double) (1L << 30));
    }
}
