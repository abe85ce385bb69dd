package dev.lowbit.model.bert;

import dev.lowbit.DType;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.attention.Attention;
import dev.lowbit.model.Quant;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A BERT encoder forward pass with mean pooling and L2 normalisation (sentence-transformers'
 * recipe), over a batch of token id sequences. The tokens of all sequences are stacked into one
 * [tokens, hidden] matrix, so the linear layers (q/k/v fused into one) run as a few large GEMMs
 * with no padding; attention runs per sequence and head. Thread-safe.
 */
public final class BertEncoder {
    private final BertWeights w;
    private final List<Block> blocks = new ArrayList<>();

    private record Block(LinearOp qkv, LinearOp o, BertWeights.LayerNorm norm1, LinearOp up, LinearOp down, BertWeights.LayerNorm norm2) {}

    /** The linear layers of an encoder layer, for per-layer quantization choices. */
    public enum Part { QKV, ATTENTION_OUT, FFN_UP, FFN_DOWN }

    /** Chooses the quantization of each linear layer: (layer index, part) -> mode. */
    @FunctionalInterface
    public interface Plan {
        Quant of(int layer, Part part);
    }

    /** Builds each linear layer: (layer index, part, fp32 weights) -> op. */
    @FunctionalInterface
    interface Factory {
        LinearOp make(int layer, Part part, BertWeights.Linear lin);
    }

    /** Every linear layer as {@code quant} says (GPTQ and AWQ modes calibrate first: see {@link Calibration}). */
    public BertEncoder(BertWeights weights, Quant quant, Arena arena) {
        this(weights, factory(weights, quant, arena));
    }

    public BertEncoder(BertWeights weights, Plan plan, Arena arena) {
        this(weights, (layer, part, lin) -> LinearOp.of(lin, plan.of(layer, part), arena));
    }

    BertEncoder(BertWeights weights, Factory factory) {
        this.w = weights;
        for (int i = 0; i < weights.layers().size(); i++) {
            BertWeights.Layer l = weights.layers().get(i);
            blocks.add(new Block(factory.make(i, Part.QKV, concatColumns(l.q(), l.k(), l.v())), factory.make(i, Part.ATTENTION_OUT, l.o()),
                    l.attentionNorm(), factory.make(i, Part.FFN_UP, l.up()), factory.make(i, Part.FFN_DOWN, l.down()), l.outputNorm()));
        }
    }

    private static Factory factory(BertWeights weights, Quant quant, Arena arena) {
        if (!quant.calibrated()) return (layer, part, lin) -> LinearOp.of(lin, quant, arena);
        var hessians = Calibration.hessians(weights);
        return (layer, part, lin) -> new W4A16Linear(lin, quant, hessians.get(new Calibration.Key(layer, part)), arena);
    }

    public int dimension() {
        return w.hidden();
    }

    public int maxPositions() {
        return w.maxPositions();
    }

    /** Unit-length sentence embeddings, one per id sequence (each non-empty, at most maxPositions long, ids in the vocabulary). */
    public float[][] embed(int[][] ids) {
        int n = ids.length, h = w.hidden();
        int[] start = new int[n + 1];
        for (int s = 0; s < n; s++) {
            int len = ids[s].length;
            if (len == 0 || len > w.maxPositions())
                throw new IllegalArgumentException("sequence " + s + " has " + len + " tokens; expected 1.." + w.maxPositions());
            for (int id : ids[s])
                if (id < 0 || id >= w.vocab()) throw new IllegalArgumentException("sequence " + s + ": token id " + id + " outside the vocabulary of " + w.vocab());
            start[s + 1] = start[s] + len;
        }
        int t = start[n];
        long[] starts = new long[n + 1];  // lb_attention's sequence offsets, the same for every layer
        for (int s = 0; s <= n; s++) starts[s] = start[s];
        float[] x = new float[t * h];
        for (int s = 0; s < n; s++)
            for (int p = 0; p < ids[s].length; p++) {
                int row = (start[s] + p) * h, word = ids[s][p] * h, pos = p * h;
                for (int j = 0; j < h; j++) x[row + j] = w.wordEmbeddings()[word + j] + w.tokenTypeEmbeddings()[j] + w.positionEmbeddings()[pos + j];
            }
        layerNorm(x, t, w.embeddingNorm());
        float[] qkv = new float[t * 3 * h], ctx = new float[t * h], tmp = new float[t * h];
        float[] mid = new float[t * (blocks.isEmpty() ? 0 : blocks.get(0).up().out())];
        for (Block b : blocks) {
            b.qkv().apply(x, t, qkv);
            attention(qkv, starts, ctx);
            b.o().apply(ctx, t, tmp);
            addInPlace(x, tmp);
            layerNorm(x, t, b.norm1());
            if (mid.length != t * b.up().out()) mid = new float[t * b.up().out()];
            b.up().apply(x, t, mid);
            Gelu.apply(mid);
            b.down().apply(mid, t, tmp);
            addInPlace(x, tmp);
            layerNorm(x, t, b.norm2());
        }
        float[][] out = new float[n][h];
        for (int s = 0; s < n; s++) {
            double[] acc = new double[h];
            for (int r = start[s]; r < start[s + 1]; r++)
                for (int j = 0; j < h; j++) acc[j] += x[r * h + j];
            double norm = 0;
            int len = start[s + 1] - start[s];
            for (int j = 0; j < h; j++) {
                acc[j] /= len;
                norm += acc[j] * acc[j];
            }
            double inv = 1.0 / Math.max(Math.sqrt(norm), 1e-12);
            for (int j = 0; j < h; j++) out[s][j] = (float) (acc[j] * inv);
        }
        return out;
    }

    /** Softmax(q kᵀ / sqrt(d)) v per sequence and head on lowbit's attention kernel; qkv rows are [q | k | v]. */
    private void attention(float[] qkv, long[] starts, float[] ctx) {
        int h = w.hidden(), t = (int) starts[starts.length - 1];
        try (Arena call = Arena.ofConfined()) {
            Tensor in = Tensor.of(call, qkv, t, 3L * h), out = Tensor.allocate(call, DType.F32, Device.CPU, t, h);
            Attention.selfAttention(in, starts, w.heads(), (float) (1 / Math.sqrt(w.headDim())), out);
            MemorySegment.copy(out.segment(), ValueLayout.JAVA_FLOAT, 0, ctx, 0, t * h);
        }
    }

    private static void layerNorm(float[] x, int rows, BertWeights.LayerNorm ln) {
        int h = ln.gamma().length;
        for (int r = 0; r < rows; r++) {
            int o = r * h;
            double mean = 0;
            for (int j = 0; j < h; j++) mean += x[o + j];
            mean /= h;
            double var = 0;
            for (int j = 0; j < h; j++) {
                double c = x[o + j] - mean;
                var += c * c;
            }
            var /= h;
            double inv = 1.0 / Math.sqrt(var + ln.eps());
            for (int j = 0; j < h; j++) x[o + j] = (float) ((x[o + j] - mean) * inv) * ln.gamma()[j] + ln.beta()[j];
        }
    }

    private static void addInPlace(float[] x, float[] y) {
        for (int i = 0; i < x.length; i++) x[i] += y[i];
    }

    /** [q | k | v] as one linear layer of width 3 * out (one GEMM instead of three). */
    static BertWeights.Linear concatColumns(BertWeights.Linear... parts) {
        int in = parts[0].in(), total = 0;
        for (BertWeights.Linear p : parts) total += p.out();
        float[] w = new float[in * total], b = new float[total];
        int col = 0;
        for (BertWeights.Linear p : parts) {
            for (int k = 0; k < in; k++) System.arraycopy(p.w(), k * p.out(), w, k * total + col, p.out());
            System.arraycopy(p.b(), 0, b, col, p.out());
            col += p.out();
        }
        return new BertWeights.Linear(w, b, in, total);
    }
}
