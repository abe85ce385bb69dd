package dev.lowbit.bench;

import dev.lowbit.CudaStream;
import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.activation.Gelu;
import dev.lowbit.embedding.Embeddings;
import dev.lowbit.norm.LayerNorm;
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
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The encoder's memory-bound f32 kernels on a [tokens, hidden] hidden state of {@code mib} MiB (default 1 GiB:
 * beyond the VM's 480 MiB L3): layer norm with the residual add (in place over the residual, as the encoder
 * runs it), GELU (out of place), the embedding lookup (MiniLM's 30 522-word table, random ids, sequences of 32) and
 * mean pooling with normalisation. {@code bytes} counts each element read and written once, so the rate divides
 * by {@link Roof#hostCopy} (or {@link Roof#deviceCopy}) of the same run. Attention, the compute-bound one, is
 * measured inside {@link EncoderBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class EncoderOpsBench {
    @Param({"1024"})
    public long mib;

    @Param({"384"})
    public int hidden;

    /** "cpu" or "cuda" (device 0; compare with Roof.deviceCopy of the same run). */
    @Param({"cpu"})
    public String device;

    private static final int VOCAB = 30522, MAX_POSITIONS = 512, SEQUENCE = 32;

    private Arena arena;
    private Tensor x, residual, gamma, beta, word, position, typeRow, pooled;
    private int[] ids;
    private long[] starts;
    private CudaStream stream;
    private long tokens;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        Device d = BenchData.device(device);
        tokens = (mib << 20) / (4L * hidden) / SEQUENCE * SEQUENCE;
        x = BenchData.gaussian(arena, DType.F32, tokens, hidden, 1, d);
        residual = BenchData.gaussian(arena, DType.F32, tokens, hidden, 2, d);
        gamma = BenchData.gaussian(arena, DType.F32, 1, hidden, 3, d).reshape(hidden);
        beta = BenchData.gaussian(arena, DType.F32, 1, hidden, 4, d).reshape(hidden);
        word = BenchData.gaussian(arena, DType.F32, VOCAB, hidden, 5, d);
        position = BenchData.gaussian(arena, DType.F32, MAX_POSITIONS, hidden, 6, d);
        typeRow = BenchData.gaussian(arena, DType.F32, 1, hidden, 7, d).reshape(hidden);
        pooled = Tensor.allocate(arena, DType.F32, d, tokens / SEQUENCE, hidden);
        ids = new SplittableRandom(8).ints((int) tokens, 0, VOCAB).toArray();
        starts = new long[(int) (tokens / SEQUENCE) + 1];
        for (int s = 1; s < starts.length; s++) starts[s] = starts[s - 1] + SEQUENCE;
        stream = d.isCpu() ? null : CudaStream.create(d);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (stream != null) stream.close();
        arena.close();
    }

    private void done() {
        if (stream != null) stream.synchronize();
    }

    @Benchmark
    public void layerNorm(Roof.Traffic t) {
        LayerNorm.apply(x, residual, gamma, beta, 1e-12f, residual, stream);
        done();
        t.bytes += 3 * x.byteSize();
    }

    /** x into residual, not in place: repeated in place, GELU halves negative values towards subnormals, whose slow
     *  arithmetic on x86 then made the rate wander (0.68 +- 0.97 of copy in a first run). */
    @Benchmark
    public void gelu(Roof.Traffic t) {
        Gelu.apply(x, residual, stream);
        done();
        t.bytes += 2 * x.byteSize();
    }

    @Benchmark
    public void lookup(Roof.Traffic t) {
        Embeddings.lookup(word, position, typeRow, ids, starts, x, stream);
        done();
        t.bytes += 3 * x.byteSize();  // a word row and a position row read, a row written, per token
    }

    @Benchmark
    public void meanPool(Roof.Traffic t) {
        Embeddings.meanPool(x, starts, true, pooled, stream);
        done();
        t.bytes += x.byteSize() + pooled.byteSize();
    }
}
