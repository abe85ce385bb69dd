package dev.lowbit.embed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An OpenAI-compatible embeddings endpoint on the JDK's HTTP server: {@code POST /v1/embeddings}
 * with {@code {"input": "text" | ["text", ...], "encoding_format": "float" | "base64"}}, plus
 * {@code GET /v1/models} and {@code GET /health}. A bad request gets a 4xx with an OpenAI-style JSON
 * error; a failure inside gets a 500; the server keeps serving either way.
 *
 * <p>Concurrent requests share forward passes ({@link EmbeddingBatcher}): while one pass runs, the requests
 * that arrive queue and the next pass takes them all, up to a token budget. Each request is answered as if
 * alone (rows are independent in every kernel); an idle server starts a lone request at once.
 */
public final class EmbeddingServer implements AutoCloseable {
    /** Largest request body accepted, and most inputs per request (OpenAI's limit). */
    public static final int MAX_BODY_BYTES = 16 << 20, MAX_INPUTS = 2048;
    /**
     * Default token budget of a shared pass: past a few thousand tokens a bigger batch embeds no faster per sentence
     * (EmbedBench: batch 8 and 64 alike on the CPU), and a pass keeps the requests queued behind it waiting.
     */
    public static final int DEFAULT_BATCH_TOKENS = 4096;

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService pool;
    private final Embedder model;
    private final String modelName;
    private final EmbeddingBatcher batcher;  // null: each request runs its own pass

    private EmbeddingServer(Embedder model, String modelName, String host, int port, int workers, int batchTokens) throws IOException {
        this.model = model;
        this.modelName = modelName;
        server = HttpServer.create(new InetSocketAddress(host, port), 64);
        batcher = batchTokens > 0 ? new EmbeddingBatcher(model::embedTokens, batchTokens) : null;
        pool = Executors.newFixedThreadPool(workers);
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * Starts serving {@code model} on host:port (port 0: any free port, see {@link #port()}) with {@code workers}
     * request threads and shared passes of up to {@link #DEFAULT_BATCH_TOKENS} tokens.
     */
    public static EmbeddingServer start(Embedder model, String modelName, String host, int port, int workers) throws IOException {
        return start(model, modelName, host, port, workers, DEFAULT_BATCH_TOKENS);
    }

    /**
     * As above, with shared passes of up to {@code batchTokens} tokens; 0 runs each request in a pass of its own.
     * Requests in flight are bounded by {@code workers}, so it also bounds how large a shared pass can grow.
     */
    public static EmbeddingServer start(Embedder model, String modelName, String host, int port, int workers, int batchTokens)
            throws IOException {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(modelName, "modelName");
        if (workers < 1) throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        if (batchTokens < 0) throw new IllegalArgumentException("batchTokens must be >= 0 (0: no shared passes), got " + batchTokens);
        return new EmbeddingServer(model, modelName, host, port, workers, batchTokens);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        if (batcher != null) batcher.close();
        pool.shutdownNow();
    }

    /** Forward passes run for requests so far and the sequences they embedded; zeros without shared passes. */
    public record BatchStats(long passes, long sequences) {
        /** Sequences per pass. */
        public double meanBatch() {
            return passes == 0 ? 0 : (double) sequences / passes;
        }
    }

    public BatchStats batchStats() {
        return batcher == null ? new BatchStats(0, 0) : new BatchStats(batcher.passes(), batcher.sequences());
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath(), method = ex.getRequestMethod();
            try {
                switch (path) {
                    case "/health" -> send(ex, 200, JSON.createObjectNode().put("status", "ok"));
                    case "/v1/models" -> {
                        ObjectNode m = JSON.createObjectNode().put("id", modelName).put("object", "model").put("owned_by", "lowbit");
                        ObjectNode list = JSON.createObjectNode().put("object", "list");
                        list.putArray("data").add(m);
                        send(ex, 200, list);
                    }
                    case "/v1/embeddings" -> {
                        if (!method.equals("POST")) throw new FailureException(405, "use POST for /v1/embeddings, not " + method);
                        send(ex, 200, embeddings(readBody(ex)));
                    }
                    default -> throw new FailureException(404, "no such endpoint: " + path + " (try POST /v1/embeddings)");
                }
            } catch (FailureException f) {
                sendError(ex, f.status, f.getMessage());
            } catch (EmbeddingBatcher.ClosedException e) {
                sendError(ex, 503, e.getMessage());
            } catch (RuntimeException e) {
                sendError(ex, 500, "internal error: " + e.getMessage());
            }
        }
    }

    /** A request that gets an HTTP error status and an OpenAI-style JSON error naming the problem. */
    private static final class FailureException extends RuntimeException {
        final int status;

        FailureException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    private static byte[] readBody(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) throw new FailureException(413, "request body over " + MAX_BODY_BYTES + " bytes");
            return body;
        }
    }

    private ObjectNode embeddings(byte[] body) {
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw new FailureException(400, "request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new FailureException(400, "cannot read the request body: " + e.getMessage());
        }
        if (req == null || !req.isObject()) throw new FailureException(400, "request body must be a JSON object with an \"input\"");
        List<String> texts = new ArrayList<>();
        JsonNode input = req.get("input");
        if (input != null && input.isTextual()) texts.add(input.asText());
        else if (input != null && input.isArray()) {
            for (JsonNode t : input) {
                if (!t.isTextual()) throw new FailureException(400, "\"input\" must be a string or an array of strings (token arrays are not supported)");
                texts.add(t.asText());
            }
        } else {
            throw new FailureException(400, "\"input\" must be a string or an array of strings");
        }
        if (texts.isEmpty()) throw new FailureException(400, "\"input\" is an empty array");
        if (texts.size() > MAX_INPUTS) throw new FailureException(400, "\"input\" has " + texts.size() + " texts; at most " + MAX_INPUTS + " per request");
        String format = req.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64"))
            throw new FailureException(400, "\"encoding_format\" must be \"float\" or \"base64\", got \"" + format + "\"");
        JsonNode dims = req.get("dimensions");
        if (dims != null && !dims.isNull() && dims.asInt(-1) != model.dimension())
            throw new FailureException(400, "this model has " + model.dimension() + " dimensions; \"dimensions\" " + dims + " is not supported");
        int[][] ids = new int[texts.size()][];
        long tokens = 0;
        for (int i = 0; i < ids.length; i++) {
            ids[i] = model.tokenize(texts.get(i));
            tokens += ids[i].length;
        }
        float[][] v = batcher != null ? batcher.embed(ids) : model.embedTokens(ids);
        ObjectNode res = JSON.createObjectNode().put("object", "list");
        ArrayNode data = res.putArray("data");
        for (int i = 0; i < v.length; i++) {
            ObjectNode e = data.addObject().put("object", "embedding").put("index", i);
            if (format.equals("base64")) {
                ByteBuffer b = ByteBuffer.allocate(v[i].length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v[i]) b.putFloat(f);
                e.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode arr = e.putArray("embedding");
                for (float f : v[i]) arr.add(f);
            }
        }
        res.put("model", modelName);
        res.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return res;
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    private static void sendError(HttpExchange ex, int status, String message) throws IOException {
        ObjectNode err = JSON.createObjectNode();
        err.putObject("error").put("message", message).put("type", status >= 500 ? "server_error" : "invalid_request_error").put("code", status);
        send(ex, status, err);
    }
}
