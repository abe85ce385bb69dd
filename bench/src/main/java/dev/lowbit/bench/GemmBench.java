package dev.lowbit.bench;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.gemm.Fp8Gemm;
import dev.lowbit.gemm.W4A16;
import dev.lowbit.gemm.W4A4;
import dev.lowbit.gemm.W4A8;
import dev.lowbit.gemm.W8A8;
import dev.lowbit.quant.QuantFormat;
import dev.lowbit.quant.Granularity;
import dev.lowbit.quant.Quantized;
import dev.lowbit.quant.Quantizer;
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
 * W8A8, W4A4, W4A16, FP8 and W4A8 (fp8 activations) GEMM on the CPU (best ISA, all lowbit threads) on Llama-3-8B and MiniLM layer shapes, with
 * the VPDPBUSD and VDPBF16PS roofs measured in the same run ({@link #int8Peak}, {@link #bf16Peak}). Secondary metrics: {@code macs} (multiply-accumulates
 * per second; divide by int8Peak's) and {@code bytes} (weight bytes streamed per second). For decode sizes
 * (m <= 16) each call uses the next of several weight copies adding up to >= 1 GiB, so the weights come from
 * memory, not from this VM's 480 MiB L3: compare {@code bytes} with {@link Roof#hostCopy} of the same run.
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

    /** Output dtype (the model runtime uses F32). */
    @Param({"BF16"})
    public String out;

    private Arena arena;
    private Quantized a;
    private Tensor x;
    private W8A8.Weights[] w8;
    private W4A16.Weights[] w4;
    private Quantized a8, a4;
    private Fp8Gemm.Weights[] wf8;
    private W4A4.Weights[] w44;
    private Tensor y;
    private long macs, w8Bytes, w4Bytes;
    private int next8, next4, nextF8, next44, nextW4F8;

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
        w8Bytes = n * k;
        w8 = new W8A8.Weights[copies(w8Bytes)];
        for (int c = 0; c < w8.length; c++) w8[c] = W8A8.prepack(wq, ws, arena);
        // 4-bit weights: random codes, group 128, F16 scales 1e-3.
        Tensor q4 = random(arena, n, k / 2, 3).reshape(n, k / 2);
        Tensor g4 = Tensor.allocate(arena, DType.F16, Device.CPU, n, k / 128);
        for (long i = 0; i < g4.numel(); i++) g4.segment().setAtIndex(ValueLayout.JAVA_SHORT, i, (short) 0x1419);
        Quantized w4q = new Quantized(QuantFormat.int4(Granularity.group(128)), Tensor.wrap(q4.segment(), DType.I4, n, k), g4, null);
        w4Bytes = n * k / 2 + g4.byteSize();
        w4 = new W4A16.Weights[copies(w4Bytes)];
        for (int c = 0; c < w4.length; c++) w4[c] = W4A16.prepack(w4q, arena);
        Tensor as = Tensor.allocate(arena, DType.F32, Device.CPU, m, 1);
        for (long i = 0; i < m; i++) as.segment().setAtIndex(ValueLayout.JAVA_FLOAT, i, 1e-2f);
        a = new Quantized(QuantFormat.int8(Granularity.PER_ROW), random(arena, m, k, 2), as, null);
        x = BenchData.gaussian(arena, DType.F32, m, k, 4);
        // FP8 E4M3 both sides, per-token x per-channel scales (the usual serving layout).
        try (Arena scratch = Arena.ofConfined()) {
            Quantized wf = Quantizer.quantize(BenchData.gaussian(scratch, DType.F32, n, k, 5), QuantFormat.fp8E4M3(Granularity.PER_ROW), scratch);
            wf8 = new Fp8Gemm.Weights[copies(w8Bytes)];
            for (int c = 0; c < wf8.length; c++) wf8[c] = Fp8Gemm.prepack(wf, arena);
        }
        a8 = Quantizer.quantize(x, QuantFormat.fp8E4M3(Granularity.PER_ROW), arena);
        // W4A4: the same random nibbles as I4 weights with one F32 scale per row; activations I4 per row.
        Quantized w4row = new Quantized(W4A4.FORMAT, Tensor.wrap(q4.segment(), DType.I4, n, k), ws, null);
        w44 = new W4A4.Weights[copies(n * k / 2)];
        for (int c = 0; c < w44.length; c++) w44[c] = W4A4.prepack(w4row, arena);
        a4 = Quantizer.quantize(x, W4A4.FORMAT, arena);
        y = Tensor.allocate(arena, DType.valueOf(out), Device.CPU, m, n);
        macs = m * n * k;
    }

    /** Weight copies for one benchmark: enough for >= 1 GiB at decode sizes, else one. */
    private int copies(long bytes) {
        return m <= 16 ? (int) Math.min(256, Math.max(1, ((1L << 30) + bytes - 1) / bytes)) : 1;
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
        W8A8.matmul(a, w8[next8], null, y);
        next8 = (next8 + 1) % w8.length;
        work.macs += macs;
        work.bytes += w8Bytes;
    }

    @Benchmark
    public void w4a16(Work work) {
        w4a16(work, W4A16.Activations.EXACT);
    }

    /** W4A16 with the activations quantized to int8 per 32 (VPDPBUSD path). */
    @Benchmark
    public void w4a16Int8(Work work) {
        w4a16(work, W4A16.Activations.INT8);
    }

    private void w4a16(Work work, W4A16.Activations activations) {
        W4A16.matmul(x, w4[next4], null, y, activations);
        next4 = (next4 + 1) % w4.length;
        work.macs += macs;
        work.bytes += w4Bytes;
    }

    /** FP8 E4M3 x E4M3, per-row x per-column scales; compare {@code macs} with {@link #bf16Peak}'s. */
    @Benchmark
    public void fp8(Work work) {
        Fp8Gemm.matmul(a8, wf8[nextF8], null, y);
        nextF8 = (nextF8 + 1) % wf8.length;
        work.macs += macs;
        work.bytes += w8Bytes;
    }

    /** W4A4 (int4 x int4, per-row scales); compare {@code macs} with {@link #int8Peak}'s (it runs on VPDPBUSD). */
    @Benchmark
    public void w4a4(Work work) {
        W4A4.matmul(a4, w44[next44], null, y);
        next44 = (next44 + 1) % w44.length;
        work.macs += macs;
        work.bytes += w8Bytes / 2;
    }

    /** int4 weights (group 128) x FP8 E4M3 activations per token; compare {@code macs} with {@link #bf16Peak}'s. */
    @Benchmark
    public void fp8W4a8(Work work) {
        W4A8.matmul(a8, w4[nextW4F8], null, y);
        nextW4F8 = (nextW4F8 + 1) % w4.length;
        work.macs += macs;
        work.bytes += w4Bytes;
    }

    /** The VDPBF16PS roof (the FP8 kernel's): 100 ms of independent chains on every lowbit thread. */
    @Benchmark
    public void bf16Peak(Work work) {
        work.macs += (long) (Fp8Gemm.bf16PeakFlopsPerSecond(100) / 2 * 0.1);
    }

    /** The VPDPBUSD roof: 100 ms of independent VPDPBUSD chains on every lowbit thread. */
    @Benchmark
    public void int8Peak(Work work) {
        work.macs += (long) (W8A8.int8PeakMacsPerSecond(100) * 0.1);
    }
}
