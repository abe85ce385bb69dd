package dev.lowbit.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.lowbit.Lowbit;
import dev.lowbit.embed.Embedder;
import dev.lowbit.model.Quant;
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

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Sentence embeddings per second, all-MiniLM-L6-v2, lowbit's modes against ONNX Runtime running
 * the fp32 model and LangChain4j's int8 model, in one JMH run on the same threads (ONNX Runtime's
 * intra-op threads = lowbit's threads). Sentences of 12–64 tokens; ONNX Runtime gets each batch
 * padded to its longest sentence with an attention mask (how it is normally fed), lowbit stacks
 * the tokens without padding. Mean pooling + L2 normalisation are included for both.
 *
 * <p>Needs ONNX Runtime and the int8 model on the class path: run through {@code bench/embed.sh}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Benchmark)
public class EmbedBench {
    @Param({"lowbit:f32", "lowbit:w8a8", "lowbit:w8a8-rot", "lowbit:w4a16-g32", "lowbit:w4a8-g32-rot", "ort:fp32", "ort:int8"})
    public String engine;

    @Param({"1", "8", "64"})
    public int batch;

    /** Sentences embedded (the figure to read: sentences per second). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Sentences {
        public long sentences;
    }

    private Embedder lowbit;
    private OrtEnvironment env;
    private OrtSession ort;
    private final List<int[][]> batches = new ArrayList<>();
    private int next;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        String[] e = engine.split(":", 2);
        lowbit = Embedder.load(e[0].equals("lowbit") ? Quant.parse(e[1]) : Quant.F32);
        if (e[0].equals("ort")) {
            env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions o = new OrtSession.SessionOptions();
            o.setIntraOpNumThreads(Lowbit.threads());
            o.setInterOpNumThreads(1);
            String file = e[1].equals("int8") ? "/all-minilm-l6-v2-q.onnx" : Embedder.MINILM_ONNX;
            try (InputStream in = EmbedBench.class.getResourceAsStream(file)) {
                if (in == null) throw new IllegalStateException(file + " is not on the class path: run through bench/embed.sh");
                ort = env.createSession(in.readAllBytes(), o);
            }
        }
        SplittableRandom r = new SplittableRandom(11);
        for (int b = 0; b < 16; b++) {
            int[][] ids = RandomSequences.of(batch, r);
            batches.add(ids);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (ort != null) ort.close();
        lowbit.close();
    }

    @Benchmark
    public float[][] embed(Sentences s) throws OrtException {
        int[][] ids = batches.get(next++ & 15);
        s.sentences += ids.length;
        return ort == null ? lowbit.embedTokens(ids) : ortEmbed(ids);
    }

    private float[][] ortEmbed(int[][] ids) throws OrtException {
        int n = ids.length, len = 0;
        for (int[] s : ids) len = Math.max(len, s.length);
        long[][] input = new long[n][len], mask = new long[n][len], types = new long[n][len];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < ids[i].length; t++) {
                input[i][t] = ids[i][t];
                mask[i][t] = 1;
            }
        try (OnnxTensor a = OnnxTensor.createTensor(env, input); OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = ort.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            float[][][] h = (float[][][]) r.get(0).getValue();
            float[][] out = new float[n][];
            for (int i = 0; i < n; i++) {
                int d = h[i][0].length;
                double[] acc = new double[d];
                for (int t = 0; t < ids[i].length; t++) for (int j = 0; j < d; j++) acc[j] += h[i][t][j];
                double norm = 0;
                for (double v : acc) norm += v * v;
                out[i] = new float[d];
                for (int j = 0; j < d; j++) out[i][j] = (float) (acc[j] / Math.sqrt(norm));
            }
            return out;
        }
    }
}
