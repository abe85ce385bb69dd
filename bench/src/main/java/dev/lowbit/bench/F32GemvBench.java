package dev.lowbit.bench;

import dev.lowbit.Lowbit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The peer of the int4 decode kernels (issue: "≥ 6x faster than an f32 GEMV of the same matrix"):
 * y = W x for one activation row with f32 weights, in plain Java on as many threads as lowbit uses.
 * W is stored k-major ([k][n]) so the inner loop is a contiguous axpy over output columns that the
 * JIT vectorises (a dot-product loop would stay scalar: C2 does not reorder float sums); each thread
 * takes a contiguous range of W's rows (of k) into its own partial y, and the partials are added at
 * the end: every thread streams one contiguous stretch of the weights, as fast as the memory allows
 * (splitting the columns instead made each thread hop between half-rows and ran at ~8 GB/s). Like {@link GemmBench} at decode sizes, calls rotate through weight copies adding
 * up to >= 1 GiB; compare {@code bytes} with {@link Roof#hostCopy} and {@code macs} with
 * {@code GemmBench.w4a16Int8} (m = 1) of the same run.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
@State(Scope.Benchmark)
public class F32GemvBench {
    /** n x k of the weight matrix [out, in], as GemmBench's shapes. */
    @Param({"4096x4096", "14336x4096", "4096x14336", "1536x384"})
    public String shape;

    private int n, k, threads;
    private float[][] w;  // copies, each [k][n] row-major
    private float[] x, y;
    private float[][] partial;
    private int next;
    private ExecutorService pool;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Work {
        public long macs;
        public long bytes;
    }

    @Setup
    public void setup() {
        String[] nk = shape.split("x");
        n = Integer.parseInt(nk[0]);
        k = Integer.parseInt(nk[1]);
        long bytes = 4L * n * k;
        int copies = (int) Math.max(1, Math.min(256, ((1L << 30) + bytes - 1) / bytes));
        SplittableRandom r = new SplittableRandom(1);
        w = new float[copies][];
        for (int c = 0; c < copies; c++) {
            float[] m = new float[n * k];
            for (int i = 0; i < m.length; i++) m[i] = (r.nextInt(2001) - 1000) * 2e-5f;
            w[c] = m;
        }
        x = new float[k];
        for (int i = 0; i < k; i++) x[i] = (float) r.nextGaussian();
        y = new float[n];
        threads = Lowbit.threads();
        partial = new float[threads][n];
        pool = Executors.newFixedThreadPool(threads);
    }

    @TearDown
    public void tearDown() {
        pool.shutdownNow();
    }

    @Benchmark
    public float[] gemv(Work work) throws Exception {
        float[] m = w[next];
        next = (next + 1) % w.length;
        int per = (k + threads - 1) / threads;
        Future<?>[] parts = new Future<?>[threads];
        for (int t = 0; t < threads; t++) {
            int l0 = Math.min(k, t * per), l1 = Math.min(k, l0 + per);
            float[] yt = partial[t];
            parts[t] = pool.submit(() -> axpyRows(m, l0, l1, yt));
        }
        for (Future<?> f : parts) f.get();
        System.arraycopy(partial[0], 0, y, 0, n);
        for (int t = 1; t < threads; t++)
            for (int j = 0; j < n; j++) y[j] += partial[t][j];
        work.macs += (long) n * k;
        work.bytes += 4L * n * k;
        return y;
    }

    /** yt = sum over l in [l0, l1) of x[l] * W[l][:], l ascending. */
    private void axpyRows(float[] m, int l0, int l1, float[] yt) {
        java.util.Arrays.fill(yt, 0f);
        for (int l = l0; l < l1; l++) {
            float xl = x[l];
            int row = l * n;
            for (int j = 0; j < n; j++) yt[j] += xl * m[row + j];
        }
    }
}
