package dev.lowbit.bench;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.hadamard.Hadamard;
import dev.lowbit.hadamard.HadamardOptions;
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
 * Randomised, orthonormal Hadamard rotation of every row of a {@code [rows, n]} matrix on the CPU (best ISA, all
 * lowbit threads) or a CUDA device ({@code -p device=cuda}; calls on CUDA are synchronous), out of place, and the
 * fused rotate + per-row quantize. Memory-bound: {@code bytes} counts
 * input + output once, so the rate divides by {@link Roof#hostCopy} of the same run; the fused/plain cost ratio
 * is the ratio of their op rates. rows is chosen so that x is {@code mib} MiB (x + y >= 1 GiB by default: past
 * this machine's 480 MiB L3).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class HadamardBench {
    /** Row lengths: powers of two, and m * 2^k sizes of real models (MiniLM 384/1536, Llama-3 FFN 14336). */
    @Param({"128", "1024", "4096", "16384", "32768", "384", "1536", "14336"})
    public long n;

    @Param({"F32", "BF16"})
    public String dtype;

    /** Size of x in MiB. */
    @Param({"512"})
    public long mib;

    /** "cpu" or "cuda" (device 0; compare with Roof.deviceCopy of the same run). */
    @Param({"cpu"})
    public String device;

    private Arena arena;
    private Tensor x, y;
    private Quantized q8, q4;
    private long rotateBytes, int8Bytes, int4Bytes;
    private final HadamardOptions options = HadamardOptions.randomized(1);

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        DType t = DType.valueOf(dtype);
        long rows = Math.max(1, (mib << 20) / (n * t.bits() / 8));
        Device d = BenchData.device(device);
        x = BenchData.gaussian(arena, t, rows, n, 1, d);
        y = Tensor.allocate(arena, t, d, rows, n);
        Hadamard.rotate(x, y, options);
        q8 = Quantizer.allocate(QuantFormat.int8(Granularity.PER_ROW), rows, n, d, arena);
        q4 = Quantizer.allocate(QuantFormat.int4(Granularity.PER_ROW), rows, n, d, arena);
        rotateBytes = x.byteSize() + y.byteSize();
        int8Bytes = x.byteSize() + q8.q().byteSize() + q8.scales().byteSize();
        int4Bytes = x.byteSize() + q4.q().byteSize() + q4.scales().byteSize();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void rotate(Roof.Traffic t) {
        Hadamard.rotate(x, y, options);
        t.bytes += rotateBytes;
    }

    @Benchmark
    public void rotateQuantizeInt8(Roof.Traffic t) {
        Hadamard.rotateQuantize(x, options, q8, null);
        t.bytes += int8Bytes;
    }

    @Benchmark
    public void rotateQuantizeInt4(Roof.Traffic t) {
        Hadamard.rotateQuantize(x, options, q4, null);
        t.bytes += int4Bytes;
    }
}
