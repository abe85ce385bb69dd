package dev.lowbit.model.bert;

import dev.lowbit.CudaStream;
import dev.lowbit.Device;
import dev.lowbit.Tensor;
import dev.lowbit.activation.Gelu;
import dev.lowbit.attention.Attention;
import dev.lowbit.embedding.Embeddings;
import dev.lowbit.model.Quant;
import dev.lowbit.norm.LayerNorm;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A BERT encoder forward pass with mean pooling and L2 normalisation (sentence-transformers'
 * recipe), over a batch of token id sequences. The tokens of all sequences are stacked into one
 * [tokens, hidden] matrix, so the linear layers (q/k/v fused into one) run as a few large GEMMs
 * with no padding; attention runs per sequence and head. From the embedding lookup to the pooling
 * everything is a lowbit kernel call on the calling thread's native buffers ({@link ThreadScratch}),
 * with no copy through Java arrays. On a CUDA device the same calls run there: only the token ids go
 * over and only the sentence vectors come back (the [tokens, hidden] states both ways cost more than
 * the layers at batch 64 when the lookup and the pooling ran in Java). Thread-safe.
 */
public final class BertEncoder {
    private final BertWeights w;
    private final Device device;
    /** The word, position and token-type-0 embedding tables, on the device. */
    private final Tensor wordTable, positionTable, typeRow;
    private final Norm embeddingNorm;
    private final List<Block> blocks = new ArrayList<>();

    /** A layer norm's parameters in native memory. */
    private record Norm(Tensor gamma, Tensor beta, float eps) {
        static Norm of(BertWeights.LayerNorm ln, Device device, Arena arena) {
            Tensor gamma = Tensor.of(arena, ln.gamma(), ln.gamma().length), beta = Tensor.of(arena, ln.beta(), ln.beta().length);
            return device.isCpu() ? new Norm(gamma, beta, ln.eps()) : new Norm(gamma.to(device, arena), beta.to(device, arena), ln.eps());
        }

        /** x = norm(x + residual) in place (residual may be null), queued on stream (null on the CPU). */
        void apply(Tensor x, Tensor residual, CudaStream stream) {
            LayerNorm.apply(x, residual, gamma, beta, eps, x, stream);
        }
    }

    private record Block(LinearOp qkv, LinearOp o, Norm norm1, LinearOp up, LinearOp down, Norm norm2) {}

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

    /** Every linear layer as {@code quant} says (GPTQ and AWQ modes calibrate first: see {@link Calibration}), on the CPU. */
    public BertEncoder(BertWeights weights, Quant quant, Arena arena) {
        this(weights, quant, Device.CPU, arena);
    }

    /**
     * As above on {@code device}; a mode whose kernels do not exist there yet fails here, naming why
     * ({@link IllegalArgumentException}), before any weight is packed.
     */
    public BertEncoder(BertWeights weights, Quant quant, Device device, Arena arena) {
        this(weights, factory(weights, quant, device, arena), device, arena);
    }

    public BertEncoder(BertWeights weights, Plan plan, Arena arena) {
        this(weights, (layer, part, lin) -> LinearOp.of(lin, plan.of(layer, part), Device.CPU, arena), Device.CPU, arena);
    }

    /** Layer norm parameters (and whatever else is native here) live in {@code arena}, on {@code device}. */
    BertEncoder(BertWeights weights, Factory factory, Device device, Arena arena) {
        this.w = weights;
        this.device = device;
        int h = weights.hidden();
        wordTable = table(weights.wordEmbeddings(), weights.vocab(), h, device, arena);
        positionTable = table(weights.positionEmbeddings(), weights.maxPositions(), h, device, arena);
        typeRow = table(Arrays.copyOf(weights.tokenTypeEmbeddings(), h), 1, h, device, arena).reshape(h);
        embeddingNorm = Norm.of(weights.embeddingNorm(), device, arena);
        for (int i = 0; i < weights.layers().size(); i++) {
            BertWeights.Layer l = weights.layers().get(i);
            blocks.add(new Block(factory.make(i, Part.QKV, concatColumns(l.q(), l.k(), l.v())), factory.make(i, Part.ATTENTION_OUT, l.o()),
                    Norm.of(l.attentionNorm(), device, arena), factory.make(i, Part.FFN_UP, l.up()), factory.make(i, Part.FFN_DOWN, l.down()),
                    Norm.of(l.outputNorm(), device, arena)));
        }
    }

    /** values as an F32 [rows, cols] tensor on device, in arena (for a GPU staged through a short-lived host copy). */
    private static Tensor table(float[] values, int rows, int cols, Device device, Arena arena) {
        if (device.isCpu()) return Tensor.of(arena, values, rows, cols);
        try (Arena staging = Arena.ofConfined()) {
            return Tensor.of(staging, values, rows, cols).to(device, arena);
        }
    }

    private static Factory factory(BertWeights weights, Quant quant, Device device, Arena arena) {
        LinearOp.requireSupported(quant, device);  // before calibrating (seconds of work) or packing any weight
        if (!quant.calibrated()) return (layer, part, lin) -> LinearOp.of(lin, quant, device, arena);
        var hessians = Calibration.hessians(weights);
        return (layer, part, lin) -> new W4A16Linear(lin, quant, hessians.get(new Calibration.Key(layer, part)), device, arena);
    }

    public Device device() {
        return device;
    }

    public int dimension() {
        return w.hidden();
    }

    public int maxPositions() {
        return w.maxPositions();
    }

    /** Unit-length sentence embeddings, one per id sequence (each non-empty, at most maxPositions long, ids in the vocabulary). */
    public float[][] embed(int[][] ids) {
        return embed(ids, null);
    }

    /**
     * As {@link #embed(int[][])}, adding to {@code nanos} (if not null) [0] the time spent in lowbit kernel calls — from
     * the embedding lookup to the pooling (on a GPU: queued on the calling thread's stream, then waited for) — and [1] the
     * whole call's time. Their ratio is the share of a forward pass spent in lowbit's kernels; the rest is Java (checking
     * the ids, the result arrays) and the sentence vectors' copy back from a GPU.
     */
    public float[][] embed(int[][] ids, long[] nanos) {
        return embed(ids, nanos, MAX_PASS_TOKENS);
    }

    /**
     * Most tokens in one forward pass: a batch with more runs as several passes, consecutive sequences each. The
     * activations live in per-thread buffers that only grow (ThreadScratch), ~15 KB a token at MiniLM's sizes, so one
     * call with 2048 long texts (a server request may hold that many) would have left 8 GB with its thread; past a few
     * thousand tokens a larger pass embeds no faster per token. Each sequence's embedding is the same bits in any pass
     * (every kernel treats rows, or sequences, independently).
     */
    public static final int MAX_PASS_TOKENS = 8192;

    /** As {@link #embed(int[][], long[])} with passes of at most {@code maxPassTokens} tokens (a longer sequence alone). */
    float[][] embed(int[][] ids, long[] nanos, int maxPassTokens) {
        if (nanos != null && nanos.length < 2) throw new IllegalArgumentException("nanos needs 2 slots (layers, whole call), got " + nanos.length);
        long t0 = System.nanoTime();
        validate(ids);  // the whole batch before the first pass: a bad sequence late in it costs no passes
        float[][] out = new float[ids.length][];
        for (int s0 = 0; s0 < ids.length; ) {
            int s1 = s0 + 1;
            for (long tokens = ids[s0].length; s1 < ids.length && tokens + ids[s1].length <= maxPassTokens; s1++) tokens += ids[s1].length;
            float[][] part = forward(s0 == 0 && s1 == ids.length ? ids : Arrays.copyOfRange(ids, s0, s1), nanos);
            System.arraycopy(part, 0, out, s0, part.length);
            s0 = s1;
        }
        if (nanos != null) nanos[1] += System.nanoTime() - t0;
        return out;
    }

    /** Each sequence: present, 1..maxPositions tokens, ids inside the vocabulary; errors name it by its index in ids
     *  (Embeddings.lookup checks the flat ids too, but cannot say which sequence). */
    private void validate(int[][] ids) {
        Objects.requireNonNull(ids, "ids");
        for (int s = 0; s < ids.length; s++) {
            if (ids[s] == null) throw new IllegalArgumentException("sequence " + s + " is null");
            int len = ids[s].length;
            if (len == 0 || len > w.maxPositions())
                throw new IllegalArgumentException("sequence " + s + " has " + len + " tokens; expected 1.." + w.maxPositions());
            for (int id : ids[s])
                if (id < 0 || id >= w.vocab())
                    throw new IllegalArgumentException("sequence " + s + ": token id " + id + " outside the vocabulary of " + w.vocab());
        }
    }

    /** One pass over ids (validated). */
    private float[][] forward(int[][] ids, long[] nanos) {
        int n = ids.length, h = w.hidden();
        if (n == 0) return new float[0][];
        long[] starts = new long[n + 1];  // the sequences' row offsets: the lookup's, every layer's attention's, the pooling's
        for (int s = 0; s < n; s++) starts[s + 1] = starts[s] + ids[s].length;
        int t = (int) starts[n];
        int[] flat = new int[t];
        for (int s = 0; s < n; s++) System.arraycopy(ids[s], 0, flat, (int) starts[s], ids[s].length);
        Tensor x = ThreadScratch.f32(ThreadScratch.HIDDEN, device, t, h), qkv = ThreadScratch.f32(ThreadScratch.QKV, device, t, 3L * h),
                ctx = ThreadScratch.f32(ThreadScratch.CONTEXT, device, t, h), proj = ThreadScratch.f32(ThreadScratch.PROJECTED, device, t, h),
                pooled = ThreadScratch.f32(ThreadScratch.POOLED, device, n, h);
        // On a GPU every step is queued on this thread's stream and waited for once: no host round trip per kernel (the
        // activation quantizers' NaN/Inf checks are reported by that wait).
        CudaStream stream = device.isCpu() ? null : ThreadScratch.stream(device);
        long kernels0 = System.nanoTime();
        try {
            Embeddings.lookup(wordTable, positionTable, typeRow, flat, starts, x, stream);
            layers(x, qkv, ctx, proj, starts, t, stream);
            Embeddings.meanPool(x, starts, true, pooled, stream);
        } catch (RuntimeException failed) {
            // Whatever was queued before the failure runs and is checked now, so this thread's next call does not
            // inherit it (a queued NaN check would otherwise be reported there).
            if (stream != null) {
                try {
                    stream.synchronize();
                } catch (RuntimeException also) {
                    failed.addSuppressed(also);
                }
            }
            throw failed;
        }
        if (stream != null) stream.synchronize();  // the layers done and checked (also before the copy back, on another stream)
        if (nanos != null) nanos[0] += System.nanoTime() - kernels0;
        Tensor host = pooled;
        if (!device.isCpu()) {
            host = ThreadScratch.f32(ThreadScratch.STAGING, Device.CPU, n, h);
            host.copyFrom(pooled);
        }
        float[][] out = new float[n][];
        for (int s = 0; s < n; s++) out[s] = host.segment().asSlice((long) s * h * Float.BYTES, (long) h * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT);
        return out;
    }

    /** The embedding layer norm and the encoder layers over x [t, h] in place, queued on stream (null on the CPU). */
    private void layers(Tensor x, Tensor qkv, Tensor ctx, Tensor proj, long[] starts, int t, CudaStream stream) {
        embeddingNorm.apply(x, null, stream);
        float scale = (float) (1 / Math.sqrt(w.headDim()));
        for (Block b : blocks) {
            b.qkv().apply(x, qkv, stream);
            Attention.selfAttention(qkv, starts, w.heads(), scale, ctx, stream);
            b.o().apply(ctx, proj, stream);
            b.norm1().apply(x, proj, stream);
            Tensor mid = ThreadScratch.f32(ThreadScratch.FFN, device, t, b.up().out());
            b.up().apply(x, mid, stream);
            Gelu.apply(mid, mid, stream);
            b.down().apply(mid, proj, stream);
            b.norm2().apply(x, proj, stream);
        }
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
