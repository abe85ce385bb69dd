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
 * JIT vectorises (a dot-product loop would stay scalar: C2 does not reorder float sums), and the
 * columns are split between the threads: the loop streams the weights once, as fast as the
 * memory allows. Like {@link GemmBench} at decode sizes, calls rotate through weight copies adding
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
        int per = (n + threads - 1) / threads;
        Future<?>[] parts = new Future<?>[threads];
        for (int t = 0; t < threads; t++) {
            int j0 = Math.min(n, t * per), j1 = Math.min(n, j0 + per);
            parts[t] = pool.submit(() -> axpyColumns(m, j0, j1));
        }
        for (Future<?> f : parts) f.get();
        work.macs += (long) n * k;
        work.bytes += 4L * n * k;
        return y;
    }

    /** y[j0, j1) = sum over l of x[l] * W[l][j], l ascending. */
    private void axpyColumns(float[] m, int j0, int j1) {
        java.util.Arrays.fill(y, j0, j1, 0f);
        for (int l = 0; l < k; l++) {
            float xl = x[l];
            int row = l * n;
            for (int j = j0; j < j1; j++) y[j] += xl * m[row + j];
        }
    }
}
