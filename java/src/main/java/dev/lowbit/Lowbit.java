package dev.lowbit;

import dev.lowbit.ffi.Native;
import dev.lowbit.ffi.NativeLibrary;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The library as a whole: version, CPU features and kernel variant, threads, CUDA devices. */
public final class Lowbit {
    private Lowbit() {}

    /** Version of the native library, e.g. {@code 0.1.0}. */
    public static String version() {
        return Native.version();
    }

    /** Compiler, kernel variants and CUDA architectures the native library was built with. */
    public static String buildInfo() {
        return Native.buildInfo();
    }

    /** Where the native library was loaded from (loading it if needed). */
    public static Path libraryPath() {
        return NativeLibrary.ensureLoaded();
    }

    public static Set<CpuFeature> cpuFeatures() {
        return CpuFeature.fromMask(Native.cpuFeatures());
    }

    /** The best kernel variant this CPU can run. */
    public static Isa bestIsa() {
        return Isa.ofCode(Native.cpuBestIsa());
    }

    /** The kernel variant in use (the best one, unless lowered by {@link #setIsa} or {@code LOWBIT_ISA}). */
    public static Isa isa() {
        return Isa.ofCode(Native.cpuIsa());
    }

    /** Chooses the CPU kernel variant, process-wide; fails with {@link LowbitException} (UNSUPPORTED) if the CPU lacks it. */
    public static void setIsa(Isa isa) {
        Native.cpuSetIsa(isa.code());
    }

    /** Threads CPU kernels use, the caller included. */
    public static int threads() {
        return Native.numThreads();
    }

    /** Sets the threads CPU kernels use; 0 means one per hardware thread. */
    public static void setThreads(int n) {
        if (n < 0) throw new IllegalArgumentException("threads must be >= 0 (0 = one per hardware thread), got " + n);
        Native.setNumThreads(n);
    }

    /** Whether this library contains CUDA kernels. */
    public static boolean cudaBuilt() {
        return Native.cudaBuilt();
    }

    /** CUDA architectures built into the library, e.g. {@code 80-real;89-real;90a-real;90-virtual}. */
    public static String cudaArchs() {
        return Native.cudaArchs();
    }

    /** Number of usable CUDA devices: 0 without a build with CUDA, a driver or a GPU. */
    public static int cudaDeviceCount() {
        return Native.cudaDeviceCount();
    }

    /** Why CUDA is or is not usable, e.g. {@code "no CUDA device: CUDA driver not found (...)"}. */
    public static String cudaStatus() {
        return Native.cudaStatus();
    }

    public static List<CudaDevice> cudaDevices() {
        List<CudaDevice> list = new ArrayList<>();
        for (int i = 0, n = cudaDeviceCount(); i < n; i++) {
            Native.CudaProps p = Native.cudaDeviceProps(i);
            list.add(new CudaDevice(i, p.name(), p.major(), p.minor(), p.multiprocessors(), p.totalMemoryBytes(),
                    p.memoryBusWidthBits(), p.l2CacheBytes(), p.memoryClockKhz()));
        }
        return list;
    }

    /** Waits until all work on {@code device} is done (no-op on the CPU, whose kernels are synchronous). */
    public static void synchronize(Device device) {
        if (device.isCuda()) Native.cudaDeviceSynchronize(device.index());
    }

    /** For the AVX512 variant on a CPU without some of the features a few of its kernels use (Skylake-SP, Cascade
     *  Lake, Ice Lake): which, since those kernels then run their AVX2 form. Empty otherwise. */
    static String avx512Without() {
        if (isa() != Isa.AVX512) return "";
        Set<CpuFeature> f = cpuFeatures();
        String missing = Stream.of(CpuFeature.AVX512_VNNI, CpuFeature.AVX512_BF16, CpuFeature.AVX512_VBMI)
                .filter(c -> !f.contains(c)).map(Enum::name).collect(Collectors.joining(", "));
        return missing.isEmpty() ? "" : "; without " + missing + ": the kernels using them run their AVX2 form";
    }

    /** A human-readable summary: version, build, library path, CPU, threads, CUDA. */
    public static String info() {
        StringBuilder sb = new StringBuilder();
        sb.append("lowbit ").append(version()).append('\n');
        sb.append("build:       ").append(buildInfo()).append('\n');
        sb.append("library:     ").append(libraryPath()).append('\n');
        sb.append("java:        ").append(System.getProperty("java.vm.name")).append(' ').append(Runtime.version()).append('\n');
        sb.append("cpu:         ").append(cpuFeatures().stream().map(Enum::name).collect(Collectors.joining(" "))).append('\n');
        sb.append("cpu kernels: ").append(isa().name().toLowerCase()).append(" (best: ").append(bestIsa().name().toLowerCase())
                .append(avx512Without()).append("), ").append(threads()).append(" threads\n");
        List<CudaDevice> devices = cudaDevices();
        sb.append("cuda:        ").append(cudaStatus()).append('\n');
        for (CudaDevice d : devices) sb.append("             ").append(d).append('\n');
        return sb.toString();
    }
}
