package dev.lowbit.bench;

import dev.lowbit.model.Quant;
import dev.lowbit.model.bert.BertEncoder;
import dev.lowbit.model.bert.RandomBert;
import dev.lowbit.model.bert.RandomSequences;
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
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Sentences per second of the BERT encoder with all-MiniLM-L6-v2's shapes (6 layers, hidden 384) on random weights
 * ({@link RandomBert}), on the CPU or a CUDA device ({@code -p device=cuda}). Throughput depends on shapes only, so this
 * is the model's speed without the 90 MB model file — which is how it runs on the GPU machine; EmbedBench (real
 * model, ONNX Runtime peers) is the CPU comparison. Sentences of 12–64 tokens (RandomSequences), pooling included.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class EncoderBench {
    @Param({"w8a8", "w8a8-rot", "fp8", "w4a16-g128"})
    public String quant;

    @Param({"1", "8", "64"})
    public int batch;

    /** "cpu" or "cuda" (device 0). */
    @Param({"cpu"})
    public String device;

    /**
     * Sentences embedded (the figure to read: sentences per second), and the nanoseconds spent in the encoder's layers
     * (lowbit kernel calls; on a GPU launches + kernels + synchronisation) and in whole calls: kernelNanos / totalNanos
     * is the share of a forward pass in lowbit's kernels (both are reported as rates: nanoseconds per second).
     */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Sentences {
        public long sentences;
        public long kernelNanos;
        public long totalNanos;
    }

    private Arena arena;
    private BertEncoder encoder;
    private final List<int[][]> batches = new ArrayList<>();
    private int next;

    @Setup(Level.Trial)
    public void setup() {
        arena = Arena.ofShared();
        encoder = new BertEncoder(RandomBert.weights(6, 30522, 7), Quant.parse(quant), BenchData.device(device), arena);
        SplittableRandom r = new SplittableRandom(11);
        for (int b = 0; b < 16; b++) batches.add(RandomSequences.of(batch, r));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public float[][] embed(Sentences s) {
        int[][] ids = batches.get(next++ & 15);
        s.sentences += ids.length;
        long[] nanos = new long[2];
        float[][] out = encoder.embed(ids, nanos);
        s.kernelNanos += nanos[0];
        s.totalNanos += nanos[1];
        return out;
    }
}
