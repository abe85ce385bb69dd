package dev.lowbit.support;

import dev.lowbit.Lowbit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** GPU tests skip, with the reason visible in the report, where no CUDA device is usable. */
public final class Gpu {
    private Gpu() {}

    public static void assumeCudaDevice() {
        assumeTrue(Lowbit.cudaDeviceCount() > 0, () -> "skipped: " + Lowbit.cudaStatus());
    }
}
