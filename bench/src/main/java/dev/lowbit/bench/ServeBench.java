package dev.lowbit.bench;

import dev.lowbit.embed.Embedder;
import dev.lowbit.embed.EmbeddingServer;
import dev.lowbit.model.Quant;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@code lowbit serve} under concurrent clients: JMH's threads each POST one sentence at a time to
 * /v1/embeddings of an in-process {@link EmbeddingServer} (all-MiniLM-L6-v2, w8a8-rot as the CLI's
 * default) over HTTP/1.1 on loopback, and the score is requests (= sentences) per second. {@code
 * batchTokens} 0 runs each request in a pass of its own (the server before shared passes); 4096 is
 * the default, where requests that arrive during a pass share the next. Both in one run, on the same
 * machine state. TearDown prints the passes run and the mean sentences per pass. {@code health} times
 * GET /health the same way: what the loopback HTTP round trip alone costs (clients and server share
 * the machine's cores here, so it is part of every request's time).
 *
 * <pre>
 * java -jar bench/target/benchmarks.jar ServeBench -t 16
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Threads(16)
@State(Scope.Benchmark)
public class ServeBench {
    @Param({"0", "4096"})
    public int batchTokens;

    @Param({"w8a8-rot"})
    public String quant;

    /** Words the sentences are drawn from: common English, so the tokenizer yields ~1-1.5 pieces a word. */
    private static final String[] WORDS = ("the of and to in is was for on that with as by at from his it an were are which this be "
            + "has or had first one their its new after but who not they have her she two been other when there all during into "
            + "school time may years more most only over city some world would where later up such used many can state about "
            + "national out known university united then made team season under game river album called series three year "
            + "american well music film while second also between song number including group within life war part north house "
            + "against played both south government county three company church west world early people public through club "
            + "model language memory kernel weights matrix quantized rotation vector server request batch token sentence").split(" ");

    private Embedder model;
    private EmbeddingServer server;
    private HttpClient http;
    private URI uri, health;
    private final String[] bodies = new String[256];

    @Setup(Level.Trial)
    public void setup() throws Exception {
        model = Embedder.load(Quant.parse(quant));
        server = EmbeddingServer.start(model, "all-MiniLM-L6-v2", "127.0.0.1", 0, 64, batchTokens);
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        uri = URI.create("http://127.0.0.1:" + server.port() + "/v1/embeddings");
        health = URI.create("http://127.0.0.1:" + server.port() + "/health");
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < bodies.length; i++) {
            StringBuilder s = new StringBuilder();
            int words = 10 + r.nextInt(40);  // 12-64 tokens, as EmbedBench's sentences
            for (int w = 0; w < words; w++) s.append(w == 0 ? "" : " ").append(WORDS[r.nextInt(WORDS.length)]);
            bodies[i] = "{\"input\": \"" + s + "\", \"encoding_format\": \"base64\"}";
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        EmbeddingServer.BatchStats s = server.batchStats();
        System.err.printf("%nServeBench batchTokens=%d: %d shared passes, %.1f sentences a pass%n", batchTokens, s.passes(), s.meanBatch());
        server.close();
        model.close();
        http.close();
    }

    /** Each JMH thread's next sentence. */
    @State(Scope.Thread)
    public static class Client {
        int next = (int) Thread.currentThread().threadId() * 17;
    }

    @Benchmark
    public int request(Client c) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.ofString(bodies[c.next++ & 255])).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
        return r.body().length();
    }

    /** GET /health on the same client and server: the cost of an HTTP round trip alone, for scale. */
    @Benchmark
    public int health() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(health).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
        return r.body().length();
    }
}
