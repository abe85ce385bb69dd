package dev.lowbit.bench;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.gemm.W8A8;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Quantized;
import org.openjdk.jmh.annotations.AuxCounters;
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
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * W8A8 GEMM on the CPU (best ISA, all lowbit threads) on Llama-3-8B and MiniLM layer shapes, with the VPDPBUSD
 * roof measured in the same run ({@link #int8Peak}). Secondary metrics: {@code macs} (multiply-accumulates per
 * second; divide by int8Peak's) and {@code bytes} (weight bytes streamed per second: the decode roof is the host
 * copy bandwidth).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class GemmBench {
    /** n x k of the weight matrix [out, in]. */
    @Param({"4096x4096", "14336x4096", "4096x14336", "1536x384", "384x1536"})
    public String shape;

    @Param({"1", "16", "256", "2048"})
    public int m;

    private Arena arena;
    private Quantized a;
    private W8A8.Weights w;
    private Tensor out;
    private long macs, weightBytes;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Work {
        public long macs;
        public long bytes;
    }

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        String[] nk = shape.split("x");
        long n = Long.parseLong(nk[0]), k = Long.parseLong(nk[1]);
        Tensor wq = random(arena, n, k, 1);
        Tensor ws = Tensor.allocate(arena, DType.F32, Device.CPU, n, 1);
        for (long i = 0; i < n; i++) ws.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, 1e-3f);
        w = W8A8.prepack(wq, ws, arena);
        Tensor as = Tensor.allocate(arena, DType.F32, Device.CPU, m, 1);
        for (long i = 0; i < m; i++) as.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, 1e-2f);
        a = new Quantized(QuantFormat.int8(Granularity.PER_ROW), random(arena, m, k, 2), as, null);
        out = Tensor.allocate(arena, DType.BF16, Device.CPU, m, n);
        macs = m * n * k;
        weightBytes = n * k;
    }

    private static Tensor random(Arena arena, long rows, long cols, long seed) {
        Tensor t = Tensor.allocate(arena, DType.I8, Device.CPU, rows, cols);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < rows * cols; i++) t.segment().set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt(256));
        return t;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void w8a8(Work work) {
        W8A8.matmul(a, w, null, out);
        work.macs += macs;
        work.bytes += weightBytes;
    }

    /** The VPDPBUSD roof: 100 ms of independent VPDPBUSD chains on every lowbit thread. */
    @Benchmark
    public void int8Peak(Work work) {
        work.macs += (long) (W8A8.int8PeakMacsPerSecond(100) * 0.1);
    }
}
