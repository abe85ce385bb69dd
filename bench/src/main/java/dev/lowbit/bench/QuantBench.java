package dev.lowbit.bench;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;

/**
 * Quantize and dequantize on the CPU (best ISA, all lowbit threads). Memory-bound: {@code bytes}
 * counts the float data + codes + scales (+ zeros) once, so the rate divides by {@link Roof#hostCopy}
 * of the same run. Default matrix 16384 × 16384 F32 = 1 GiB of floats.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class QuantBench {
    @Param({"int8-row", "int8-g128", "int4-g128", "uint4-g128", "fp8e4m3-row", "fp8e4m3-g128", "fp8e4m3-block128"})
    public String format;

    @Param({"F32"})
    public String dtype;

    @Param({"16384"})
    public long rows;

    @Param({"16384"})
    public long cols;

    /** "cpu" or "cuda" (device 0; compare with Roof.deviceCopy of the same run). */
    @Param({"cpu"})
    public String device;

    private Arena arena;
    private Tensor x, y;
    private Quantized q;
    private long bytes;

    static QuantFormat parse(String name) {
        return switch (name) {
            case "int8-row" -> QuantFormat.int8(Granularity.PER_ROW);
            case "int8-g128" -> QuantFormat.int8(Granularity.group(128));
            case "int4-g128" -> QuantFormat.int4(Granularity.group(128));
            case "uint4-g128" -> QuantFormat.uint4(Granularity.group(128));
            case "fp8e4m3-row" -> QuantFormat.fp8E4M3(Granularity.PER_ROW);
            case "fp8e4m3-g128" -> QuantFormat.fp8E4M3(Granularity.group(128));  // DeepSeek-V3's 1 x 128 activation blocks
            case "fp8e4m3-block128" -> QuantFormat.fp8E4M3(Granularity.block(128, 128));
            // With the MSE clip search (-p format=...; not in the default set: compute-bound, ~15x a plain quantize).
            case "int4-g128-mse" -> QuantFormat.int4(Granularity.group(128)).withMseClip();
            case "uint4-g32-mse" -> QuantFormat.uint4(Granularity.group(32)).withZeroDtype(DType.F16).withMseClip();
            case "fp8e4m3-g128-mse" -> QuantFormat.fp8E4M3(Granularity.group(128)).withMseClip();
            default -> throw new IllegalArgumentException("unknown format " + name);
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        DType t = DType.valueOf(dtype);
        Device d = BenchData.device(device);
        x = BenchData.gaussian(arena, t, rows, cols, 1, d);
        q = Quantizer.quantize(x, parse(format), arena);
        y = Tensor.allocate(arena, t, d, rows, cols);
        bytes = x.byteSize() + q.q().byteSize() + q.scales().byteSize() + (q.zeros() == null ? 0 : q.zeros().byteSize());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void quantize(Roof.Traffic t) {
        Quantizer.quantize(x, q, null);
        t.bytes += bytes;
    }

    @Benchmark
    public void dequantize(Roof.Traffic t) {
        Quantizer.dequantize(q, y);
        t.bytes += bytes;
    }
}
