package dev.lowbit.bench;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.convert.Convert;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Input data the benchmarks share. */
final class BenchData {
    private BenchData() {}

    /** The device a benchmark's {@code device} parameter names: "cpu" or "cuda" (device 0). */
    static Device device(String name) {
        return switch (name) {
            case "cpu" -> Device.CPU;
            case "cuda" -> Device.cuda(0);
            default -> throw new IllegalArgumentException("device must be cpu or cuda, got " + name);
        };
    }

    /** {@link #gaussian(Arena, DType, long, long, long)} placed on {@code device} (made on the CPU, then copied). */
    static Tensor gaussian(Arena arena, DType dtype, long rows, long cols, long seed, Device device) {
        Tensor host = gaussian(arena, dtype, rows, cols, seed);
        return device.isCpu() ? host : host.to(device, arena);
    }

    /** A {@code [rows, cols]} CPU tensor of {@code dtype} (F32, F16 or BF16) holding standard normal values. */
    static Tensor gaussian(Arena arena, DType dtype, long rows, long cols, long seed) {
        Tensor f32 = Tensor.allocate(arena, DType.F32, Device.CPU, rows, cols);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i < rows * cols; i++) f32.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rnd.nextGaussian());
        if (dtype == DType.F32) return f32;
        Tensor t = Tensor.allocate(arena, dtype, Device.CPU, rows, cols);
        Convert.convert(f32, t);
        return t;
    }
}
