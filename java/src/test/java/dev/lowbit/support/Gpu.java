package dev.lowbit.support;

import dev.lowbit.Device;
import dev.lowbit.Lowbit;
import dev.lowbit.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** GPU tests skip, with the reason visible in the report, where no CUDA device is usable. */
public final class Gpu {
    private Gpu() {}

    public static void assumeCudaDevice() {
        assumeTrue(Lowbit.cudaDeviceCount() > 0, () -> "skipped: " + Lowbit.cudaStatus());
    }

    /** The bytes of a tensor of any dtype on any device, copied to the host: what GPU tests compare with the CPU's. */
    public static byte[] hostBytes(Tensor t, Arena arena) {
        return t.to(Device.CPU, arena).segment().toArray(ValueLayout.JAVA_BYTE);
    }
}
