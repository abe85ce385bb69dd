package dev.lowbit.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lowbit.model.Quant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EmbeddingServerTest {
    private static Embedder model;
    private static EmbeddingServer server;
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        model = Embedder.load(Quant.W8A8);
        server = EmbeddingServer.start(model, "all-MiniLM-L6-v2", "127.0.0.1", 0, 4);
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return post(server, path, body);
    }

    private static HttpResponse<String> post(EmbeddingServer to, String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + to.port() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The first embedding of a response with "encoding_format": "base64". */
    private static float[] base64Embedding(String body) throws Exception {
        byte[] raw = Base64.getDecoder().decode(JSON.readTree(body).get("data").get(0).get("embedding").asText());
        float[] v = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void openAiShapedResponse() throws Exception {
        HttpResponse<String> r = post("/v1/embeddings", "{\"input\": [\"hello world\", \"second\"], \"model\": \"x\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode n = JSON.readTree(r.body());
        assertEquals("list", n.get("object").asText());
        assertEquals(2, n.get("data").size());
        assertEquals(1, n.get("data").get(1).get("index").asInt());
        assertEquals(384, n.get("data").get(0).get("embedding").size());
        assertTrue(n.get("usage").get("prompt_tokens").asInt() > 4);
        float[] direct = model.embed("hello world");
        for (int j = 0; j < 384; j++) assertEquals(direct[j], (float) n.get("data").get(0).get("embedding").get(j).asDouble(), 1e-6f);
    }

    @Test
    void base64AndSingleString() throws Exception {
        HttpResponse<String> r = post("/v1/embeddings", "{\"input\": \"hello world\", \"encoding_format\": \"base64\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertArrayEquals(model.embed("hello world"), base64Embedding(r.body()));
    }

    @Test
    void badRequestsGetJsonErrorsAndTheServerLives() throws Exception {
        String[][] cases = {{"not json", "400"}, {"[]", "400"}, {"{}", "400"}, {"{\"input\": 5}", "400"}, {"{\"input\": []}", "400"},
                {"{\"input\": [1, 2]}", "400"}, {"{\"input\": \"x\", \"encoding_format\": \"hex\"}", "400"},
                {"{\"input\": \"x\", \"dimensions\": 64}", "400"}};
        for (String[] c : cases) {
            HttpResponse<String> r = post("/v1/embeddings", c[0]);
            assertEquals(Integer.parseInt(c[1]), r.statusCode(), c[0] + " -> " + r.body());
            assertTrue(JSON.readTree(r.body()).get("error").get("message").asText().length() > 5, r.body());
        }
        assertEquals(405, get("/v1/embeddings").statusCode());
        assertEquals(404, get("/v2/nothing").statusCode());
        assertEquals(413, post("/v1/embeddings", "x".repeat(EmbeddingServer.MAX_BODY_BYTES + 10)).statusCode());
        assertEquals(200, get("/health").statusCode());
        assertEquals("all-MiniLM-L6-v2", JSON.readTree(get("/v1/models").body()).get("data").get(0).get("id").asText());
        assertEquals(200, post("/v1/embeddings", "{\"input\": \"still alive\"}").statusCode());
    }

    @Test
    void concurrentClientsGetTheirOwnAnswers() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                String text = "concurrent request number " + i;
                futures.add(pool.submit(() -> {
                    JsonNode n = JSON.readTree(post("/v1/embeddings", "{\"input\": \"" + text + "\"}").body());
                    float[] v = new float[384];
                    for (int j = 0; j < 384; j++) v[j] = (float) n.get("data").get(0).get("embedding").get(j).asDouble();
                    return v;
                }));
            }
            // Bit for bit: a request's rows do not depend on what its pass was shared with.
            for (int i = 0; i < 16; i++) assertArrayEquals(model.embed("concurrent request number " + i), futures.get(i).get());
            assertTrue(server.batchStats().passes() > 0 && server.batchStats().sequences() >= 16, server.batchStats().toString());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void withoutSharedPassesTheAnswersAreTheSame() throws Exception {
        try (EmbeddingServer plain = EmbeddingServer.start(model, "m", "127.0.0.1", 0, 2, 0)) {
            HttpResponse<String> r = post(plain, "/v1/embeddings", "{\"input\": \"hello world\", \"encoding_format\": \"base64\"}");
            assertEquals(200, r.statusCode(), r.body());
            assertArrayEquals(model.embed("hello world"), base64Embedding(r.body()));
            assertEquals(0, plain.batchStats().passes());
        }
    }

    @Test
    void badServerSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> EmbeddingServer.start(model, "m", "127.0.0.1", 0, 0));
        assertThrows(IllegalArgumentException.class, () -> EmbeddingServer.start(model, "m", "127.0.0.1", 0, 2, -1));
        assertThrows(NullPointerException.class, () -> EmbeddingServer.start(null, "m", "127.0.0.1", 0, 2));
    }
}
