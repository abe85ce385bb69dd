package dev.lowbit;

import java.util.Objects;

/** Where a tensor's memory lives and where kernels on it run: the CPU or a CUDA device. */
public final class Device {
    /** The host CPU. */
    public static final Device CPU = new Device(-1);

    private final int ordinal;

    private Device(int ordinal) {
        this.ordinal = ordinal;
    }

    /** CUDA device {@code index} (0-based). Whether it exists is checked when it is used. */
    public static Device cuda(int index) {
        if (index < 0) throw new IllegalArgumentException("CUDA device index must be >= 0, got " + index);
        return new Device(index);
    }

    /** Parses {@code "cpu"}, {@code "cuda"} (device 0) or {@code "cuda:N"}. */
    public static Device parse(String text) {
        Objects.requireNonNull(text, "device");
        String s = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) return CPU;
        if (s.equals("cuda")) return cuda(0);
        if (s.startsWith("cuda:")) {
            try {
                return cuda(Integer.parseInt(s.substring(5)));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw new IllegalArgumentException("unknown device '" + text + "': expected cpu, cuda or cuda:N");
    }

    public boolean isCpu() {
        return ordinal < 0;
    }

    public boolean isCuda() {
        return ordinal >= 0;
    }

    /** CUDA device index; {@code -1} for the CPU. Also the {@code device} argument of {@code lowbit.h}. */
    public int index() {
        return ordinal;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Device d && d.ordinal == ordinal;
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(ordinal);
    }

    @Override
    public String toString() {
        return isCpu() ? "cpu" : "cuda:" + ordinal;
    }
}
